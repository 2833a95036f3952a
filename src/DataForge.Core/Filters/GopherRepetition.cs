using System.IO.Hashing;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using DataForge.Documents;
using DataForge.Execution;
using DataForge.Pipelines;
using DataForge.Stages;
using DataForge.Text;
using DataForge.Configuration;

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
    public ulong[] Joined = new ulong[1024], Pow = new ulong[1024], TokenPrefix = new ulong[256];
    public int PowReady = 1;
    public int[] Start = new int[256], CpStart = new int[256];
    // Position lists of the restricted n-gram passes, and marks of positions seen repeating.
    public int[] Candidates = new int[256], Repeating = new int[256], PrefixCandidates = new int[256];
    public bool[] Mark = new bool[256], PrefixRepeats = new bool[256];

    public void EnsurePositions(int nTok)
    {
        if (Candidates.Length >= nTok + 1) return;
        int size = (nTok + 1) * 2;
        Candidates = new int[size];
        Repeating = new int[size];
        PrefixCandidates = new int[size];
        Mark = new bool[size];
        PrefixRepeats = new bool[size];
    }
}

/// <summary>The Gopher repetition rules as datatrove implements them (docs/reference.md#gopher_repetition).</summary>
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
        s.EnsurePositions(nTok);
        if (TopNGrams(o, s, nTok, textLen) is { } top) return top;
        return DuplicatedNGrams(o, s, nTok, textLen);
    }

    /// <summary>
    /// Counter(" ".join(n-gram)).most_common(1) for each n. Tokens hold no spaces, so equal n-grams
    /// have equal tokens and an n-gram can only repeat where the shorter n-gram before it repeated:
    /// after the first pass over every position, each pass counts only the positions whose shorter
    /// n-gram repeated. If none of those repeats, every n-gram is unique and the first one is the top.
    /// </summary>
    static string? TopNGrams(GopherRepetitionOptions o, RepetitionScratch s, int nTok, int textLen)
    {
        int candidateN = 0, nCandidates = 0; // candidateN 0: no restriction yet
        foreach (var pair in o.TopNGrams)
        {
            int n = (int)pair[0];
            if (nTok < n) continue;
            bool restricted = candidateN > 0 && candidateN <= n;
            int count = restricted ? nCandidates : nTok - n + 1;
            s.Counter.Reset(count);
            int bestCount = 0, bestFirst = int.MaxValue;
            for (int k = 0; k < count; k++)
            {
                int i = restricted ? s.Candidates[k] : k;
                if (i + n > nTok) break; // candidates ascend
                int c = s.Counter.Increment(SpacedHash(s, i, n), i, out int first);
                if (c == 2) s.Mark[first] = true;
                if (c >= 2) s.Mark[i] = true;
                // Counter.most_common(1): the highest count, and among equals the first seen.
                if (c > bestCount || (c == bestCount && first < bestFirst)) (bestCount, bestFirst) = (c, first);
            }
            if (bestCount <= 1) (bestCount, bestFirst) = (1, 0);
            nCandidates = Collect(s, restricted ? s.Candidates.AsSpan(0, count) : default, count, s.Repeating);
            (s.Candidates, s.Repeating) = (s.Repeating, s.Candidates);
            candidateN = n;
            int bestLen = s.CpStart[bestFirst + n] - s.CpStart[bestFirst] + (n - 1);
            if ((double)bestLen * bestCount / textLen > pair[1]) return $"{Stage}.top_{n}_gram";
        }
        return null;
    }

    /// <summary>Characters a joined n-gram must have for its first <see cref="PrefixChars"/> to decide candidacy.</summary>
    const int PrefixChars = 12;

    /// <summary>
    /// datatrove's find_all_duplicate for each n: left to right, a joined n-gram seen before adds its
    /// characters and skips n words. Only n-grams that occur twice anywhere can ever be "seen before",
    /// and the walk passes every other position one word at a time, so the walk visits just the
    /// repeating positions. Those are found without a full pass per n: two equal joined n-grams of
    /// at least <see cref="PrefixChars"/> characters start with the same <see cref="PrefixChars"/>
    /// characters, so one pass over prefix keys leaves the candidates (plus the rare short n-grams).
    /// </summary>
    static string? DuplicatedNGrams(GopherRepetitionOptions o, RepetitionScratch s, int nTok, int textLen)
    {
        if (o.DupNGrams.Count == 0) return null;
        int minN = int.MaxValue;
        foreach (var pair in o.DupNGrams) minN = Math.Min(minN, (int)pair[0]);
        if (nTok < minN) return null;
        int total = s.Start[nTok];
        // Prefix keys of the joined stream at each word start (marks left by the previous document cleared first).
        Array.Clear(s.PrefixRepeats, 0, nTok + 1);
        s.Counter.Reset(nTok);
        for (int i = 0; i < nTok; i++)
        {
            int a = s.Start[i];
            if (a + PrefixChars > total) break; // word starts ascend
            int c = s.Counter.Increment(StreamHash(s.Joined, s.Pow, a, a + PrefixChars), i, out int first);
            if (c == 2) s.PrefixRepeats[first] = true;
            if (c >= 2) s.PrefixRepeats[i] = true;
        }
        // Positions worth counting for any n >= minN: a repeated prefix, or an n-gram shorter than the prefix.
        int nPrefixCandidates = 0;
        for (int i = 0; i + minN <= nTok; i++)
            if (s.PrefixRepeats[i] || s.Start[i + minN] - s.Start[i] < PrefixChars) s.PrefixCandidates[nPrefixCandidates++] = i;
        foreach (var pair in o.DupNGrams)
        {
            int n = (int)pair[0];
            long repeated = 0;
            if (nTok >= n)
            {
                s.Counter.Reset(nPrefixCandidates);
                int nCandidates = 0;
                for (int k = 0; k < nPrefixCandidates; k++)
                {
                    int i = s.PrefixCandidates[k];
                    if (i + n > nTok) break;
                    if (!s.PrefixRepeats[i] && s.Start[i + n] - s.Start[i] >= PrefixChars) continue;
                    s.Candidates[nCandidates++] = i;
                    int c = s.Counter.Increment(JoinedHash(s, i, n), i, out int first);
                    if (c == 2) s.Mark[first] = true;
                    if (c >= 2) s.Mark[i] = true;
                }
                int nRepeating = Collect(s, s.Candidates.AsSpan(0, nCandidates), nCandidates, s.Repeating);
                s.Counter.Reset(nRepeating);
                int idx = 0;
                for (int k = 0; k < nRepeating; k++)
                {
                    int i = s.Repeating[k];
                    if (i < idx) continue; // inside a skipped n-gram
                    if (!s.Counter.Add(JoinedHash(s, i, n)))
                    {
                        repeated += s.CpStart[i + n] - s.CpStart[i];
                        idx = i + n;
                    }
                    else idx = i + 1;
                }
            }
            if ((double)repeated / textLen > pair[1]) return $"{Stage}.duplicated_{n}_n_grams";
        }
        return null;
    }

    /// <summary>Moves the marked positions (ascending) into <paramref name="into"/> and clears their marks.</summary>
    static int Collect(RepetitionScratch s, ReadOnlySpan<int> positions, int count, int[] into)
    {
        int m = 0;
        for (int k = 0; k < count; k++)
        {
            int i = positions.IsEmpty ? k : positions[k];
            if (s.Mark[i]) { into[m++] = i; s.Mark[i] = false; }
        }
        return m;
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
    /// Polynomial prefix hashes over the tokens joined with nothing (the key of any joined n-gram
    /// follows without building the string) and over the sequence of token keys (tokens hold no
    /// spaces, so equal space-joined n-grams are exactly equal token sequences).
    /// </summary>
    static void PrefixHashes(ReadOnlySpan<char> text, RepetitionScratch s)
    {
        int nTok = s.Tokens.Count;
        int total = 0;
        foreach (var r in s.Tokens) total += r.End.Value - r.Start.Value;
        int cap = Math.Max(total, nTok) + 2;
        if (s.Joined.Length < cap)
        {
            s.Joined = new ulong[cap * 2];
            var pow = new ulong[cap * 2];
            s.Pow.AsSpan(0, s.PowReady).CopyTo(pow);
            s.Pow = pow;
        }
        // Powers of the base are kept across documents and only extended.
        if (s.PowReady == 1) s.Pow[0] = 1;
        for (; s.PowReady < cap; s.PowReady++) s.Pow[s.PowReady] = s.Pow[s.PowReady - 1] * Base;
        if (s.Start.Length < nTok + 1) { s.Start = new int[(nTok + 1) * 2]; s.CpStart = new int[(nTok + 1) * 2]; s.TokenPrefix = new ulong[(nTok + 1) * 2]; }
        // Code points equal UTF-16 units unless the text has surrogate pairs (rare): check once.
        bool surrogates = text.ContainsAnyInRange('\uD800', '\uDFFF');
        var joined = s.Joined;
        ulong hj = 0, ht = 0;
        int js = 0, cp = 0;
        joined[0] = 0;
        s.TokenPrefix[0] = 0;
        for (int t = 0; t < nTok; t++)
        {
            s.Start[t] = js;
            s.CpStart[t] = surrogates ? cp : js;
            int tokenStart = js;
            foreach (char c in text[s.Tokens[t]])
            {
                hj = hj * Base + c + 1;
                joined[++js] = hj;
                if (surrogates && !char.IsLowSurrogate(c)) cp++;
            }
            ht = ht * Base + StreamHash(joined, s.Pow, tokenStart, js);
            s.TokenPrefix[t + 1] = ht;
        }
        s.Start[nTok] = js;
        s.CpStart[nTok] = surrogates ? cp : js;
    }

    /// <summary>Key of the characters [a, b) of a stream from its prefix hashes (length mixed in).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    static ulong StreamHash(ulong[] prefix, ulong[] pow, int a, int b) => (prefix[b] - prefix[a] * pow[b - a]) ^ ((ulong)(b - a) << 40);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    static ulong JoinedHash(RepetitionScratch s, int i, int n) => StreamHash(s.Joined, s.Pow, s.Start[i], s.Start[i + n]);

    /// <summary>Key of the token sequence i..i+n-1 (that is, of the n-gram joined with spaces).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    static ulong SpacedHash(RepetitionScratch s, int i, int n) => StreamHash(s.TokenPrefix, s.Pow, i, i + n);
}

[Stage("gopher_repetition", StageShape.Map, "Gopher repetition rules: duplicate lines and paragraphs, top n-gram and duplicated n-gram character fractions (as datatrove).")]
public sealed class GopherRepetitionStage(GopherRepetitionOptions options, StageInit init) : TextRuleStage(init)
{
    [ThreadStatic] static RepetitionScratch? _scratch;

    protected override string? Check(ReadOnlySpan<char> text, DocumentBatch batch, int row, StageContext context)
        => GopherRepetitionRules.Check(text, options, _scratch ??= new RepetitionScratch());
}
