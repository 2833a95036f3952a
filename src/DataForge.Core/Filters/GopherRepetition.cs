using System.IO.Hashing;
using System.Runtime.InteropServices;
using DataForge.Documents;
using DataForge.Execution;
using DataForge.Pipelines;
using DataForge.Stages;
using DataForge.Text;

namespace DataForge.Filters;

public sealed class GopherRepetitionOptions : IValidatableOptions
{
    [Option("Largest share of duplicate lines (null disables).", Min = 0, Max = 1)]
    public double? DupLineFrac { get; init; } = 0.3;

    [Option("Largest share of duplicate paragraphs (null disables).", Min = 0, Max = 1)]
    public double? DupParaFrac { get; init; } = 0.3;

    [Option("Largest share of characters in duplicate lines (null disables).", Min = 0, Max = 1)]
    public double? DupLineCharFrac { get; init; } = 0.2;

    [Option("Largest share of characters in duplicate paragraphs (null disables).", Min = 0, Max = 1)]
    public double? DupParaCharFrac { get; init; } = 0.2;

    [Option("[n, fraction] pairs: the most frequent word n-gram's characters times its count, over the text length, may not exceed the fraction.")]
    public List<List<double>> TopNGrams { get; init; } = [[2, 0.2], [3, 0.18], [4, 0.16]];

    [Option("[n, fraction] pairs: characters in repeated word n-grams (counted left to right, skipping n words after a repeat) over the text length may not exceed the fraction.")]
    public List<List<double>> DupNGrams { get; init; } = [[5, 0.15], [6, 0.14], [7, 0.13], [8, 0.12], [9, 0.11], [10, 0.10]];

    public void Validate(OptionsValidation v)
    {
        foreach (var (name, list) in new[] { ("top_n_grams", TopNGrams), ("dup_n_grams", DupNGrams) })
            foreach (var pair in list)
                if (pair.Count != 2 || pair[0] < 1 || pair[0] != Math.Floor(pair[0]) || pair[1] < 0 || pair[1] > 1)
                    v.Error(name, "expected [n, fraction] pairs with an integer n >= 1 and 0 <= fraction <= 1");
    }
}

/// <summary>Per-thread buffers of the repetition rules.</summary>
public sealed class RepetitionScratch
{
    public readonly List<Range> Tokens = [];
    public readonly List<Range> Parts = [];
    public readonly UInt64Counter Counter = new();
    public ulong[] Joined = new ulong[1024], Spaced = new ulong[1024], Pow = new ulong[1024];
    public int PowReady = 1;
    public int[] Start = new int[256], CpStart = new int[256];
}

/// <summary>The Gopher repetition rules as datatrove implements them (SPEC.md, gopher_repetition).</summary>
public static class GopherRepetitionRules
{
    public const string Stage = "gopher_repetition";
    const ulong Base = 0x9E3779B97F4A7C15UL | 1;

    public static string? Check(ReadOnlySpan<char> text, GopherRepetitionOptions o, RepetitionScratch s)
    {
        int textLen = PyText.Len(text);
        if (textLen == 0) return null;

        // Paragraphs: the stripped text split on runs of two or more newlines.
        var stripped = PyText.Strip(text);
        SplitOnNewlineRuns(stripped, 2, s.Parts);
        var (dups, dupChars) = Duplicates(stripped, s.Parts, s.Counter);
        if (o.DupParaFrac is { } pf && (double)dups / s.Parts.Count > pf) return Stage + ".dup_para_frac";
        if (o.DupParaCharFrac is { } pcf && (double)dupChars / textLen > pcf) return Stage + ".dup_para_char_frac";

        // Lines: the text split on runs of newlines (not stripped, as datatrove does).
        SplitOnNewlineRuns(text, 1, s.Parts);
        (dups, dupChars) = Duplicates(text, s.Parts, s.Counter);
        if (o.DupLineFrac is { } lf && (double)dups / s.Parts.Count > lf) return Stage + ".dup_line_frac";
        if (o.DupLineCharFrac is { } lcf && (double)dupChars / textLen > lcf) return Stage + ".dup_line_char_frac";

        WordTokenizer.Tokenize(text, s.Tokens);
        int nTok = s.Tokens.Count;
        if (nTok == 0) return null;
        PrefixHashes(text, s);
        foreach (var pair in o.TopNGrams)
        {
            int n = (int)pair[0];
            if (nTok < n) continue;
            s.Counter.Reset(nTok);
            int bestCount = 0, bestFirst = int.MaxValue;
            for (int i = 0; i + n <= nTok; i++)
            {
                int count = s.Counter.Increment(SpacedHash(s, i, n), i, out int first);
                // Counter.most_common(1): the highest count, and among equals the first seen.
                if (count > bestCount || (count == bestCount && first < bestFirst)) (bestCount, bestFirst) = (count, first);
            }
            int bestLen = s.CpStart[bestFirst + n] - s.CpStart[bestFirst] + (n - 1);
            if ((double)bestLen * bestCount / textLen > pair[1]) return $"{Stage}.top_{n}_gram";
        }
        foreach (var pair in o.DupNGrams)
        {
            int n = (int)pair[0];
            s.Counter.Reset(nTok);
            long repeated = 0;
            int idx = 0;
            while (idx < nTok - n + 1)
            {
                ulong h = JoinedHash(s, idx, n);
                if (!s.Counter.Add(h))
                {
                    repeated += s.CpStart[idx + n] - s.CpStart[idx];
                    idx += n;
                }
                else idx++;
            }
            if ((double)repeated / textLen > pair[1]) return $"{Stage}.duplicated_{n}_n_grams";
        }
        return null;
    }

