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

    [Option("Least characters of context a question keeps besides its blank (white space and punctuation not counted); a short sentence takes its neighbours in the same paragraph until it has them.", Min = 0)]
    public int MinContextChars { get; init; } = 12;

    [Option("Longest question text (characters) when neighbour sentences are added for context.", Min = 8)]
    public int MaxContextChars { get; init; } = 160;

    [Option("mc: one blank, four options (A-D) per question; chid: a paragraph with one or more blanks, each with its own list of n_candidates idioms, as FewCLUE CHID.", AllowedValues = ["mc", "chid"])]
    public string Format { get; init; } = "mc";

    [Option("chid: candidates per blank (the answer and distractors), 7 as in CHID.", Min = 2, Max = 20)]
    public int NCandidates { get; init; } = 7;

    public void Validate(OptionsValidation v)
    {
        if (!Template.Contains("{sentence}", StringComparison.Ordinal)) v.Error("template", "expected a template containing {sentence}");
        foreach (var bad in IdiomClozeRules.UnknownPlaceholders(Template, ["sentence", "A", "B", "C", "D"]))
            v.Error("template", $"unknown placeholder {{{bad}}}; expected {{sentence}}, {{A}}, {{B}}, {{C}}, {{D}}");
        foreach (var bad in IdiomClozeRules.UnknownPlaceholders(AnswerTemplate, ["letter", "answer"]))
            v.Error("answer_template", $"unknown placeholder {{{bad}}}; expected {{letter}}, {{answer}}");
        if (MaxContextChars < MinContextChars) v.Error("max_context_chars", $"expected max_context_chars >= min_context_chars ({MinContextChars})");
    }
}

/// <summary>One cloze question: the passage with "__" for the idiom (the sentence, and its neighbours when it is short).</summary>
public sealed record ClozeItem(string Sentence, string[] Options, int AnswerIndex, string Answer, int Start, int ContextChars);

/// <summary>A CHID-style passage: blanks marked #idiom# in order, each with its candidates and the index of its answer.</summary>
public sealed record ChidItem(string Content, string[][] Candidates, int[] Answers, string[] Idioms, int ContextChars);

/// <summary>Why candidate blanks made no question (counted in stats, not as drops).</summary>
public sealed class ClozeSkips
{
    public int ShortContext;
    public int NoDistractors;
}

