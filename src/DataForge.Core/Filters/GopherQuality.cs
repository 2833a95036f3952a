using DataForge.Documents;
using DataForge.Execution;
using DataForge.Stages;
using DataForge.Text;
using DataForge.Configuration;

namespace DataForge.Filters;

public sealed record GopherQualityOptions
{
    [Option("Fewest non-symbol words (null disables).", Min = 0)]
    public int? MinDocWords { get; init; } = 50;

    [Option("Most non-symbol words (null disables).", Min = 0)]
    public int? MaxDocWords { get; init; } = 100_000;

    [Option("Smallest mean length of non-symbol words, in characters (null disables).", Min = 0)]
    public double? MinAvgWordLength { get; init; } = 3;

    [Option("Largest mean length of non-symbol words (null disables).", Min = 0)]
    public double? MaxAvgWordLength { get; init; } = 10;

    [Option("Largest ratio of '#' to words, and of ellipses ('...' or '…') to words (null disables).", Min = 0)]
    public double? MaxSymbolWordRatio { get; init; } = 0.1;

    [Option("Largest share of lines starting with '•' or '-' (null disables).", Min = 0, Max = 1)]
    public double? MaxBulletLinesRatio { get; init; } = 0.9;

    [Option("Largest share of lines ending with '...' or '…' (null disables).", Min = 0, Max = 1)]
    public double? MaxEllipsisLinesRatio { get; init; } = 0.3;

    [Option("Documents whose share of words containing a letter is below this are dropped (null disables).", Min = 0, Max = 1)]
    public double? MaxNonAlphaWordsRatio { get; init; } = 0.8;

    [Option("Fewest distinct stop words present (null disables).", Min = 0)]
    public int? MinStopWords { get; init; } = 2;

    [Option("The stop words (case-sensitive).")]
    public List<string> StopWords { get; init; } = ["the", "be", "to", "of", "and", "that", "have", "with"];
}

/// <summary>The Gopher quality rules (Rae et al. 2021) as datatrove implements them; docs/reference.md#gopher_quality gives the order.</summary>
public static class GopherQualityRules
{
    public const string Stage = "gopher_quality";

    public static string? Check(ReadOnlySpan<char> text, GopherQualityOptions o, StopWordTable stopWords, List<Range> tokens, List<Range> lines)
    {
        WordTokenizer.Tokenize(text, tokens);
        int nWords = tokens.Count;
        int nonSymbol = 0;
        long nonSymbolChars = 0;
        int alphaWords = 0;
        ulong stopSeen = 0;
        // Code points equal UTF-16 units unless the text has surrogate pairs (rare): check once.
        bool surrogates = text.ContainsAnyInRange('\uD800', '\uDFFF');
        foreach (var r in tokens)
        {
            var w = text[r];
            char c0 = w[0];
            bool asciiLetterStart = char.IsAsciiLetter(c0);
            if (asciiLetterStart || !Punctuation.AllPunctuation(w)) { nonSymbol++; nonSymbolChars += surrogates ? PyText.Len(w) : w.Length; }
            if (asciiLetterStart || PyText.AnyAlpha(w)) alphaWords++;
            if (o.MinStopWords is not null && stopWords.Find(w) is int bit and >= 0) stopSeen |= 1UL << bit;
        }
        if (o.MinDocWords is { } minW && nonSymbol < minW) return Stage + ".min_doc_words";
        if (o.MaxDocWords is { } maxW && nonSymbol > maxW) return Stage + ".max_doc_words";
        if (nonSymbol > 0)
        {
            // numpy's mean of an empty list is NaN, which fails no comparison: hence the guard.
            double avg = (double)nonSymbolChars / nonSymbol;
            if (o.MinAvgWordLength is { } minA && avg < minA) return Stage + ".min_avg_word_length";
            if (o.MaxAvgWordLength is { } maxA && avg > maxA) return Stage + ".max_avg_word_length";
        }
        if (nWords > 0 && o.MaxSymbolWordRatio is { } sym)
        {
            if ((double)PyText.Count(text, "#") / nWords > sym) return Stage + ".hash_ratio";
            if ((double)(PyText.Count(text, "...") + PyText.Count(text, "…")) / nWords > sym) return Stage + ".ellipsis_ratio";
        }
        PyText.SplitLines(text, lines);
        if (lines.Count > 0)
        {
            if (o.MaxBulletLinesRatio is { } bul)
            {
                int bullets = 0;
                foreach (var l in lines)
                {
                    var s = PyText.LStrip(text[l]);
                    if (s.Length > 0 && s[0] is '•' or '-') bullets++;
                }
                if ((double)bullets / lines.Count > bul) return Stage + ".bullet_lines";
            }
            if (o.MaxEllipsisLinesRatio is { } ell)
            {
                int ellipsis = 0;
                foreach (var l in lines)
                {
                    var s = PyText.RStrip(text[l]);
                    if (s.EndsWith("...") || s.EndsWith("…")) ellipsis++;
                }
                if ((double)ellipsis / lines.Count > ell) return Stage + ".ellipsis_lines";
            }
        }
        if (nWords > 0 && o.MaxNonAlphaWordsRatio is { } alpha && (double)alphaWords / nWords < alpha) return Stage + ".non_alpha_words";
        if (o.MinStopWords is { } minS && System.Numerics.BitOperations.PopCount(stopSeen) < minS) return Stage + ".stop_words";
        return null;
    }
}