    static void SplitOnNewlineRuns(ReadOnlySpan<char> text, int minRun, List<Range> parts)
    {
        parts.Clear();
        int start = 0, i = 0;
        while (i < text.Length)
        {
            if (text[i] != '\n') { i++; continue; }
            int j = i;
            while (j < text.Length && text[j] == '\n') j++;
            if (j - i >= minRun) { parts.Add(new Range(start, i)); start = j; }
            i = j;
        }
        parts.Add(new Range(start, text.Length));
    }

    static (int Elements, long Chars) Duplicates(ReadOnlySpan<char> text, List<Range> parts, UInt64Counter seen)
    {
        seen.Reset(parts.Count);
        int dups = 0;
        long chars = 0;
        foreach (var r in parts)
        {
            var p = text[r];
            ulong h = XxHash3.HashToUInt64(MemoryMarshal.AsBytes(p)) ^ ((ulong)p.Length * 0x9E3779B97F4A7C15UL);
            if (!seen.Add(h)) { dups++; chars += PyText.Len(p); }
        }
        return (dups, chars);
    }

    /// <summary>
    /// Polynomial prefix hashes over the tokens joined with nothing: the key of any n-gram string
    /// (joined with nothing, or composed with spaces) follows without building the string.
    /// </summary>
    static void PrefixHashes(ReadOnlySpan<char> text, RepetitionScratch s)
    {
        int nTok = s.Tokens.Count;
        int total = 0;
        foreach (var r in s.Tokens) total += r.End.Value - r.Start.Value;
        int cap = total + nTok + 2;
        if (s.Joined.Length < cap)
        {
            s.Joined = new ulong[cap * 2];
            s.Spaced = new ulong[cap * 2];
            var pow = new ulong[cap * 2];
            s.Pow.AsSpan(0, s.PowReady).CopyTo(pow);
            s.Pow = pow;
        }
        // Powers of the base are kept across documents and only extended.
        if (s.PowReady == 1) s.Pow[0] = 1;
        for (; s.PowReady < cap; s.PowReady++) s.Pow[s.PowReady] = s.Pow[s.PowReady - 1] * Base;
        if (s.Start.Length < nTok + 1) { s.Start = new int[(nTok + 1) * 2]; s.CpStart = new int[(nTok + 1) * 2]; }
        ulong hj = 0, hs = 0;
        int js = 0, cp = 0;
        s.Joined[0] = 0;
        s.Spaced[0] = 0;
        for (int t = 0; t < nTok; t++)
        {
            s.Start[t] = js;
            s.CpStart[t] = cp;
            if (t > 0)
            {
                // The spaced stream has a ' ' before every token but the first; token t starts at js + t.
                hs = hs * Base + ' ' + 1;
                s.Spaced[js + t] = hs;
            }
            var tok = text[s.Tokens[t]];
            foreach (char c in tok)
            {
                hj = hj * Base + c + 1;
                hs = hs * Base + c + 1;
                js++;
                s.Joined[js] = hj;
                s.Spaced[js + t] = hs;
                if (!char.IsLowSurrogate(c)) cp++;
            }
        }
        s.Start[nTok] = js;
        s.CpStart[nTok] = cp;
    }

    static ulong JoinedHash(RepetitionScratch s, int i, int n)
    {
        int a = s.Start[i], b = s.Start[i + n];
        return (s.Joined[b] - s.Joined[a] * s.Pow[b - a]) ^ ((ulong)(b - a) << 40);
    }

    static ulong SpacedHash(RepetitionScratch s, int i, int n)
    {
        // In the spaced stream token t starts at Start[t] + t; the n-gram ends after token i+n-1.
        int a = s.Start[i] + i, b = s.Start[i + n] + (i + n - 1);
        return (s.Spaced[b] - s.Spaced[a] * s.Pow[b - a]) ^ ((ulong)(b - a) << 40);
    }
}

[Stage("gopher_repetition", StageShape.Map, "Gopher repetition rules: duplicate lines and paragraphs, top n-gram and duplicated n-gram character fractions (as datatrove).")]
public sealed class GopherRepetitionStage(GopherRepetitionOptions options, StageInit init) : TextRuleStage(init)
{
    [ThreadStatic] static RepetitionScratch? _scratch;

    protected override string? Check(ReadOnlySpan<char> text, DocumentBatch batch, int row, StageContext context)
        => GopherRepetitionRules.Check(text, options, _scratch ??= new RepetitionScratch());
}
