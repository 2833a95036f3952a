using DataForge.Configuration;
using DataForge.Documents;
using DataForge.Execution;
using DataForge.Stages;

namespace TldStages;

/// <summary>Options of <c>tld_filter</c>: each property is a JSON option (snake_case), its initialiser the default.</summary>
public sealed class TldFilterOptions : IValidatableOptions
{
    [Option("Top-level domains to drop (\"xyz\", \"top\"; without the dot, any case).")]
    public List<string> Block { get; init; } = [];

    [Option("Top-level domains to keep; when given, documents under any other top-level domain are dropped.")]
    public List<string>? Allow { get; init; }

    [Option("What to do with a document that has no URL or no host in it.", AllowedValues = ["keep", "drop"])]
    public string MissingUrl { get; init; } = "keep";

    public void Validate(OptionsValidation v)
    {
        if (Block.Count == 0 && Allow is null) v.Error("block", "expected at least one top-level domain in block, or an allow list");
        if (Allow is not null && Block.Count > 0) v.Error("allow", "give either block or allow, not both");
        foreach (var tld in Block.Concat(Allow ?? []))
            if (!TldRules.IsLabel(tld)) { v.Error(Allow?.Contains(tld) == true ? "allow" : "block", $"\"{tld}\" is not a top-level domain (letters, digits and hyphens, no dot)"); break; }
    }
}

/// <summary>The rules of <c>tld_filter</c> as pure functions, tested on their own.</summary>
public static class TldRules
{
    /// <summary>The lower-cased last label of the URL's host, or null when the URL has no host.</summary>
    public static string? TopLevelDomain(string url)
    {
        if (!Uri.TryCreate(url, UriKind.Absolute, out var uri) || string.IsNullOrEmpty(uri.Host) || uri.HostNameType != UriHostNameType.Dns)
            return null;
        string host = uri.IdnHost.TrimEnd('.');
        int dot = host.LastIndexOf('.');
        return dot < 0 ? null : host[(dot + 1)..].ToLowerInvariant();
    }

    /// <summary>Whether <paramref name="s"/> can be a top-level domain label.</summary>
    public static bool IsLabel(string s) => s.Length > 0 && s.All(c => char.IsAsciiLetterOrDigit(c) || c == '-');

    /// <summary>The drop reason for a URL (<c>tld_filter.rule</c>), or null to keep it.</summary>
    public static string? Verdict(string url, IReadOnlySet<string> block, IReadOnlySet<string>? allow, bool dropMissing)
    {
        if (TopLevelDomain(url) is not { } tld) return dropMissing ? "tld_filter.no_url" : null;
        if (block.Contains(tld)) return "tld_filter.blocked";
        if (allow is not null && !allow.Contains(tld)) return "tld_filter.not_allowed";
        return null;
    }
}

/// <summary>
/// Drops documents by the top-level domain of their URL. A per-row rule, so it derives from
/// <see cref="RowRuleStage"/> and joins the executor's masked run of filters.
/// </summary>
[Stage("tld_filter", StageShape.Map, "Drops documents whose URL is under a blocked top-level domain (or outside an allowed list).")]
public sealed class TldFilterStage(TldFilterOptions options, StageInit init) : RowRuleStage(init)
{
    readonly HashSet<string> _block = options.Block.Select(t => t.ToLowerInvariant()).ToHashSet(StringComparer.Ordinal);
    readonly HashSet<string>? _allow = options.Allow?.Select(t => t.ToLowerInvariant()).ToHashSet(StringComparer.Ordinal);
    readonly bool _dropMissing = options.MissingUrl == "drop";

    protected override string? Rule(DocumentBatch batch, int row, StageContext context)
    {
        string url = batch.Url.IsNull(row) ? "" : batch.Url.GetString(row);
        return TldRules.Verdict(url, _block, _allow, _dropMissing);
    }
}