[Stage("gopher_quality", StageShape.Map, "Gopher quality rules: word count, mean word length, symbol ratios, bullet and ellipsis lines, alphabetic words, stop words (as datatrove).")]
public sealed class GopherQualityStage : TextRuleStage
{
    readonly GopherQualityOptions _options;
    readonly StopWordTable _stopWords;

    public GopherQualityStage(GopherQualityOptions options, StageInit init) : base(init)
    {
        _options = options;
        var distinct = options.StopWords.Distinct(StringComparer.Ordinal).ToList();
        if (distinct.Count > 64) throw new DataForge.Configuration.OptionException("stop_words", $"expected at most 64 stop words, found {distinct.Count}");
        _stopWords = new StopWordTable(distinct);
    }

    [ThreadStatic] static List<Range>? _tokens, _lines;

    protected override string? Check(ReadOnlySpan<char> text, DocumentBatch batch, int row, StageContext context)
        => GopherQualityRules.Check(text, _options, _stopWords, _tokens ??= [], _lines ??= []);
}

/// <summary>
/// Stop-word lookup without hashing: candidates are bucketed by length and first character, and a
/// token is compared only with the few words in its bucket. Each distinct word gets a bit (at most 64).
/// </summary>
public sealed class StopWordTable
{
    readonly (string Word, int Bit)[]?[] _buckets = new (string, int)[]?[32 * 128];
    readonly List<(string Word, int Bit)> _other = [];

    public StopWordTable(IEnumerable<string> words)
    {
        var lists = new Dictionary<int, List<(string, int)>>();
        int bit = -1;
        foreach (var w in words.Distinct(StringComparer.Ordinal))
        {
            bit++;
            if (w.Length is > 0 and < 32 && w[0] < 128)
            {
                int key = w.Length * 128 + w[0];
                if (!lists.TryGetValue(key, out var l)) lists[key] = l = [];
                l.Add((w, bit));
            }
            else _other.Add((w, bit));
        }
        foreach (var (key, l) in lists) _buckets[key] = [.. l];
    }

    /// <summary>The bit of the stop word equal to <paramref name="token"/>, or -1.</summary>
    public int Find(ReadOnlySpan<char> token)
    {
        if (token.Length is > 0 and < 32 && token[0] < 128)
        {
            var bucket = _buckets[token.Length * 128 + token[0]];
            if (bucket is not null)
                foreach (var (w, bit) in bucket)
                    if (token.SequenceEqual(w)) return bit;
            if (_other.Count == 0) return -1;
        }
        foreach (var (w, bit) in _other)
            if (token.SequenceEqual(w)) return bit;
        return -1;
    }
}
