using System.Text;
using DataForge.Documents;
using DataForge.Execution;
using DataForge.Stages;
using DataForge.Configuration;

namespace DataForge.Filters;

public sealed class UrlFilterOptions
{
    [Option("File of blocked domains, one per line; a domain also blocks its subdomains.")]
    public string? BlockDomains { get; init; }

    [Option("File of words that drop a document when one is a whole token of its URL; default: the shipped list.")]
    public string? BannedWords { get; init; }

    [Option("File of words that drop a document when soft_word_threshold of them are tokens of its URL; default: the shipped list.")]
    public string? SoftBannedWords { get; init; }

    [Option("How many distinct soft words in one URL drop the document.", Min = 1)]
    public int SoftWordThreshold { get; init; } = 2;

    [Option("Regular expressions; a URL matching any of them is dropped.")]
    public List<string> UrlPatterns { get; init; } = [];

    [Option("Match timeout of each regular expression, in milliseconds.", Min = 1)]
    public int RegexTimeoutMs { get; init; } = 100;
}

/// <summary>URL rules: blocked domains, banned and soft-banned words among the URL's tokens, user patterns.</summary>
public static class UrlRules
{
    public const string Stage = "url_filter";

    /// <summary>Lowercased host without "www." and port, or null when the URL has none.</summary>
    public static string? Host(string url)
    {
        string u = url.Trim().ToLowerInvariant();
        int scheme = u.IndexOf("://", StringComparison.Ordinal);
        if (scheme >= 0) u = u[(scheme + 3)..];
        int end = u.IndexOfAny(['/', '?', '#']);
        string host = end >= 0 ? u[..end] : u;
        int at = host.LastIndexOf('@');
        if (at >= 0) host = host[(at + 1)..];
        int colon = host.LastIndexOf(':');
        if (colon >= 0 && !host.Contains(']', StringComparison.Ordinal)) host = host[..colon];
        if (host.StartsWith("www.", StringComparison.Ordinal)) host = host[4..];
        return host.Length == 0 ? null : host;
    }

    /// <summary>Whether <paramref name="host"/> or a parent domain of it is in <paramref name="blocked"/>.</summary>
    public static bool IsBlocked(string host, HashSet<string> blocked)
    {
        for (string h = host; ; )
        {
            if (blocked.Contains(h)) return true;
            int dot = h.IndexOf('.');
            if (dot < 0) return false;
            h = h[(dot + 1)..];
        }
    }

    /// <summary>The URL split into lowercase alphanumeric tokens.</summary>
    public static HashSet<string> Tokens(string url)
    {
        var set = new HashSet<string>(StringComparer.Ordinal);
        var sb = new StringBuilder();
        foreach (char c in url.ToLowerInvariant())
        {
            if (char.IsLetterOrDigit(c)) sb.Append(c);
            else if (sb.Length > 0) { set.Add(sb.ToString()); sb.Clear(); }
        }
        if (sb.Length > 0) set.Add(sb.ToString());
        return set;
    }

    public static string? Check(string url, HashSet<string> blocked, HashSet<string> banned, HashSet<string> soft, int softThreshold)
    {
        var host = Host(url);
        if (host is not null && IsBlocked(host, blocked)) return Stage + ".blocked_domain";
        var tokens = Tokens(url);
        if (tokens.Overlaps(banned)) return Stage + ".banned_word";
        int softHits = 0;
        foreach (var t in tokens) if (soft.Contains(t)) softHits++;
        if (softHits >= softThreshold) return Stage + ".soft_banned_words";
        return null;
    }
}

[Stage("url_filter", StageShape.Map, "Drops documents by URL: blocked domains, banned words, soft-banned word counts, user regexes; documents without a URL pass.")]
public sealed class UrlFilterStage : RowRuleStage
{
    readonly UrlFilterOptions _options;
    readonly HashSet<string> _blocked, _banned, _soft;
    readonly List<UserRegex> _patterns;

    public UrlFilterStage(UrlFilterOptions options, StageInit init) : base(init)
    {
        _options = options;
        _blocked = new(options.BlockDomains is { } b ? WordLists.FromFile(init.ResolvePath(b), "block_domains").Select(d => d.StartsWith("www.", StringComparison.Ordinal) ? d[4..] : d) : [], StringComparer.Ordinal);
        _banned = new(options.BannedWords is { } w ? WordLists.FromFile(init.ResolvePath(w), "banned_words") : WordLists.Shipped("url-banned-words.txt"), StringComparer.Ordinal);
        _soft = new(options.SoftBannedWords is { } s ? WordLists.FromFile(init.ResolvePath(s), "soft_banned_words") : WordLists.Shipped("url-soft-words.txt"), StringComparer.Ordinal);
        _patterns = options.UrlPatterns.Select(p => new UserRegex(p, "url_patterns", init.Name, options.RegexTimeoutMs)).ToList();
    }

    protected override string? Rule(DocumentBatch batch, int row, StageContext context)
    {
        if (batch.Url.IsNull(row) || batch.Url.GetValueLength(row) == 0) { context.Count("url_filter.no_url"); return null; }
        string url = batch.Url.GetString(row);
        if (UrlRules.Check(url, _blocked, _banned, _soft, _options.SoftWordThreshold) is { } reason) return reason;
        foreach (var p in _patterns)
            if (p.Run(r => r.IsMatch(url), batch.GetId(row))) return UrlRules.Stage + ".pattern";
        return null;
    }
}
