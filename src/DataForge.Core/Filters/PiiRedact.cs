using System.Net;
using System.Text;
using System.Text.RegularExpressions;
using DataForge.Documents;
using DataForge.Execution;
using DataForge.Stages;
using DataForge.Configuration;

namespace DataForge.Filters;

public sealed class PiiRedactOptions
{
    [Option("Replace e-mail addresses.")]
    public bool Email { get; init; } = true;

    [Option("Replace IPv4 and IPv6 addresses.")]
    public bool Ip { get; init; } = true;

    [Option("Replace phone numbers (international +CC, North American, Chinese mobile; at least 9 digits).")]
    public bool Phone { get; init; } = true;

    [Option("Remove URLs (http://, https://, www.) from the text, as the C4NGPT recipe did.")]
    public bool UrlRemove { get; init; }

    [Option("Placeholder for e-mail addresses.")]
    public string EmailPlaceholder { get; init; } = "<EMAIL>";

    [Option("Placeholder for IP addresses.")]
    public string IpPlaceholder { get; init; } = "<IP_ADDRESS>";

    [Option("Placeholder for phone numbers.")]
    public string PhonePlaceholder { get; init; } = "<PHONE>";

    [Option("What a removed URL is replaced with.")]
    public string UrlPlaceholder { get; init; } = "";

    [Option("More regular expressions to redact: pattern -> placeholder.")]
    public Dictionary<string, string> ExtraPatterns { get; init; } = [];

    [Option("Match timeout of each regular expression, in milliseconds.", Min = 1)]
    public int RegexTimeoutMs { get; init; } = 100;
}

/// <summary>The PII rules as pure functions: each returns the text with matches replaced, and counts.</summary>
public static class PiiRules
{
    public static readonly Regex EmailRegex = new(@"(?<![\w.+-])[A-Za-z0-9._%+-]+@(?:[A-Za-z0-9-]+\.)+[A-Za-z]{2,24}(?![\w-])", RegexOptions.CultureInvariant | RegexOptions.Compiled, TimeSpan.FromSeconds(1));
    public static readonly Regex Ipv4Regex = new(@"(?<![\d.])(?:(?:25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)\.){3}(?:25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)(?![\d.]*\d)", RegexOptions.CultureInvariant | RegexOptions.Compiled, TimeSpan.FromSeconds(1));
    // Candidates are checked with IPAddress.TryParse, so times (12:30:45) and hashes do not match.
    public static readonly Regex Ipv6Candidate = new(@"(?<![0-9A-Fa-f:])[0-9A-Fa-f:]*:[0-9A-Fa-f:]*:[0-9A-Fa-f:.]*(?![0-9A-Fa-f:])", RegexOptions.CultureInvariant | RegexOptions.Compiled, TimeSpan.FromSeconds(1));
    public static readonly Regex PhoneRegex = new(@"(?<![\w+])(?:\+\d{1,3}[ .-]?(?:\(\d{1,4}\)[ .-]?)?\d{1,4}(?:[ .-]?\d{2,4}){1,4}|\(\d{3}\)[ .-]?\d{3}[ .-]\d{4}|\d{3}[.-]\d{3}[.-]\d{4}|1[3-9]\d{9})(?![\w])", RegexOptions.CultureInvariant | RegexOptions.Compiled, TimeSpan.FromSeconds(1));
    public static readonly Regex UrlRegex = new(@"(?:https?://|www\.)[^\s<>""']+[^\s<>""'.,;:!?)\]]", RegexOptions.CultureInvariant | RegexOptions.IgnoreCase | RegexOptions.Compiled, TimeSpan.FromSeconds(1));

    public static string Replace(Regex regex, string text, string placeholder, ref int count, Func<string, bool>? accept = null)
    {
        int n = 0;
        string result = regex.Replace(text, m =>
        {
            if (accept is not null && !accept(m.Value)) return m.Value;
            n++;
            return placeholder;
        });
        count += n;
        return result;
    }

    public static bool IsIpv6(string candidate)
    {
        if (candidate.Length < 3 || candidate.Count(c => c == ':') < 2) return false;
        if (!candidate.Contains("::", StringComparison.Ordinal) && candidate.Count(c => c == ':') < 7) return false;
        return IPAddress.TryParse(candidate, out var ip) && ip.AddressFamily == System.Net.Sockets.AddressFamily.InterNetworkV6;
    }

    public static bool IsPhone(string candidate) => candidate.Count(char.IsAsciiDigit) >= 9;
}

[Stage("pii_redact", StageShape.Map, "Replaces e-mail addresses, IP addresses and phone numbers with placeholders, optionally removes URLs; counts every replacement.")]
public sealed class PiiRedactStage : MapStage
{
    readonly PiiRedactOptions _options;
    readonly List<(UserRegex Regex, string Placeholder)> _extra;

    public PiiRedactStage(PiiRedactOptions options, StageInit init) : base(init)
    {
        _options = options;
        _extra = options.ExtraPatterns.Select(kv => (new UserRegex(kv.Key, "extra_patterns", init.Name, options.RegexTimeoutMs), kv.Value)).ToList();
    }

    /// <summary>Applies the enabled rules to one text.</summary>
    public string Redact(string text, string id, ref PiiCounts c)
    {
        var o = _options;
        if (o.UrlRemove && (text.Contains("://", StringComparison.Ordinal) || text.Contains("www.", StringComparison.OrdinalIgnoreCase)))
            text = PiiRules.Replace(PiiRules.UrlRegex, text, o.UrlPlaceholder, ref c.Url);
        if (o.Email && text.Contains('@')) text = PiiRules.Replace(PiiRules.EmailRegex, text, o.EmailPlaceholder, ref c.Email);
        if (o.Ip)
        {
            if (text.Contains('.')) text = PiiRules.Replace(PiiRules.Ipv4Regex, text, o.IpPlaceholder, ref c.Ip);
            if (text.Contains(':')) text = PiiRules.Replace(PiiRules.Ipv6Candidate, text, o.IpPlaceholder, ref c.Ip, PiiRules.IsIpv6);
        }
        if (o.Phone) text = PiiRules.Replace(PiiRules.PhoneRegex, text, o.PhonePlaceholder, ref c.Phone, PiiRules.IsPhone);
        foreach (var (regex, placeholder) in _extra)
        {
            string current = text;
            int n = 0;
            text = regex.Run(r => PiiRules.Replace(r, current, placeholder, ref n), id);
            c.Pattern += n;
        }
        return text;
    }

    public struct PiiCounts
    {
        public int Email, Ip, Phone, Url, Pattern;
    }

    public override DocumentBatch Process(DocumentBatch batch, StageContext context)
    {
        var column = new Utf8ColumnBuilder(batch.Length, (int)Math.Min(int.MaxValue, batch.TextBytes + 64));
        var counts = new PiiCounts();
        int changed = 0;
        for (int i = 0; i < batch.Length; i++)
        {
            var bytes = batch.GetText(i);
            string original = Encoding.UTF8.GetString(bytes);
            string redacted = Redact(original, batch.GetId(i), ref counts);
            if (ReferenceEquals(redacted, original) || redacted == original) column.Append(bytes);
            else { column.Append(redacted); changed++; }
        }
        context.Count("pii_redact.email", counts.Email);
        context.Count("pii_redact.ip", counts.Ip);
        context.Count("pii_redact.phone", counts.Phone);
        context.Count("pii_redact.url", counts.Url);
        context.Count("pii_redact.pattern", counts.Pattern);
        context.Count("pii_redact.documents_changed", changed);
        return batch.WithColumn(Columns.Text, column.Build());
    }
}
