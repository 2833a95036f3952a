using System.Text;
using System.Text.RegularExpressions;
using DataForge.Determinism;
using DataForge.Documents;
using DataForge.Execution;
using DataForge.Pipelines;
using DataForge.Stages;
using DataForge.Configuration;

namespace DataForge.Synth;

public sealed class IdiomClozeOptions : IValidatableOptions
{
    [Option("Idiom lexicon file.", Required = true)]
    public string Lexicon { get; init; } = "";

    [Option("Lexicon format: \"lines\" (one idiom per line) or \"jieba\" (dict.txt 'word freq pos', keeping POS i).", AllowedValues = ["lines", "jieba"])]
    public string LexiconFormat { get; init; } = "lines";

    [Option("Most questions made from one document.", Min = 1)]
    public int MaxPerDocument { get; init; } = 3;

    [Option("Seed for choosing idioms, distractors and answer positions; default: the pipeline seed.", Min = 0)]
    public long? Seed { get; init; }

    [Option("Question template; placeholders {sentence}, {A}, {B}, {C}, {D}.")]
    public string Template { get; init; } = IdiomClozeRules.DefaultTemplate;

    [Option("Answer template appended after the question; placeholders {letter}, {answer}. Empty for questions without the answer.")]
    public string AnswerTemplate { get; init; } = "答案：{letter}. {answer}";

    [Option("Sentences longer than this many characters are not used.", Min = 8)]
    public int MaxSentenceChars { get; init; } = 300;

    [Option("Only documents from these sources are turned into questions; others pass through unchanged. Default: all.")]
    public List<string>? Sources { get; init; }

    public void Validate(OptionsValidation v)
    {
        if (!Template.Contains("{sentence}", StringComparison.Ordinal)) v.Error("template", "expected a template containing {sentence}");
        foreach (var bad in IdiomClozeRules.UnknownPlaceholders(Template, ["sentence", "A", "B", "C", "D"]))
            v.Error("template", $"unknown placeholder {{{bad}}}; expected {{sentence}}, {{A}}, {{B}}, {{C}}, {{D}}");
        foreach (var bad in IdiomClozeRules.UnknownPlaceholders(AnswerTemplate, ["letter", "answer"]))
            v.Error("answer_template", $"unknown placeholder {{{bad}}}; expected {{letter}}, {{answer}}");
    }
}

/// <summary>One cloze question.</summary>
public sealed record ClozeItem(string Sentence, string[] Options, int AnswerIndex, string Answer, int Start);

/// <summary>Idiom cloze rules (pure): sentence split, idiom matching, blanking, distractors.</summary>
public static partial class IdiomClozeRules
{
    public const string DefaultTemplate = "阅读下面的句子，选择最恰当的成语填入“__”处。\n{sentence}\nA. {A}\nB. {B}\nC. {C}\nD. {D}";

    public static IEnumerable<string> UnknownPlaceholders(string template, string[] known)
        => Placeholder().Matches(template).Select(m => m.Groups[1].Value).Where(n => Array.IndexOf(known, n) < 0).Distinct();

    [GeneratedRegex(@"\{([A-Za-z_]+)\}")]
    private static partial Regex Placeholder();

    static bool IsTerminator(char c) => c is '。' or '！' or '？' or '!' or '?' or '；' or '\n' or '…';

    /// <summary>Sentence spans (start, length), trimmed, each ending after its terminator(s).</summary>
    public static List<(int Start, int Length)> Sentences(ReadOnlySpan<char> text)
    {
        var list = new List<(int, int)>();
        int i = 0;
        while (i < text.Length)
        {
            int start = i;
            while (i < text.Length && !IsTerminator(text[i])) i++;
            while (i < text.Length && IsTerminator(text[i]) && text[i] != '\n') i++;
            // Closing quotes stay with their sentence.
            while (i < text.Length && text[i] is '”' or '」' or '’' or '）') i++;
            int end = i;
            if (i < text.Length && text[i] == '\n') i++;
            while (start < end && char.IsWhiteSpace(text[start])) start++;
            while (end > start && char.IsWhiteSpace(text[end - 1])) end--;
            if (end > start) list.Add((start, end - start));
        }
        return list;
    }

