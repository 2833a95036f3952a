using System.Text;
using System.Text.Json;
using DataForge.Determinism;
using DataForge.Synth;

namespace DataForge.Tests.Synth;

public class IdiomClozeTests
{
    static readonly string Idioms = SynthTestData.Sample("zh/idioms.txt");
    static readonly string Jieba = SynthTestData.Sample("zh/idioms_jieba.txt");

    static void CheckItems(List<JsonElement> items, Dictionary<string, string> sources, IReadOnlyList<string> lexicon, int[] positions)
    {
        foreach (var d in items)
        {
            var m = SynthTestData.Meta(d);
            Assert.Equal("idiom_cloze", m.GetProperty("task").GetString());
            string sentence = m.GetProperty("sentence").GetString()!, answer = m.GetProperty("answer").GetString()!;
            var options = m.GetProperty("options").EnumerateArray().Select(o => o.GetString()!).ToArray();
            int k = m.GetProperty("answer_index").GetInt32();
            positions[k]++;
            Assert.Equal(4, options.Length);
            Assert.Equal(4, options.Distinct().Count());
            Assert.Equal(answer, options[k]);
            Assert.Single(options, o => o == answer);
            Assert.Equal(1, CountOf(sentence, "__"));
            string original = sentence.Replace("__", answer, StringComparison.Ordinal);
            Assert.Contains(original, sources[m.GetProperty("source_id").GetString()!], StringComparison.Ordinal);
            // No distractor is an idiom that occurs in the sentence; all have the answer's length.
            foreach (var o in options.Where(o => o != answer))
            {
                Assert.DoesNotContain(o, original, StringComparison.Ordinal);
                Assert.Equal(answer.Length, o.Length);
                Assert.Contains(o, lexicon);
            }
            Assert.Contains(sentence, d.GetProperty("text").GetString()!, StringComparison.Ordinal);
        }
    }

    static int CountOf(string s, string what)
    {
        int n = 0;
        for (int i = s.IndexOf(what, StringComparison.Ordinal); i >= 0; i = s.IndexOf(what, i + what.Length, StringComparison.Ordinal)) n++;
        return n;
    }

    [Theory]
    [InlineData("lines")]
    [InlineData("jieba")]
    public void Items_from_the_Chinese_sample_reconstruct_their_sentence(string format)
    {
        using var dir = new TempDir();
        string input = SynthTestData.Sample("zh/web.jsonl.gz");
        string lex = format == "jieba" ? Jieba : Idioms;
        var json = Runs.PipelineJson(input, dir["out"], $$"""{ "type": "idiom_cloze", "lexicon": {{Runs.J(lex)}}, "lexicon_format": "{{format}}", "max_per_document": 20 }""");
        var r = Runs.Run(json, workers: 2);
        var items = SynthTestData.ReadOutput(dir["out"]);
        Assert.True(items.Count >= 200, $"{items.Count} questions");
        var sources = SynthTestData.ReadJsonl(input).ToDictionary(x => x.Id, x => x.Text);
        var lexicon = IdiomLexicon.Load(lex, format).Words;
        CheckItems(items, sources, lexicon, new int[4]);
        Assert.Equal(items.Count, r.Stats.Stages.Single(x => x.Name == "idiom_cloze").Counters["idiom_cloze.questions"]);
    }

