using DataForge.Documents;
using DataForge.Execution;
using DataForge.Stages;
using DataForge.Text;
using DataForge.Configuration;

namespace DataForge.Filters;

/// <summary>
/// Thresholds of the Chinese structure rules. Defaults are set so that well-formed prose (news,
/// essays, encyclopedic text) passes and the usual junk of Chinese crawls does not: menus and
/// navigation (many short lines, few terminated sentences), ads and spam (repeated punctuation
/// and characters), mixed-script garbage (few Han characters among letters).
/// </summary>
public sealed record ZhQualityOptions : IValidatableOptions
{
    [Option("Fewest Han characters: shorter texts carry too little to learn from.", Min = 0)]
    public int MinCjkChars { get; init; } = 50;

    [Option("Fewest sentences (split on 。！？； and their ASCII and full-width variants).", Min = 0)]
    public int MinSentences { get; init; } = 3;

    [Option("Smallest share of Han characters among all letters: below it the text is mostly another script.", Min = 0, Max = 1)]
    public double MinCjkRatio { get; init; } = 0.5;

    [Option("Smallest share of sentences that end in terminal punctuation: prose ends its sentences, menus and lists do not.", Min = 0, Max = 1)]
    public double MinTerminatedSentenceRatio { get; init; } = 0.5;

    [Option("Smallest mean sentence length in characters: fragments are shorter.", Min = 0)]
    public double MinMeanSentenceChars { get; init; } = 6;

    [Option("Largest mean sentence length in characters: unpunctuated dumps are longer.", Min = 1)]
    public double MaxMeanSentenceChars { get; init; } = 200;

    [Option("Longest single sentence in characters.", Min = 1)]
    public int MaxSentenceChars { get; init; } = 1000;

    [Option("Longest run of one punctuation mark (！！！！, 。。。。); ellipses …… count per character.", Min = 1)]
    public int MaxPunctuationRun { get; init; } = 6;

    [Option("Longest run of one repeated non-punctuation character (哈哈哈哈哈).", Min = 1)]
    public int MaxCharRun { get; init; } = 4;

    [Option("Largest share of non-empty lines that are short fragments (menus, navigation).", Min = 0, Max = 1)]
    public double MaxShortLineRatio { get; init; } = 0.5;

    [Option("A line with fewer characters than this is a short fragment.", Min = 1)]
    public int ShortLineChars { get; init; } = 10;

    public void Validate(OptionsValidation v) => v.Ordered("min_mean_sentence_chars", MinMeanSentenceChars, "max_mean_sentence_chars", MaxMeanSentenceChars);
}

/// <summary>Chinese documents judged by sentence structure (after MAP-NEO's Chinese cleaning).</summary>
public static class ZhQualityRules
{
    public const string Stage = "zh_quality";

    public static bool IsSentenceEnd(char c) => c is '。' or '！' or '？' or '；' or '!' or '?' or ';' or '．' or '｡';

    public static string? Check(ReadOnlySpan<char> text, ZhQualityOptions o)
    {
        int han = 0, letters = 0, sentences = 0, terminated = 0, sentenceChars = 0, longest = 0, current = 0;
        int lines = 0, shortLines = 0, lineChars = 0;
        int run = 1, maxPunctRun = 0, maxCharRun = 0;
        char prev = '\0';
        for (int i = 0; i <= text.Length; i++)
        {
            char c = i < text.Length ? text[i] : '\n';
            if (c == '\n')
            {
                if (current > 0) { sentences++; sentenceChars += current; longest = Math.Max(longest, current); current = 0; }
                if (lineChars > 0) { lines++; if (lineChars < o.ShortLineChars) shortLines++; }
                lineChars = 0;
                prev = c;
                run = 1;
                continue;
            }
            if (char.IsWhiteSpace(c)) { prev = c; run = 1; continue; }
            lineChars++;
            if (c == prev) run++; else run = 1;
            prev = c;
            bool punct = char.IsPunctuation(c) || char.IsSymbol(c);
            if (punct) maxPunctRun = Math.Max(maxPunctRun, run);
            else maxCharRun = Math.Max(maxCharRun, run);
            if (Scripts.IsHan(c)) { han++; letters++; }
            else if (char.IsLetter(c)) letters++;
            if (IsSentenceEnd(c))
            {
                // Consecutive terminators (？！) close one sentence.
                if (current > 0) { sentences++; terminated++; sentenceChars += current; longest = Math.Max(longest, current); current = 0; }
                continue;
            }
            current++;
        }
        if (han < o.MinCjkChars) return Stage + ".min_cjk_chars";
        if (letters > 0 && (double)han / letters < o.MinCjkRatio) return Stage + ".min_cjk_ratio";
        if (sentences < o.MinSentences) return Stage + ".min_sentences";
        if ((double)terminated / sentences < o.MinTerminatedSentenceRatio) return Stage + ".terminated_sentence_ratio";
        double mean = (double)sentenceChars / sentences;
        if (mean < o.MinMeanSentenceChars) return Stage + ".min_mean_sentence_chars";
        if (mean > o.MaxMeanSentenceChars) return Stage + ".max_mean_sentence_chars";
        if (longest > o.MaxSentenceChars) return Stage + ".max_sentence_chars";
        if (maxPunctRun > o.MaxPunctuationRun) return Stage + ".punctuation_run";
        if (maxCharRun > o.MaxCharRun) return Stage + ".char_run";
        if (lines > 0 && (double)shortLines / lines > o.MaxShortLineRatio) return Stage + ".short_line_ratio";
        return null;
    }
}

[Stage("zh_quality", StageShape.Map, "Chinese quality by sentence structure: Han character count and share, sentence count, terminated-sentence share, sentence lengths, repeated punctuation and characters, short-line share.")]
public sealed class ZhQualityStage(ZhQualityOptions options, StageInit init) : TextRuleStage(init)
{
    protected override string? Check(ReadOnlySpan<char> text, DocumentBatch batch, int row, StageContext context)
        => ZhQualityRules.Check(text, options);
}