    /// <summary>Questions for one document, in document order, at most <paramref name="max"/>.</summary>
    public static List<ClozeItem> Make(string text, IdiomLexicon lex, int max, int maxSentenceChars, ref SplitMix64 rng, List<(int Start, int Pattern)> scratch)
    {
        scratch.Clear();
        lex.Matcher.FindAll(text, scratch);
        var result = new List<ClozeItem>();
        if (scratch.Count == 0) return result;
        scratch.Sort((a, b) => a.Start != b.Start ? a.Start.CompareTo(b.Start) : lex.Words[b.Pattern].Length.CompareTo(lex.Words[a.Pattern].Length));
        // Candidate blanks: non-overlapping occurrences (leftmost, longest) inside usable sentences.
        var candidates = new List<(int SentStart, int SentLen, int Start, int Pattern, HashSet<int> InSentence)>();
        int m = 0;
        foreach (var (ss, sl) in Sentences(text))
        {
            while (m < scratch.Count && scratch[m].Start < ss) m++;
            int first = m;
            var inSentence = new HashSet<int>();
            for (int k = first; k < scratch.Count && scratch[k].Start < ss + sl; k++)
                if (scratch[k].Start + lex.Words[scratch[k].Pattern].Length <= ss + sl) inSentence.Add(scratch[k].Pattern);
            if (inSentence.Count == 0 || sl > maxSentenceChars || text.AsSpan(ss, sl).Contains("__", StringComparison.Ordinal)) continue;
            int covered = -1;
            for (int k = first; k < scratch.Count && scratch[k].Start < ss + sl; k++)
            {
                var (st, p) = scratch[k];
                int end = st + lex.Words[p].Length;
                if (st < covered || end > ss + sl) continue;
                candidates.Add((ss, sl, st, p, inSentence));
                covered = end;
            }
        }
        if (candidates.Count == 0) return result;
        var order = Enumerable.Range(0, candidates.Count).ToList();
        rng.Shuffle(order, BoundedDraw.MultiplyHigh);
        var picked = new List<int>();
        foreach (int c in order)
        {
            if (picked.Count == max) break;
            picked.Add(c);
        }
        picked.Sort();
        foreach (int c in picked)
        {
            var (ss, sl, st, p, inSentence) = candidates[c];
            var distractors = lex.Distractors(p, inSentence, ref rng);
            if (distractors is null) continue;
            int k = rng.NextInt(4);
            var options = new string[4];
            options[k] = lex.Words[p];
            for (int i = 0, d = 0; i < 4; i++) if (i != k) options[i] = lex.Words[distractors[d++]];
            string sentence = string.Concat(text.AsSpan(ss, st - ss), "__", text.AsSpan(st + lex.Words[p].Length, ss + sl - st - lex.Words[p].Length));
            result.Add(new ClozeItem(sentence, options, k, lex.Words[p], st));
        }
        return result;
    }

    public static string Render(string template, ClozeItem item) => template
        .Replace("{sentence}", item.Sentence, StringComparison.Ordinal)
        .Replace("{A}", item.Options[0], StringComparison.Ordinal).Replace("{B}", item.Options[1], StringComparison.Ordinal)
        .Replace("{C}", item.Options[2], StringComparison.Ordinal).Replace("{D}", item.Options[3], StringComparison.Ordinal);

    public static string RenderAnswer(string template, ClozeItem item) => template
        .Replace("{letter}", ((char)('A' + item.AnswerIndex)).ToString(), StringComparison.Ordinal)
        .Replace("{answer}", item.Answer, StringComparison.Ordinal);
}

/// <summary>Selects the documents a synth stage works on (by source); the others pass through.</summary>
public sealed class SourceSelector(List<string>? sources)
{
    readonly byte[][]? _sources = sources?.Select(Encoding.UTF8.GetBytes).ToArray();