/// <summary>How much context a question needs and may take.</summary>
public readonly record struct ContextRule(int MinChars, int MaxChars);

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

    /// <summary>Characters that carry context: not white space, not punctuation or symbols.</summary>
    public static int ContextChars(ReadOnlySpan<char> s)
    {
        int n = 0;
        foreach (char c in s) if (!char.IsWhiteSpace(c) && !char.IsPunctuation(c) && !char.IsSymbol(c)) n++;
        return n;
    }

    /// <summary>Sentences with the paragraph (line) each belongs to.</summary>
    static List<(int Start, int Length, int Paragraph)> SentencesByParagraph(string text)
    {
        var list = new List<(int, int, int)>();
        int paragraph = 0, scanned = 0;
        foreach (var (st, len) in Sentences(text))
        {
            for (; scanned < st; scanned++) if (text[scanned] == '\n') paragraph++;
            list.Add((st, len, paragraph));
        }
        return list;
    }

    /// <summary>
    /// The passage a blank in sentence <paramref name="si"/> is asked in: the sentence, and while it has fewer than
    /// the rule's context characters, its neighbours in the same paragraph (the previous one first), as long as
    /// the passage stays within the rule's length and holds no "__". Returns the sentence range, or null.
    /// </summary>
    static (int First, int Last)? Passage(string text, List<(int Start, int Length, int Paragraph)> sentences, int si, int idiomLength, ContextRule rule)
    {
        int first = si, last = si;
        int Span(int a, int b) => sentences[b].Start + sentences[b].Length - sentences[a].Start;
        int Context(int a, int b) => ContextChars(text.AsSpan(sentences[a].Start, Span(a, b))) - idiomLength;
        bool Usable(int k) => k >= 0 && k < sentences.Count && sentences[k].Paragraph == sentences[si].Paragraph
            && !text.AsSpan(sentences[k].Start, sentences[k].Length).Contains("__", StringComparison.Ordinal);
        while (Context(first, last) < rule.MinChars)
        {
            if (Usable(first - 1) && Span(first - 1, last) <= rule.MaxChars) first--;
            else if (Usable(last + 1) && Span(first, last + 1) <= rule.MaxChars) last++;
            else return null;
        }
        return (first, last);
    }

    /// <summary>Idioms (lexicon ids) that occur whole inside [start, end): never distractors there.</summary>
    static HashSet<int> IdiomsIn(List<(int Start, int Pattern)> matches, IdiomLexicon lex, int start, int end)
    {
        var set = new HashSet<int>();
        foreach (var (st, p) in matches)
            if (st >= start && st + lex.Words[p].Length <= end) set.Add(p);
        return set;
    }

    /// <summary>Candidate blanks: non-overlapping occurrences (leftmost, longest) inside usable sentences, as (sentence, start, idiom).</summary>
    static List<(int Sentence, int Start, int Pattern)> Candidates(string text, IdiomLexicon lex, int maxSentenceChars,
        List<(int Start, int Length, int Paragraph)> sentences, List<(int Start, int Pattern)> matches)
    {
        var candidates = new List<(int, int, int)>();
        int m = 0;
        for (int si = 0; si < sentences.Count; si++)
        {
            var (ss, sl, _) = sentences[si];
            while (m < matches.Count && matches[m].Start < ss) m++;
            if (sl > maxSentenceChars || text.AsSpan(ss, sl).Contains("__", StringComparison.Ordinal)) continue;
            int covered = -1;
            for (int k = m; k < matches.Count && matches[k].Start < ss + sl; k++)
            {
                var (st, p) = matches[k];
                int end = st + lex.Words[p].Length;
                if (st < covered || end > ss + sl) continue;
                candidates.Add((si, st, p));
                covered = end;
            }
        }
        return candidates;
    }

    static List<(int Start, int Pattern)> Matches(string text, IdiomLexicon lex, List<(int Start, int Pattern)> scratch)
    {
        scratch.Clear();
        lex.Matcher.FindAll(text, scratch);
        scratch.Sort((a, b) => a.Start != b.Start ? a.Start.CompareTo(b.Start) : lex.Words[b.Pattern].Length.CompareTo(lex.Words[a.Pattern].Length));
        return scratch;
    }

    /// <summary>Options: the answer at a seeded position among distractors (null when the lexicon has too few).</summary>
    static (string[] Options, int Answer)? Options(IdiomLexicon lex, int pattern, IReadOnlySet<int> excluded, int count, ref SplitMix64 rng)
    {
        var distractors = lex.Distractors(pattern, excluded, ref rng, count - 1);
        if (distractors is null) return null;
        int k = rng.NextInt(count);
        var options = new string[count];
        options[k] = lex.Words[pattern];
        for (int i = 0, d = 0; i < count; i++) if (i != k) options[i] = lex.Words[distractors[d++]];
        return (options, k);
    }

    /// <summary>
    /// Questions for one document, in document order, at most <paramref name="max"/>, under a context rule;
    /// candidates without enough context or distractors are counted in <paramref name="skips"/>.
    /// </summary>
    public static List<ClozeItem> Make(string text, IdiomLexicon lex, int max, int maxSentenceChars, ContextRule rule, ref SplitMix64 rng,
        List<(int Start, int Pattern)> scratch, ClozeSkips skips)
    {
        var result = new List<ClozeItem>();
        var matches = Matches(text, lex, scratch);
        if (matches.Count == 0) return result;
        var sentences = SentencesByParagraph(text);
        var candidates = Candidates(text, lex, maxSentenceChars, sentences, matches);
        if (candidates.Count == 0) return result;
        var order = Enumerable.Range(0, candidates.Count).ToList();
        rng.Shuffle(order, BoundedDraw.MultiplyHigh);
        // Candidates are tried in a seeded order until max questions are made; questions come out in document order.
        var made = new SortedDictionary<int, ClozeItem>();
        foreach (int c in order)
        {
            if (made.Count == max) break;
            var (si, st, p) = candidates[c];
            int len = lex.Words[p].Length;
            if (Passage(text, sentences, si, ContextChars(lex.Words[p]), rule) is not var (first, last))
            {
                skips.ShortContext++;
                continue;
            }
            int ps = sentences[first].Start, pe = sentences[last].Start + sentences[last].Length;
            if (Options(lex, p, IdiomsIn(matches, lex, ps, pe), 4, ref rng) is not var (options, k))
            {
                skips.NoDistractors++;
                continue;
            }
            string passage = string.Concat(text.AsSpan(ps, st - ps), "__", text.AsSpan(st + len, pe - st - len));
            made[c] = new ClozeItem(passage, options, k, lex.Words[p], st, ContextChars(passage));
        }
        result.AddRange(made.Values);
        return result;
    }

    /// <summary>
    /// CHID-style passages: each paragraph with candidate idioms becomes one passage (clipped to the
    /// paragraph's sentences within <paramref name="maxPassageChars"/> around its first blank), with up to
    /// <paramref name="maxBlanks"/> idioms replaced by #idiom#, each with <paramref name="nCandidates"/> candidates
    /// that never occur in the passage.
    /// </summary>
    public static List<ChidItem> MakeChid(string text, IdiomLexicon lex, int maxBlanks, int nCandidates, int maxSentenceChars, ContextRule rule,
        ref SplitMix64 rng, List<(int Start, int Pattern)> scratch, ClozeSkips skips)
    {
        var result = new List<ChidItem>();
        var matches = Matches(text, lex, scratch);
        if (matches.Count == 0) return result;
        var sentences = SentencesByParagraph(text);
        var candidates = Candidates(text, lex, maxSentenceChars, sentences, matches);
        foreach (var paragraph in candidates.GroupBy(c => sentences[c.Sentence].Paragraph))
        {
            var inParagraph = paragraph.ToList();
            var order = Enumerable.Range(0, inParagraph.Count).ToList();
            rng.Shuffle(order, BoundedDraw.MultiplyHigh);
            var picked = order.Take(maxBlanks).Order().Select(i => inParagraph[i]).ToList();
            // The passage: sentences of the paragraph from the first picked to the last, widened while it stays short.
            int first = picked[0].Sentence, last = picked[^1].Sentence;
            int Span(int a, int b) => sentences[b].Start + sentences[b].Length - sentences[a].Start;
            while (Span(first, last) > rule.MaxChars && picked.Count > 1)
            {
                picked.RemoveAt(picked.Count - 1);
                last = picked[^1].Sentence;
            }
            int idiomChars = picked.Sum(c => ContextChars(lex.Words[c.Pattern]));
            bool SameParagraph(int k) => k >= 0 && k < sentences.Count && sentences[k].Paragraph == sentences[first].Paragraph;
            while (ContextChars(text.AsSpan(sentences[first].Start, Span(first, last))) - idiomChars < rule.MinChars)
            {
                if (SameParagraph(first - 1) && Span(first - 1, last) <= rule.MaxChars) first--;
                else if (SameParagraph(last + 1) && Span(first, last + 1) <= rule.MaxChars) last++;
                else break;
            }
            int ps = sentences[first].Start, pe = sentences[last].Start + sentences[last].Length;
            if (ContextChars(text.AsSpan(ps, pe - ps)) - idiomChars < rule.MinChars) { skips.ShortContext += picked.Count; continue; }
            var inPassage = IdiomsIn(matches, lex, ps, pe);
            var content = new StringBuilder();
            var lists = new List<string[]>();
            var answers = new List<int>();
            var idioms = new List<string>();
            int at = ps;
            foreach (var (_, st, p) in picked)
            {
                if (Options(lex, p, inPassage, nCandidates, ref rng) is not var (options, k)) { skips.NoDistractors++; continue; }
                content.Append(text.AsSpan(at, st - at)).Append("#idiom#");
                at = st + lex.Words[p].Length;
                lists.Add(options);
                answers.Add(k);
                idioms.Add(lex.Words[p]);
            }
            if (lists.Count == 0) continue;
            content.Append(text.AsSpan(at, pe - at));
            string passage = content.ToString();
            result.Add(new ChidItem(passage, [.. lists], [.. answers], [.. idioms], ContextChars(passage.Replace("#idiom#", "", StringComparison.Ordinal))));
        }
        return result;
    }

    /// <summary>A CHID passage as a question: blanks numbered in the text, then each blank's candidates.</summary>
    public static string RenderChid(ChidItem item)
    {
        var sb = new StringBuilder("阅读下面的文字，为每个空选择最恰当的成语。\n");
        int n = 0;
        string content = item.Content;
        int at = 0;
        for (int i = content.IndexOf("#idiom#", StringComparison.Ordinal); i >= 0; i = content.IndexOf("#idiom#", at, StringComparison.Ordinal))
        {
            sb.Append(content, at, i - at).Append($"（{++n}）____");
            at = i + "#idiom#".Length;
        }
        sb.Append(content, at, content.Length - at);
        for (int j = 0; j < item.Candidates.Length; j++) sb.Append($"\n（{j + 1}）").AppendJoin("、", item.Candidates[j]);
        return sb.ToString();
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

/// <summary>Makes Chinese idiom cloze questions: an idiom becomes "__" with four options, or CHID-style passages with several blanks.</summary>
[Stage("idiom_cloze", StageShape.Expand, "Turns sentences containing idioms from a lexicon into cloze questions with enough context: 4-option questions (idiom replaced by __; meta: sentence, options, answer_index, answer) or CHID-style passages (#idiom# blanks; meta: content, candidates, answers).")]
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

    /// <summary>Edges of the context-length histogram (characters besides the blanks).</summary>
    static readonly double[] ContextEdges = [0, 4, 8, 12, 16, 24, 32, 48, 64, 96, 128, 192, 256, 384, 512];

    public override DocumentBatch Expand(DocumentBatch batch, StageContext context)
    {
        var b = new DocumentBatchBuilder();
        var scratch = new List<(int, int)>();
        byte[] zh = "zh"u8.ToArray();
        var rule = new ContextRule(_o.MinContextChars, Math.Max(_o.MaxContextChars, _o.MinContextChars));
        for (int i = 0; i < batch.Length; i++)
        {
            if (!_select.Applies(batch, i)) { SourceSelector.PassThrough(batch, i, b); continue; }
            string id = batch.GetId(i);
            string text = batch.Text.GetString(i);
            var rng = new SplitMix64(Seeds.DeriveForKey(_seed, id));
            var skips = new ClozeSkips();
            int made = _o.Format == "chid"
                ? AppendChid(IdiomClozeRules.MakeChid(text, _lex, _o.MaxPerDocument, _o.NCandidates, _o.MaxSentenceChars, rule, ref rng, scratch, skips), batch, i, id, zh, b, context)
                : AppendMc(IdiomClozeRules.Make(text, _lex, _o.MaxPerDocument, _o.MaxSentenceChars, rule, ref rng, scratch, skips), batch, i, id, zh, b, context);
            // Candidates that made no question are counted by reason; the document is dropped only when it yields none.
            if (skips.ShortContext > 0) context.Count("idiom_cloze.skipped.short_context", skips.ShortContext);
            if (skips.NoDistractors > 0) context.Count("idiom_cloze.skipped.no_distractors", skips.NoDistractors);
            if (made == 0)
            {
                context.Drop(batch, i, skips.ShortContext + skips.NoDistractors > 0 ? "idiom_cloze.no_question" : "idiom_cloze.no_idiom");
                continue;
            }
            context.Count("idiom_cloze.questions", made);
        }
        return b.Build();
    }

    int AppendMc(List<ClozeItem> items, DocumentBatch batch, int i, string id, byte[] zh, DocumentBatchBuilder b, StageContext context)
    {
        for (int q = 0; q < items.Count; q++)
        {
            var it = items[q];
            context.Stats.Observe("context_chars", it.ContextChars, ContextEdges);
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
        return items.Count;
    }

    int AppendChid(List<ChidItem> items, DocumentBatch batch, int i, string id, byte[] zh, DocumentBatchBuilder b, StageContext context)
    {
        int blanks = 0;
        for (int q = 0; q < items.Count; q++)
        {
            var it = items[q];
            context.Stats.Observe("context_chars", it.ContextChars, ContextEdges);
            blanks += it.Answers.Length;
            string prompt = IdiomClozeRules.RenderChid(it);
            string response = "答案：" + string.Join("；", it.Answers.Select((k, j) => $"（{j + 1}）{it.Candidates[j][k]}"));
            var meta = SynthJson.Object(w =>
            {
                w.WriteString("task", "idiom_cloze");
                w.WriteString("format", "chid");
                w.WriteString("content", it.Content);
                w.WriteStartArray("candidates");
                foreach (var list in it.Candidates)
                {
                    w.WriteStartArray();
                    foreach (var c in list) w.WriteStringValue(c);
                    w.WriteEndArray();
                }
                w.WriteEndArray();
                w.WriteStartArray("answers");
                foreach (var k in it.Answers) w.WriteNumberValue(k);
                w.WriteEndArray();
                w.WriteString("source_id", id);
                w.WriteString("prompt", prompt);
                w.WriteString("response", response);
            });
            b.Append(Encoding.UTF8.GetBytes($"{id}/chid-{q}"), Encoding.UTF8.GetBytes(prompt + "\n" + response),
                batch.Source.GetBytes(i), batch.Url.GetBytes(i), zh, meta, hasUrl: !batch.Url.IsNull(i), hasLang: true, hasMeta: true);
        }
        return blanks;
    }
}
