using DataForge.Documents;
using DataForge.Execution;
using DataForge.Stages;
using DataForge.Text;
using DataForge.Configuration;

namespace DataForge.Filters;

public sealed record FineWebQualityOptions
{
    [Option("Documents whose share of lines ending in terminal punctuation is below this are dropped.", Min = 0, Max = 1)]
    public double LinePunctThr { get; init; } = 0.12;

    [Option("Do not apply line_punct_thr to documents with no terminated line at all.")]
    public bool LinePunctExcludeZero { get; init; }

    [Option("Documents whose share of short lines is above this are dropped.", Min = 0, Max = 1)]
    public double ShortLineThr { get; init; } = 0.67;

    [Option("A line of at most this many characters is short.", Min = 0)]
    public int ShortLineLength { get; init; } = 30;

    [Option("Documents whose characters in duplicated lines, over the text length without newlines, exceed this are dropped.", Min = 0, Max = 1)]
    public double CharDuplicatesRatio { get; init; } = 0.01;

    [Option("Documents with more newlines per word than this are dropped (lists).", Min = 0)]
    public double NewLineRatio { get; init; } = 0.3;
}

/// <summary>The FineWeb rules (Penedo et al. 2024) as datatrove implements them (docs/reference.md#fineweb_quality).</summary>
public static class FineWebQualityRules
{
    public const string Stage = "fineweb_quality";

    public static string? Check(ReadOnlySpan<char> text, FineWebQualityOptions o, List<Range> parts, List<Range> lines, List<Range> tokens, UInt64Counter seen)
    {
        PyText.Split(text, '\n', parts);
        lines.Clear();
        foreach (var r in parts) if (!PyText.Strip(text[r]).IsEmpty) lines.Add(r);
        if (lines.Count == 0) return Stage + ".empty";
        int terminated = 0, shortLines = 0;
        foreach (var r in lines)
        {
            var l = text[r];
            if (Punctuation.IsSentenceTerminal(l[^1])) terminated++;
            if (PyText.Len(l) <= o.ShortLineLength) shortLines++;
        }
        double ratio = (double)terminated / lines.Count;
        if (ratio < o.LinePunctThr && !(ratio == 0 && o.LinePunctExcludeZero)) return Stage + ".line_punct_ratio";
        if ((double)shortLines / lines.Count > o.ShortLineThr) return Stage + ".short_line_ratio";
        seen.Reset(lines.Count);
        long dupChars = 0;
        foreach (var r in lines)
        {
            var l = text[r];
            ulong h = System.IO.Hashing.XxHash3.HashToUInt64(System.Runtime.InteropServices.MemoryMarshal.AsBytes(l)) ^ (ulong)l.Length;
            if (!seen.Add(h)) dupChars += PyText.Len(l);
        }
        int newlines = text.Count('\n');
        int lengthWithoutNewlines = PyText.Len(text) - newlines;
        if (lengthWithoutNewlines > 0 && (double)dupChars / lengthWithoutNewlines > o.CharDuplicatesRatio) return Stage + ".char_dup_ratio";
        // Every whitespace-separated chunk yields at least one token, so the chunk count bounds the
        // ratio from above: only documents that could fail need the tokenizer.
        int chunks = PyText.CountWords(text);
        if (chunks == 0 || (double)newlines / chunks <= o.NewLineRatio) return null;
        WordTokenizer.Tokenize(text, tokens);
        if (tokens.Count > 0 && (double)newlines / tokens.Count > o.NewLineRatio) return Stage + ".list_ratio";
        return null;
    }
}

[Stage("fineweb_quality", StageShape.Map, "FineWeb rules: terminal-punctuation line share, short-line share, duplicated-line characters, newlines per word (as datatrove).")]
public sealed class FineWebQualityStage(FineWebQualityOptions options, StageInit init) : TextRuleStage(init)
{
    [ThreadStatic] static List<Range>? _parts, _lines, _tokens;
    [ThreadStatic] static UInt64Counter? _seen;

    protected override string? Check(ReadOnlySpan<char> text, DocumentBatch batch, int row, StageContext context)
        => FineWebQualityRules.Check(text, options, _parts ??= [], _lines ??= [], _tokens ??= [], _seen ??= new UInt64Counter());
}