    public bool Applies(DocumentBatch batch, int row)
    {
        if (_sources is null) return true;
        var s = batch.Source.GetBytes(row);
        foreach (var x in _sources) if (s.SequenceEqual(x)) return true;
        return false;
    }

    /// <summary>Copies a document's core columns unchanged (for expand stages).</summary>
    public static void PassThrough(DocumentBatch batch, int row, DocumentBatchBuilder b)
        => b.Append(batch.Id.GetBytes(row), batch.GetText(row), batch.Source.GetBytes(row), batch.Url.GetBytes(row), batch.Lang.GetBytes(row), batch.Meta.GetBytes(row),
            hasUrl: !batch.Url.IsNull(row), hasLang: !batch.Lang.IsNull(row), hasMeta: !batch.Meta.IsNull(row));
}

/// <summary>Makes Chinese idiom cloze questions: one idiom of a sentence becomes "__" with four options.</summary>
[Stage("idiom_cloze", StageShape.Expand, "Turns sentences containing idioms from a lexicon into 4-option cloze questions (idiom replaced by __); meta holds the sentence, options, answer_index and answer.")]
public sealed class IdiomClozeStage : ExpandStage
{
    readonly IdiomClozeOptions _o;
    readonly IdiomLexicon _lex;
    readonly ulong _seed;
    readonly SourceSelector _select;

    public IdiomClozeStage(IdiomClozeOptions options, StageInit init) : base(init)
    {
        _o = options;
        _lex = IdiomLexicon.Load(init.ResolvePath(options.Lexicon), options.LexiconFormat);
        _seed = options.Seed is { } s ? (ulong)s : init.Seed;
        _select = new SourceSelector(options.Sources);
    }

    public IdiomLexicon Lexicon => _lex;

    public override DocumentBatch Expand(DocumentBatch batch, StageContext context)
    {
        var b = new DocumentBatchBuilder();
        var scratch = new List<(int, int)>();
        byte[] zh = "zh"u8.ToArray();
        for (int i = 0; i < batch.Length; i++)
        {
            if (!_select.Applies(batch, i)) { SourceSelector.PassThrough(batch, i, b); continue; }
            string id = batch.GetId(i);
            string text = batch.Text.GetString(i);
            var rng = new SplitMix64(Seeds.DeriveForKey(_seed, id));
            var items = IdiomClozeRules.Make(text, _lex, _o.MaxPerDocument, _o.MaxSentenceChars, ref rng, scratch);
            if (items.Count == 0) { context.Drop(batch, i, "idiom_cloze.no_idiom"); continue; }
            for (int q = 0; q < items.Count; q++)
            {
                var it = items[q];
                string prompt = IdiomClozeRules.Render(_o.Template, it);
                string response = IdiomClozeRules.RenderAnswer(_o.AnswerTemplate, it);
                var meta = SynthJson.Object(w =>
                {
                    w.WriteString("task", "idiom_cloze");
                    w.WriteString("sentence", it.Sentence);
                    w.WriteStartArray("options");
                    foreach (var o in it.Options) w.WriteStringValue(o);
                    w.WriteEndArray();
                    w.WriteNumber("answer_index", it.AnswerIndex);
                    w.WriteString("answer", it.Answer);
                    w.WriteString("source_id", id);
                    w.WriteString("prompt", prompt);
                    w.WriteString("response", response);
                });
                b.Append(Encoding.UTF8.GetBytes($"{id}/cloze-{q}"), Encoding.UTF8.GetBytes(response.Length == 0 ? prompt : prompt + "\n" + response),
                    batch.Source.GetBytes(i), batch.Url.GetBytes(i), zh, meta, hasUrl: !batch.Url.IsNull(i), hasLang: true, hasMeta: true);
            }
            context.Count("idiom_cloze.questions", items.Count);
        }
        return b.Build();
    }
}