    [Fact]
    public void Answer_position_is_uniform_and_cap_holds()
    {
        // A synthetic corpus: every document holds several idioms in template sentences.
        var lex = IdiomLexicon.Load(Idioms, "lines").Words;
        var rng = new Random(5);
        var sb = new StringBuilder();
        var texts = new Dictionary<string, string>();
        string[] frames = ["他做事一向{0}，大家都很佩服。", "这件事说明了{0}的道理。", "我们不能{0}，要坚持到底！", "老师说：“{0}是一种好品质。”"];
        for (int i = 0; i < 1500; i++)
        {
            var t = string.Concat(Enumerable.Range(0, 4).Select(_ => string.Format(System.Globalization.CultureInfo.InvariantCulture, frames[rng.Next(frames.Length)], lex[rng.Next(lex.Count)])));
            texts[$"s{i}"] = t;
            sb.Append(JsonSerializer.Serialize(new { id = $"s{i}", text = t })).Append('\n');
        }
        using var dir = new TempDir();
        string input = dir.Write("in.jsonl", sb.ToString());
        Runs.Run(Runs.PipelineJson(input, dir["out"], $$"""{ "type": "idiom_cloze", "lexicon": {{Runs.J(Idioms)}}, "max_per_document": 2, "seed": 11 }"""));
        var items = SynthTestData.ReadOutput(dir["out"]);
        Assert.Equal(3000, items.Count);
        Assert.All(items.GroupBy(d => d.GetProperty("id").GetString()!.Split('/')[0]), g => Assert.Equal(2, g.Count()));
        var positions = new int[4];
        CheckItems(items, texts, lex, positions);
        Assert.All(positions, n => Assert.InRange(n, 750 - 110, 750 + 110));
    }

    [Fact]
    public void Distractors_share_characters_or_frequency_band_and_exclude_sentence_idioms()
    {
        var lex = IdiomLexicon.Load(Jieba, "jieba");
        Assert.Equal(888, lex.Count);
        Assert.Equal(-1, lex.IndexOf("人工智能"));
        int answer = lex.IndexOf("一举两得");
        Assert.True(answer >= 0);
        var exclude = new HashSet<int> { lex.IndexOf("一丝不苟") };
        int sharing = 0;
        for (ulong s = 0; s < 200; s++)
        {
            var rng = new SplitMix64(Seeds.DeriveForIndex(s, 1));
            var d = lex.Distractors(answer, exclude, ref rng)!;
            Assert.Equal(3, d.Distinct().Count());
            Assert.DoesNotContain(answer, d);
            Assert.DoesNotContain(lex.IndexOf("一丝不苟"), d);
            sharing += d.Count(i => lex.Words[i].Intersect(lex.Words[answer]).Any());
        }
        Assert.True(sharing > 500, $"{sharing} of 600 distractors share a character");
    }

    [Fact]
    public void Sentences_split_on_Chinese_terminators_and_keep_quotes()
    {
        string t = "他说：“好！”然后走了。\n第二行没有句号\n  第三句？";
        var s = IdiomClozeRules.Sentences(t).Select(x => t.Substring(x.Start, x.Length)).ToList();
        Assert.Equal(["他说：“好！”", "然后走了。", "第二行没有句号", "第三句？"], s);
    }

    [Fact]
    public void Aho_Corasick_finds_overlapping_and_nested_patterns()
    {
        var ac = new AhoCorasick(["he", "she", "his", "hers", "一举两得", "两得"]);
        var m = new List<(int, int)>();
        ac.FindAll("ushers 一举两得", m);
        Assert.Equal([(1, 1), (2, 0), (2, 3), (7, 4), (9, 5)], m.Select(x => (x.Item1, x.Item2)).Order().ToList());
        Assert.Equal(5, ac.Count("ushers 一举两得"));
    }

