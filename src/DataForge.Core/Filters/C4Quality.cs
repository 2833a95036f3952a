using System.Text;
using System.Text.RegularExpressions;
using DataForge.Documents;
using DataForge.Execution;
using DataForge.Stages;
using DataForge.Text;
using DataForge.Configuration;

namespace DataForge.Filters;

public sealed record C4QualityOptions
{
    [Option("Drop Wikipedia-style citations [1], [edit], [citation needed] from lines.")]
    public bool RemoveCitations { get; init; } = true;

    [Option("Drop lines that do not end in . ? ! \" ' (or that end in ...).")]
    public bool FilterNoTerminalPunct { get; init; } = true;

    [Option("Drop the document when the kept lines hold fewer sentences (-1 disables).", Min = -1)]
    public int MinNumSentences { get; init; } = 5;

    [Option("Drop lines with fewer words (-1 disables).", Min = -1)]
    public int MinWordsPerLine { get; init; } = 3;

    [Option("Drop lines with a word longer than this (-1 disables).", Min = -1)]
    public int MaxWordLength { get; init; } = 1000;

    [Option("Drop the document if a kept line contains \"lorem ipsum\".")]
    public bool FilterLoremIpsum { get; init; } = true;

    [Option("Drop lines containing \"javascript\" (any case).")]
    public bool FilterJavascript { get; init; } = true;

    [Option("Drop the document if a kept line contains '{'.")]
    public bool FilterCurlyBracket { get; init; } = true;

    [Option("Drop lines with cookie, privacy-policy or terms-of-use notices.")]
    public bool FilterPolicy { get; init; } = true;
}

/// <summary>The C4 line-level rules (Raffel et al. 2020) as datatrove implements them; docs/reference.md#c4_quality gives the order.</summary>
public static class C4QualityRules
{
    public const string Stage = "c4_quality";
    static readonly Regex Citation = new(@"\[\d*]|\[edit]|\[citation needed]", RegexOptions.CultureInvariant | RegexOptions.Compiled);
    static readonly string[] Policy = ["terms of use", "privacy policy", "cookie policy", "uses cookies", "use of cookies", "use cookies"];
    // One vectorised multi-substring search finds any phrase a line rule looks for.
    static readonly System.Buffers.SearchValues<string> Phrases = System.Buffers.SearchValues.Create(
        [.. Policy, "lorem ipsum", "javascript"], StringComparison.OrdinalIgnoreCase);

    /// <summary>Line counters, for stats.</summary>
    public record struct LineCounts(int TooLongWord, int NoTerminalPunct, int TooFewWords, int Javascript, int Policy, int Kept);

    /// <summary>Returns the drop reason, or null with the rewritten text in <paramref name="kept"/>.</summary>
    public static string? Apply(ReadOnlySpan<char> text, C4QualityOptions o, StringBuilder kept, List<Range> lines, List<Range> scratch, ref LineCounts counts)
    {
        kept.Clear();
        PyText.SplitLines(text, lines);
        int sentences = 0;
        bool first = true;
        foreach (var r in lines)
        {
            var line = PyText.Strip(text[r]);
            var original = line;
            // No word can be longer than its line: only long lines need the word scan.
            if (o.MaxWordLength != -1 && line.Length > o.MaxWordLength && PyText.WordStats(line).Longest > o.MaxWordLength) { counts.TooLongWord++; continue; }
            string? rewritten = null;
            if (o.RemoveCitations && line.IndexOf('[') >= 0)
            {
                rewritten = Citation.Replace(line.ToString(), "");
                line = rewritten;
            }
            if (o.FilterNoTerminalPunct && (!(line.EndsWith(".") || line.EndsWith("?") || line.EndsWith("!") || line.EndsWith("\"") || line.EndsWith("'")) || line.EndsWith("...")))
            {
                counts.NoTerminalPunct++;
                continue;
            }
            // Words of the line before citations were removed, as datatrove counts them.
            if (o.MinWordsPerLine > 0 && PyText.CountWords(original, o.MinWordsPerLine) < o.MinWordsPerLine) { counts.TooFewWords++; continue; }
            bool anyPhrase = line.ContainsAny(Phrases);
            if (anyPhrase && o.FilterLoremIpsum && line.Contains("lorem ipsum", StringComparison.OrdinalIgnoreCase)) return Stage + ".lorem_ipsum";
            if (anyPhrase && o.FilterJavascript && line.Contains("javascript", StringComparison.OrdinalIgnoreCase)) { counts.Javascript++; continue; }
            if (o.FilterCurlyBracket && line.Contains('{')) return Stage + ".curly_bracket";
            if (anyPhrase && o.FilterPolicy && ContainsPolicy(line)) { counts.Policy++; continue; }
            // The count is only compared with min_num_sentences: once reached, later lines need not be split.
            if (sentences < o.MinNumSentences) sentences += WordTokenizer.CountSentences(line, scratch);
            if (!first) kept.Append('\n');
            kept.Append(line);
            first = false;
            counts.Kept++;
        }
        if (sentences < o.MinNumSentences) return Stage + ".too_few_sentences";
        return null;
    }

