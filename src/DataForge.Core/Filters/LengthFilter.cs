using DataForge.Documents;
using DataForge.Execution;
using DataForge.Stages;
using DataForge.Text;
using DataForge.Configuration;

namespace DataForge.Filters;

public sealed class LengthFilterOptions : IValidatableOptions
{
    [Option("Fewest characters (Unicode scalar values) a document may have.", Min = 0)]
    public long? MinChars { get; init; }

    [Option("Most characters a document may have.", Min = 0)]
    public long? MaxChars { get; init; }

    [Option("Fewest words (whitespace-separated; each CJK character counts as a word).", Min = 0)]
    public long? MinWords { get; init; }

    [Option("Most words.", Min = 0)]
    public long? MaxWords { get; init; }

    [Option("Fewest lines.", Min = 0)]
    public long? MinLines { get; init; }

    [Option("Most lines.", Min = 0)]
    public long? MaxLines { get; init; }

    public void Validate(OptionsValidation v)
    {
        v.Ordered("min_chars", MinChars, "max_chars", MaxChars);
        v.Ordered("min_words", MinWords, "max_words", MaxWords);
        v.Ordered("min_lines", MinLines, "max_lines", MaxLines);
        if (MinChars is null && MaxChars is null && MinWords is null && MaxWords is null && MinLines is null && MaxLines is null)
            v.Error("min_chars", "expected at least one bound (min_chars, max_chars, min_words, max_words, min_lines or max_lines)");
    }
}

/// <summary>Pure length rules, shared by the stage and its tests.</summary>
public static class LengthRules
{
    /// <summary>The first violated bound as a drop reason, or null to keep.</summary>
    public static string? Check(ReadOnlySpan<byte> text, LengthFilterOptions o)
    {
        if (o.MinChars is not null || o.MaxChars is not null)
        {
            long c = TextMeasures.CharCount(text);
            if (c < o.MinChars) return "length_filter.min_chars";
            if (c > o.MaxChars) return "length_filter.max_chars";
        }
        if (o.MinWords is not null || o.MaxWords is not null)
        {
            long w = TextMeasures.WordCount(text);
            if (w < o.MinWords) return "length_filter.min_words";
            if (w > o.MaxWords) return "length_filter.max_words";
        }
        if (o.MinLines is not null || o.MaxLines is not null)
        {
            long l = TextMeasures.LineCount(text);
            if (l < o.MinLines) return "length_filter.min_lines";
            if (l > o.MaxLines) return "length_filter.max_lines";
        }
        return null;
    }
}

[Stage("length_filter", StageShape.Map, "Drops documents outside character, word or line count bounds (inclusive).")]
public sealed class LengthFilterStage(LengthFilterOptions options, StageInit init) : RowRuleStage(init)
{
    protected override string? Rule(DocumentBatch batch, int row, StageContext context) => LengthRules.Check(batch.GetText(row), options);
}