    [Fact]
    public void Bad_options_and_lexicons_are_reported()
    {
        using var dir = new TempDir();
        string bad = dir.Write("bad.txt", "一举两得 100 i\n画蛇添足 xx i\n");
        var ex = Assert.ThrowsAny<Exception>(() => Runs.Parse(Runs.PipelineJson("in.jsonl", dir["o"], $$"""{ "type": "idiom_cloze", "lexicon": {{Runs.J(bad)}}, "lexicon_format": "jieba" }""")));
        Assert.Contains("bad.txt:2: expected 'word frequency pos' (jieba dict.txt)", ex.Message, StringComparison.Ordinal);
        ex = Assert.ThrowsAny<Exception>(() => Runs.Parse(Runs.PipelineJson("in.jsonl", dir["o"], $$"""{ "type": "idiom_cloze", "lexicon": {{Runs.J(Idioms)}}, "template": "{question} {A}" }""")));
        Assert.Contains("expected a template containing {sentence}", ex.Message, StringComparison.Ordinal);
        Assert.Contains("unknown placeholder {question}", ex.Message, StringComparison.Ordinal);
        ex = Assert.ThrowsAny<Exception>(() => Runs.Parse(Runs.PipelineJson("in.jsonl", dir["o"], $$"""{ "type": "idiom_cloze", "lexicon": "missing.txt" }""")));
        Assert.Contains("file not found", ex.Message, StringComparison.Ordinal);
        ex = Assert.ThrowsAny<Exception>(() => Runs.Parse(Runs.PipelineJson("in.jsonl", dir["o"], $$"""{ "type": "idiom_cloze", "lexicon": {{Runs.J(Idioms)}}, "lexicon_format": "csv" }""")));
        Assert.Contains("lexicon_format", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Documents_without_idioms_are_dropped_and_other_sources_pass_through()
    {
        using var dir = new TempDir();
        string a = dir.Write("zh.jsonl", "{\"id\":\"a\",\"text\":\"做事要一丝不苟，这是老师每天都说的话。\"}\n{\"id\":\"b\",\"text\":\"今天天气很好。\"}\n");
        string b = dir.Write("other.jsonl", "{\"id\":\"c\",\"text\":\"no idioms here\"}\n");
        var json = $$"""
            { "input": [{ "type": "jsonl", "paths": [{{Runs.J(a)}}], "source": "zh" }, { "type": "jsonl", "paths": [{{Runs.J(b)}}], "source": "en" }],
              "stages": [{ "type": "idiom_cloze", "lexicon": {{Runs.J(Idioms)}}, "sources": ["zh"] }], "output": { "type": "jsonl", "path": {{Runs.J(dir["o"])}} } }
            """;
        var r = Runs.Run(json);
        var docs = Runs.ReadDocs(dir["o"]);
        Assert.Equal(["a/cloze-0", "c"], docs.Select(d => d.Id).ToList());
        Assert.Equal("no idioms here", docs[1].Text);
        Assert.Equal(1, r.Stats.Stages.Single(x => x.Name == "idiom_cloze").Dropped["idiom_cloze.no_idiom"]);
    }

    [Fact]
    public void Questions_have_the_minimum_context_and_short_sentences_take_their_neighbours()
    {
        var lex = IdiomLexicon.Load(Idioms, "lines");
        string text = "画蛇添足。\n春天来了。这件事说明了守株待兔的道理。\n他做事一向一丝不苟，从来都不会随便应付了事。";
        var rng = new SplitMix64(7);
        var skips = new ClozeSkips();
        var items = IdiomClozeRules.Make(text, lex, 10, 300, new ContextRule(12, 160), ref rng, [], skips);
        // The lone idiom line has no context and no neighbour in its paragraph: skipped, counted.
        Assert.Equal(1, skips.ShortContext);
        Assert.Equal(2, items.Count);
        Assert.All(items, it => Assert.True(it.ContextChars >= 12, it.Sentence));
        Assert.All(items, it => Assert.True(IdiomClozeRules.ContextChars(it.Sentence) == it.ContextChars));
        // A short sentence takes the previous sentence of its paragraph, never a line before it.
        Assert.Equal("春天来了。这件事说明了__的道理。", items[0].Sentence);
        Assert.Equal("他做事一向__，从来都不会随便应付了事。", items[1].Sentence);
        // With no minimum, the old behaviour: every sentence stands alone.
        rng = new SplitMix64(7);
        var loose = IdiomClozeRules.Make(text, lex, 10, 300, new ContextRule(0, 160), ref rng, [], new ClozeSkips());
        Assert.Contains(loose, it => it.Sentence == "__。");
    }

    [Fact]
    public void Stats_count_skipped_candidates_and_context_lengths_on_the_sample()
    {
        using var dir = new TempDir();
        string input = SynthTestData.Sample("zh/web.jsonl.gz");
        var r = Runs.Run(Runs.PipelineJson(input, dir["o"], $$"""{ "type": "idiom_cloze", "lexicon": {{Runs.J(Idioms)}}, "max_per_document": 20 }"""));
        var st = r.Stats.Stages.Single(x => x.Name == "idiom_cloze");
        Assert.True(st.Counters["idiom_cloze.questions"] > 100);
        Assert.True(st.Counters.GetValueOrDefault("idiom_cloze.skipped.short_context") > 0, string.Join(", ", st.Counters));
        var h = st.Histograms["context_chars"];
        Assert.Equal(st.Counters["idiom_cloze.questions"], h.Counts.Sum() + h.Under + h.Over);
        Assert.Equal(0, h.Counts[0] + h.Counts[1] + h.Counts[2] + h.Under); // nothing below 12 characters
        foreach (var d in SynthTestData.ReadOutput(dir["o"]))
            Assert.True(IdiomClozeRules.ContextChars(SynthTestData.Meta(d).GetProperty("sentence").GetString()!) >= 12);
    }

    [Fact]
    public void Chid_passages_have_a_candidate_list_and_an_answer_per_blank_and_repeat_with_the_seed()
    {
        using var dir = new TempDir();
        string input = SynthTestData.Sample("zh/web.jsonl.gz");
        string stage = $$"""{ "type": "idiom_cloze", "lexicon": {{Runs.J(Idioms)}}, "format": "chid", "max_per_document": 3, "seed": 5 }""";
        var r = Runs.Run(Runs.PipelineJson(input, dir["a"], stage), workers: 1);
        Runs.Run(Runs.PipelineJson(input, dir["b"], stage), workers: 2);
        Assert.Equal(Runs.Shards(dir["a"]), Runs.Shards(dir["b"]));
        var items = SynthTestData.ReadOutput(dir["a"]);
        Assert.True(items.Count > 50, $"{items.Count} passages");
        var lexicon = IdiomLexicon.Load(Idioms, "lines").Words.ToHashSet();
        int multi = 0;
        foreach (var d in items)
        {
            var m = SynthTestData.Meta(d);
            Assert.Equal("chid", m.GetProperty("format").GetString());
            string content = m.GetProperty("content").GetString()!;
            var lists = m.GetProperty("candidates").EnumerateArray().Select(l => l.EnumerateArray().Select(c => c.GetString()!).ToArray()).ToList();
            var answers = m.GetProperty("answers").EnumerateArray().Select(a => a.GetInt32()).ToList();
            int blanks = CountOf(content, "#idiom#");
            Assert.Equal(blanks, lists.Count);
            Assert.Equal(blanks, answers.Count);
            if (blanks > 1) multi++;
            string bare = content.Replace("#idiom#", "\u0000", StringComparison.Ordinal);
            for (int j = 0; j < lists.Count; j++)
            {
                Assert.Equal(7, lists[j].Length);
                Assert.Equal(7, lists[j].Distinct().Count());
                Assert.InRange(answers[j], 0, 6);
                Assert.All(lists[j], c => Assert.Contains(c, lexicon));
                // No candidate occurs in the passage outside the blanks.
                Assert.All(lists[j], c => Assert.DoesNotContain(c, bare, StringComparison.Ordinal));
            }
            Assert.True(IdiomClozeRules.ContextChars(bare) >= 12);
        }
        Assert.True(multi > 0, "some passages have several blanks");
        Assert.Equal(items.Count, SynthTestData.ReadOutput(dir["a"]).Count);
        Assert.True(r.Stats.Stages.Single(x => x.Name == "idiom_cloze").Histograms.ContainsKey("context_chars"));
    }

    [Fact]
    public void Same_seed_same_bytes()
    {
        using var dir = new TempDir();
        string input = SynthTestData.Sample("zh/web.jsonl.gz");
        string S(long seed) => $$"""{ "type": "idiom_cloze", "lexicon": {{Runs.J(Idioms)}}, "seed": {{seed}} }""";
        Runs.Run(Runs.PipelineJson(input, dir["a"], S(1)), workers: 1);
        Runs.Run(Runs.PipelineJson(input, dir["b"], S(1)), workers: 2);
        Runs.Run(Runs.PipelineJson(input, dir["c"], S(2)), workers: 1);
        Assert.Equal(Runs.Shards(dir["a"]), Runs.Shards(dir["b"]));
        Assert.NotEqual(Runs.ReadDocs(dir["a"]).Select(d => d.Text), Runs.ReadDocs(dir["c"]).Select(d => d.Text));
    }
}