    static bool ContainsPolicy(ReadOnlySpan<char> line)
    {
        foreach (var p in Policy) if (line.Contains(p, StringComparison.OrdinalIgnoreCase)) return true;
        return false;
    }
}

/// <summary>Line-level rewrite: keeps the lines that pass, joined by '\n'; some rules drop the whole document.</summary>
[Stage("c4_quality", StageShape.Map, "C4 rules: keeps lines ending in terminal punctuation with enough words, drops javascript and policy lines, citations; drops documents with lorem ipsum, '{' or too few sentences (as datatrove).")]
public sealed class C4QualityStage(C4QualityOptions options, StageInit init) : MapStage(init), IMaskedStage
{
    [ThreadStatic] static StringBuilder? _kept;
    [ThreadStatic] static List<Range>? _lines, _scratch;

    public override DocumentBatch Process(DocumentBatch batch, StageContext context) => MaskedStage.Run(this, batch, context);

    public DocumentBatch ProcessMasked(DocumentBatch batch, bool[] alive, StageContext context)
    {
        var text = new Utf8ColumnBuilder(batch.Length, (int)Math.Min(int.MaxValue, batch.TextBytes + 64));
        var counts = new C4QualityRules.LineCounts();
        var kept = _kept ??= new StringBuilder();
        for (int i = 0; i < batch.Length; i++)
        {
            // Rows dropped earlier are left empty: they are removed before anything reads them.
            if (!alive[i]) { text.Append(ReadOnlySpan<byte>.Empty); continue; }
            var chars = TextRuleStage.Decode(batch.GetText(i));
            string? reason = C4QualityRules.Apply(chars, options, kept, _lines ??= [], _scratch ??= [], ref counts);
            if (reason is not null)
            {
                context.Drop(batch, i, reason);
                alive[i] = false;
                text.Append(ReadOnlySpan<byte>.Empty);
                continue;
            }
            var chunks = kept.GetChunks();
            var dest = text.Reserve(Encoding.UTF8.GetMaxByteCount(kept.Length));
            int n = 0;
            foreach (var chunk in chunks) n += Encoding.UTF8.GetBytes(chunk.Span, dest[n..]);
            text.Commit(n);
        }
        context.Count("c4_quality.lines_kept", counts.Kept);
        context.Count("c4_quality.lines_dropped.too_long_word", counts.TooLongWord);
        context.Count("c4_quality.lines_dropped.no_terminal_punct", counts.NoTerminalPunct);
        context.Count("c4_quality.lines_dropped.too_few_words", counts.TooFewWords);
        context.Count("c4_quality.lines_dropped.javascript", counts.Javascript);
        context.Count("c4_quality.lines_dropped.policy", counts.Policy);
        return batch.WithColumn(Columns.Text, text.Build());
    }
}
