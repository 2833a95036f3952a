using System.IO.Hashing;
using System.Text;
using DataForge.Documents;
using DataForge.Stages;
using DataForge.Configuration;

namespace DataForge.Dedup;

public sealed class UrlDedupOptions
{
    [Option("Also treat http and https as the same URL.")]
    public bool IgnoreScheme { get; init; } = true;
}

/// <summary>
/// URL normalisation for deduplication: scheme and host lowercased, a leading "www." and default
/// ports removed, the fragment removed, tracking parameters (utm_*, fbclid, gclid, ...) removed,
/// a trailing slash of the path removed, percent-escapes of unreserved characters decoded.
/// Optionally http and https are the same. Pure function, tested separately.
/// </summary>
public static class UrlNormalizer
{
    static readonly string[] Tracking = ["fbclid", "gclid", "msclkid", "yclid", "mc_cid", "mc_eid", "_ga", "ref_src"];

    public static string Normalize(string url, bool ignoreScheme = true)
    {
        string s = url.Trim();
        int hash = s.IndexOf('#');
        if (hash >= 0) s = s[..hash];
        string scheme = "";
        int sep = s.IndexOf("://", StringComparison.Ordinal);
        if (sep > 0 && s.AsSpan(0, sep).IndexOfAny("/?") < 0)
        {
            scheme = s[..sep].ToLowerInvariant();
            s = s[(sep + 3)..];
        }
        int pathStart = s.IndexOfAny(['/', '?']);
        string host = (pathStart < 0 ? s : s[..pathStart]).ToLowerInvariant();
        string rest = pathStart < 0 ? "" : s[pathStart..];
        int at = host.LastIndexOf('@');
        if (at >= 0) host = host[(at + 1)..];
        if ((scheme is "http" or "" && host.EndsWith(":80", StringComparison.Ordinal)) || (scheme == "https" && host.EndsWith(":443", StringComparison.Ordinal)))
            host = host[..host.LastIndexOf(':')];
        if (host.StartsWith("www.", StringComparison.Ordinal)) host = host[4..];
        host = host.TrimEnd('.');
        int q = rest.IndexOf('?');
        string path = q < 0 ? rest : rest[..q];
        string query = q < 0 ? "" : rest[(q + 1)..];
        path = DecodeUnreserved(path).TrimEnd('/');
        var kept = new List<string>();
        foreach (var part in query.Split('&', StringSplitOptions.RemoveEmptyEntries))
        {
            int eq = part.IndexOf('=');
            string name = (eq < 0 ? part : part[..eq]).ToLowerInvariant();
            if (name.StartsWith("utm_", StringComparison.Ordinal) || Array.IndexOf(Tracking, name) >= 0) continue;
            kept.Add(part);
        }
        if (ignoreScheme && scheme is "http" or "https") scheme = "";
        var sb = new StringBuilder();
        if (scheme.Length > 0) sb.Append(scheme).Append("://");
        sb.Append(host).Append(path);
        if (kept.Count > 0) sb.Append('?').AppendJoin('&', kept);
        return sb.ToString();
    }

    static string DecodeUnreserved(string path)
    {
        if (!path.Contains('%', StringComparison.Ordinal)) return path;
        var sb = new StringBuilder(path.Length);
        for (int i = 0; i < path.Length; i++)
        {
            if (path[i] == '%' && i + 2 < path.Length && int.TryParse(path.AsSpan(i + 1, 2), System.Globalization.NumberStyles.HexNumber, null, out int v)
                && (char.IsAsciiLetterOrDigit((char)v) || v is '-' or '.' or '_' or '~'))
            {
                sb.Append((char)v);
                i += 2;
            }
            else sb.Append(path[i]);
        }
        return sb.ToString();
    }
}

/// <summary>Keeps the first document per normalised URL; documents without a URL are kept (counter url_dedup.no_key).</summary>
[Stage("url_dedup", StageShape.Global, "Drops documents whose normalised URL appeared earlier in input order (documents without a url are kept).")]
public sealed class UrlDedupStage(UrlDedupOptions options, StageInit init) : KeepFirstDedup(init)
{
    protected override bool TryKey(DocumentBatch batch, int row, ref byte[] scratch, out UInt128 key)
    {
        key = default;
        if (batch.Url.IsNull(row) || batch.Url.GetValueLength(row) == 0) return false;
        string url = UrlNormalizer.Normalize(batch.Url.GetString(row), options.IgnoreScheme);
        if (url.Length == 0) return false;
        int max = Encoding.UTF8.GetMaxByteCount(url.Length);
        if (scratch.Length < max) scratch = new byte[Math.Max(max, 256)];
        key = XxHash128.HashToUInt128(scratch.AsSpan(0, Encoding.UTF8.GetBytes(url, scratch)));
        return true;
    }
}
