using System.Text;
using System.Text.Json;
using DataForge.Configuration;
using DataForge.Execution;
using DataForge.Tests;
using DataForge.Training.Evaluation;
using TorchSharp;
using static TorchSharp.torch;

namespace DataForge.Training.Tests;

/// <summary>A tokenizer that merges "ab" into one token (300), so context and continuation can merge across their boundary.</summary>
sealed class MergingCodec : ITextCodec
{
    public int[] Encode(string text)
    {
        var b = Encoding.UTF8.GetBytes(text);
        var ids = new List<int>();
        for (int i = 0; i < b.Length; i++)
        {
            if (b[i] == 'a' && i + 1 < b.Length && b[i + 1] == 'b') { ids.Add(300); i++; }
            else ids.Add(b[i]);
        }
        return [.. ids];
    }

    public string Decode(IReadOnlyList<int> ids)
        => Encoding.UTF8.GetString(ids.SelectMany(i => i == 300 ? "ab"u8.ToArray() : i < 256 ? [(byte)i] : []).ToArray());

    public void ExportTo(string dir) { }
}

[Collection("torch random")]
public class EvaluationTests
{
    static GptModel Model(int vocab = 320, int context = 32, long seed = 3, string architecture = "gpt")
    {
        var o = (architecture == "ngpt" ? Fixtures.TinyNgpt("unused", "unused") : Fixtures.Tiny("unused", "unused")).Model;
        o.ContextLength = context;
        return new GptModel(o, vocab, torch.CPU, seed);
    }

    /// <summary>The direct sum of log-softmax over the targets of one sequence, for checking the scorer.</summary>
    static double Direct(GptModel m, int[] tokens, int from)
    {
        using var _ = torch.no_grad();
        using var scope = torch.NewDisposeScope();
        var input = torch.tensor(tokens[..^1].Select(t => (long)t).ToArray(), [1, tokens.Length - 1], int64);
        var logp = m.Forward(input, false, false).log_softmax(-1)[0];
        double sum = 0;
        for (int j = from; j < tokens.Length - 1; j++) sum += logp[j, tokens[j + 1]].item<float>();
        return sum;
    }

    [Theory]
    [InlineData("gpt")]
    [InlineData("ngpt")]
    public void A_continuations_loglikelihood_is_the_sum_of_log_softmax_at_its_positions(string architecture)
    {
        using var m = Model(architecture: architecture);
        var scorer = new Scorer(m, new ByteCodec(), 256, 4);
        var byteCtx = Encoding.UTF8.GetBytes("The cat").Select(b => (int)b).ToArray();
        var byteCont = Encoding.UTF8.GetBytes(" sat").Select(b => (int)b).ToArray();
        var scores = scorer.Loglikelihood([("The cat", " sat"), ("", "Hi"), ("The cat", " sat")]);
        Assert.Equal(Direct(m, [.. byteCtx, .. byteCont], byteCtx.Length - 1), scores[0].LogProb, 4);
        Assert.Equal(4, scores[0].Tokens);
        // An empty context is the end-of-text token.
        Assert.Equal(Direct(m, [256, 'H', 'i'], 0), scores[1].LogProb, 4);
        // Batching does not change a score.
        Assert.Equal(scores[0].LogProb, scores[2].LogProb, 6);
        Assert.Equal(scores[0].LogProb, scorer.Loglikelihood([("The cat", " sat")])[0].LogProb, 5);
    }

    [Fact]
    public void Trailing_spaces_move_to_the_continuation_and_merged_tokens_are_scored_with_it()
    {
        using var m = Model();
        var scorer = new Scorer(m, new MergingCodec(), 256, 4);
        var (ctx, cont) = scorer.Encode("Q: 1 ", "2");
        Assert.Equal("Q: 1"u8.ToArray().Select(b => (int)b), ctx);
        Assert.Equal(" 2"u8.ToArray().Select(b => (int)b), cont);

        // "xa" + "by": the tokenizer merges a|b into 300, so the context keeps "x" and the continuation is [300, y].
        (ctx, cont) = scorer.Encode("xa", "by");
        Assert.Equal(['x'], ctx);
        Assert.Equal([300, 'y'], cont);
        var score = scorer.Loglikelihood([("xa", "by")])[0];
        Assert.Equal(Direct(m, ['x', 300, 'y'], 0), score.LogProb, 4);
        Assert.Equal(2, score.Tokens);
    }

    [Fact]
    public void Rolling_windows_predict_every_token_once()
    {
        var tokens = Enumerable.Range(0, 100).ToArray();
        foreach (var (window, stride) in new[] { (16, 16), (16, 5), (16, 1), (200, 200) })
        {
            var counted = new List<int>();
            foreach (var s in Scorer.RollingWindows(tokens, window, stride))
            {
                Assert.True(s.Input.Length <= window);
                counted.AddRange(s.Targets[s.From..]);
            }
            Assert.Equal(Enumerable.Range(1, 99), counted);
        }
    }

    [Theory]
    [InlineData("So the total is 18. #### 1,234", "gsm8k", "1,234")]
    [InlineData("She has 3 apples and then 7.", "gsm8k", "7")]
    [InlineData("x = -2.5 or maybe 4", "last_number", "4")]
    [InlineData("Answer: (C) because", "regex", "C")]
    [InlineData("Output:\n```\n[1, 2]\n```\nthen\n```python\n{'a': 1}\n```", "code_block", "{'a': 1}")]
    [InlineData("  plain  ", "none", "plain")]
    [InlineData("no digits", "last_number", "")]
    public void Answers_are_extracted(string text, string how, string expected)
        => Assert.Equal(expected, Answers.Extract(text, how, @"\(([A-E])\)"));

    [Fact]
    public void Numeric_and_exact_matching()
    {
        Assert.True(Answers.Matches("1,234", "1234", "numeric"));
        Assert.True(Answers.Matches("7/2", "3.5", "numeric"));
        Assert.True(Answers.Matches("18.", "18", "numeric"));
        Assert.False(Answers.Matches("18", "19", "numeric"));
        Assert.False(Answers.Matches("abc", "18", "numeric"));
        Assert.True(Answers.Matches(" {'a': 1} ", "{'a': 1}", "exact"));
        Assert.False(Answers.Matches("{'a': 2}", "{'a': 1}", "exact"));
        Assert.Equal(5, Answers.StopAt("12345\n\nQuestion: x", ["\n\n", "Question:"]));
    }

    static string Write(TempDir dir, string name, IEnumerable<object> records)
        => dir.Write(name, string.Concat(records.Select(r => JsonSerializer.Serialize(r) + "\n")));

    [Fact]
    public void Multiple_choice_accuracy_follows_the_scores_and_few_shot_draws_repeat()
    {
        using var dir = new TempDir();
        // CommonsenseQA's layout: question.stem, question.choices[].text/label, answerKey.
        Write(dir, "csqa.jsonl", Enumerable.Range(0, 12).Select(i => new
        {
            question = new { stem = $"What is item {i}?", choices = new[] { "A", "B", "C" }.Select((l, j) => new { label = l, text = j == 0 ? "a short one" : $"choice number {j} of item {i}" }) },
            answerKey = "ABC"[i % 3].ToString(),
        }));
        string tasksFile = dir.Write("tasks.json", """
            { "tasks": [ { "name": "csqa", "kind": "multiple_choice", "data": ["csqa.jsonl"], "format": "commonsense_qa", "few_shot": 2 } ] }
            """);
        var tasks = EvalTasks.Load(tasksFile);
        using var m = Model(vocab: 257, context: 128);
        var ev = new Evaluator(m, new ByteCodec(), 256, tasks);
        var first = ev.Run();
        Assert.Equal(["acc", "acc_norm"], first.Select(r => r.Metric));
        Assert.All(first, r => Assert.Equal(12, r.N));
        Assert.Equal(first.Select(r => r.Value), new Evaluator(m, new ByteCodec(), 256, tasks).Run().Select(r => r.Value));

        // Recompute acc and acc_norm from the scorer without few-shot examples, the way the harness does.
        var noShot = EvalTasks.Load(dir.Write("t0.json", """{ "tasks": [ { "name": "csqa", "kind": "multiple_choice", "data": ["csqa.jsonl"], "format": "commonsense_qa" } ] }"""));
        var results = new Evaluator(m, new ByteCodec(), 256, noShot).Run();
        var data = new TaskData(noShot.Tasks[0], dir.Path);
        var items = data.ChoiceItems(data.Files(["csqa.jsonl"]));
        var scorer = new Scorer(m, new ByteCodec(), 256, 16);
        int right = 0, rightNorm = 0;
        foreach (var item in items)
        {
            var s = scorer.Loglikelihood(item.Continuations.Select(c => (item.Context, c)).ToList());
            int best = Enumerable.Range(0, s.Count).MaxBy(j => s[j].LogProb);
            int bestNorm = Enumerable.Range(0, s.Count).MaxBy(j => s[j].LogProb / item.Continuations[j].Length);
            if (best == item.Gold) right++;
            if (bestNorm == item.Gold) rightNorm++;
        }
        Assert.Equal(right / 12.0, results[0].Value, 9);
        Assert.Equal(rightNorm / 12.0, results[1].Value, 9);
        Assert.Equal(Math.Sqrt(results[0].Value * (1 - results[0].Value) / 11), results[0].Stderr!.Value, 9);
        Assert.Equal("Question: What is item 0?\nAnswer:", items[0].Context);
        Assert.Equal(" a short one", items[0].Continuations[0]);
        Assert.Equal(0, items[0].Gold);
        Assert.Equal(2, items[2].Gold);
    }

    [Fact]
    public void Cloze_items_put_each_candidate_in_the_blank()
    {
        using var dir = new TempDir();
        Write(dir, "chid.jsonl", [new { content = "他做事一向#idiom#，从不马虎。", candidates = new[] { "一丝不苟", "马马虎虎" }, answer = 0 }]);
        var task = EvalTasks.Load(dir.Write("t.json", """{ "tasks": [ { "name": "chid", "kind": "multiple_choice", "data": ["chid.jsonl"], "format": "chid" } ] }""")).Tasks[0];
        var data = new TaskData(task, dir.Path);
        var item = data.ChoiceItems(data.Files(task.Data)).Single();
        Assert.Equal("他做事一向", item.Context);
        Assert.Equal(["一丝不苟，从不马虎。", "马马虎虎，从不马虎。"], item.Continuations);
    }

    [Fact]
    public void Chid_passages_with_several_blanks_give_one_item_per_blank()
    {
        using var dir = new TempDir();
        // As the idiom_cloze stage writes them with format "chid".
        Write(dir, "chid.jsonl", [new { meta = new { task = "idiom_cloze", format = "chid", content = "甲#idiom#乙#idiom#丙",
            candidates = new[] { new[] { "一一", "二二" }, new[] { "三三", "四四" } }, answers = new[] { 1, 0 } } }]);
        var task = EvalTasks.Load(dir.Write("t.json", """{ "tasks": [ { "name": "c", "kind": "multiple_choice", "data": ["chid.jsonl"], "format": "chid" } ] }""")).Tasks[0];
        var data = new TaskData(task, dir.Path);
        var items = data.ChoiceItems(data.Files(task.Data));
        Assert.Equal(2, items.Count);
        Assert.Equal("甲", items[0].Context);
        Assert.Equal(["一一乙三三丙", "二二乙三三丙"], items[0].Continuations);
        Assert.Equal(1, items[0].Gold);
        Assert.Equal("甲二二乙", items[1].Context);
        Assert.Equal(["三三丙", "四四丙"], items[1].Continuations);
        Assert.Equal(0, items[1].Gold);
    }

    [Fact]
    public void Perplexity_reports_loss_perplexity_and_bits_per_byte_per_source()
    {
        using var dir = new TempDir();
        Write(dir, "held.jsonl", [new { text = "The quick brown fox.", source = "a" }, new { text = "A stitch in time.", source = "b" }]);
        var tasks = EvalTasks.Load(dir.Write("t.json", """{ "tasks": [ { "name": "ppl", "kind": "perplexity", "data": ["held.jsonl"], "window": 8, "stride": 4 } ] }"""));
        using var m = Model(vocab: 257);
        var results = new Evaluator(m, new ByteCodec(), 256, tasks).Run();
        var all = results.Where(r => r.Name == "ppl").ToDictionary(r => r.Metric);
        // Bytes as tokens: every byte and each document's end-of-text are predicted once.
        Assert.Equal("The quick brown fox.".Length + "A stitch in time.".Length + 2, all["loss"].N);
        Assert.Equal(Math.Exp(all["loss"].Value), all["perplexity"].Value, 9);
        double nll = all["loss"].Value * all["loss"].N;
        Assert.Equal(nll / Math.Log(2) / ("The quick brown fox.".Length + "A stitch in time.".Length), all["bits_per_byte"].Value, 9);
        Assert.Contains(results, r => r.Name == "ppl[a]");
        Assert.Contains(results, r => r.Name == "ppl[b]");
    }

    [Fact]
    public void Perplexity_of_a_token_directory_equals_that_of_the_same_text()
    {
        using var dir = new TempDir();
        Fixtures.TokenDir(dir, "tok", "unused", "The quick brown fox jumps over the lazy dog.");
        Write(dir, "same.jsonl", [new { text = "The quick brown fox jumps over the lazy dog." }]);
        var tasks = EvalTasks.Load(dir.Write("t.json", """
            { "tasks": [ { "name": "dir", "kind": "perplexity", "data": ["tok"], "window": 8, "stride": 3 },
                         { "name": "text", "kind": "perplexity", "data": ["same.jsonl"], "window": 8, "stride": 3 } ] }
            """));
        using var m = Model(vocab: 257);
        var r = new Evaluator(m, new ByteCodec(), 256, tasks).Run();
        foreach (var metric in new[] { "loss", "bits_per_byte" })
            Assert.Equal(r.Single(x => x.Name == "text" && x.Metric == metric).Value, r.Single(x => x.Name == "dir" && x.Metric == metric).Value, 9);
    }

    [Fact]
    public void Generate_tasks_extract_and_check_answers()
    {
        using var dir = new TempDir();
        Write(dir, "gsm.jsonl", [new { question = "1+1?", answer = "one and one #### 2" }, new { question = "2+2?", answer = "#### 4" }]);
        var tasks = EvalTasks.Load(dir.Write("t.json", """{ "tasks": [ { "name": "gsm", "kind": "generate", "data": ["gsm.jsonl"], "format": "gsm8k", "max_tokens": 4 } ] }"""));
        using var m = Model(vocab: 257, context: 64);
        var r = new Evaluator(m, new ByteCodec(), 256, tasks).Run().Single();
        Assert.Equal("exact_match", r.Metric);
        Assert.Equal(2, r.N);
        Assert.InRange(r.Value, 0, 1);
        Assert.Equal(r.Value, new Evaluator(m, new ByteCodec(), 256, tasks).Run().Single().Value);
    }

    [Fact]
    public async Task Parquet_records_with_flat_columns_are_read()
    {
        using var dir = new TempDir();
        var schema = new Parquet.Schema.ParquetSchema(new Parquet.Schema.DataField<string>("text"), new Parquet.Schema.DataField<string>("source"), new Parquet.Schema.DataField<int>("year"));
        await using (var fs = File.Create(dir["held.parquet"]))
        await using (var w = await Parquet.ParquetWriter.CreateAsync(schema, fs))
        using (var rg = w.CreateRowGroup())
        {
            await rg.WriteAsync(schema.GetDataFields()[0], new[] { "First document.", "Second one." });
            await rg.WriteAsync(schema.GetDataFields()[1], new[] { "a", "b" });
            await rg.WriteAsync<int>(schema.GetDataFields()[2], new int?[] { 2020, 2021 }.AsMemory());
        }
        var task = EvalTasks.Load(dir.Write("t.json", """{ "tasks": [ { "name": "p", "kind": "perplexity", "data": ["held.parquet"], "where": "year=2021" } ] }""")).Tasks[0];
        var data = new TaskData(task, dir.Path);
        var docs = data.Documents(data.Files(task.Data)).ToList();
        Assert.Equal([new TextDocument("Second one.", "b")], docs);
    }

    [Fact]
    public void Bad_task_files_and_records_give_located_errors()
    {
        using var dir = new TempDir();
        string bad = dir.Write("bad.json", "{ \"tasks\": [\n  { \"name\": \"x\", \"kind\": \"multiple_choise\", \"data\": [\"d.jsonl\"] }\n] }");
        var ex = Assert.Throws<ConfigException>(() => EvalTasks.Load(bad));
        Assert.Contains(ex.Errors, e => e.ToString().Contains("bad.json:2:", StringComparison.Ordinal) && e.ToString().Contains("$.tasks[0].kind", StringComparison.Ordinal));
        string regex = dir.Write("r.json", """{ "tasks": [ { "name": "x", "kind": "generate", "data": ["d.jsonl"], "extract": "regex" } ] }""");
        Assert.Contains(Assert.Throws<ConfigException>(() => EvalTasks.Load(regex)).Errors, e => e.ToString().Contains("$.tasks[0].answer_regex", StringComparison.Ordinal));

        dir.Write("d.jsonl", "{\"question\": {\"stem\": \"q\", \"choices\": [{\"label\": \"A\", \"text\": \"x\"}, {\"label\": \"B\", \"text\": \"y\"}]}, \"answerKey\": \"A\"}\n{not json\n");
        var tasks = EvalTasks.Load(dir.Write("ok.json", """{ "tasks": [ { "name": "x", "kind": "multiple_choice", "data": ["d.jsonl"], "format": "commonsense_qa" } ] }"""));
        using var m = Model(vocab: 257);
        var ie = Assert.Throws<InputException>(() => new Evaluator(m, new ByteCodec(), 256, tasks).Run());
        Assert.Contains("d.jsonl:2: malformed JSON", ie.Message);
    }

    [Fact]
    public void Evaluation_tasks_in_training_write_results_to_metrics_and_eval_json()
    {
        using var dir = new TempDir();
        string data = Fixtures.TokenDir(dir, "tok", Fixtures.Text);
        dir.Write("tokenizer/" + ByteCodec.ConfigFile, "{}");
        Write(dir, "held.jsonl", [new { text = "The early bird catches the worm." }]);
        Write(dir, "mc.jsonl", [new { ctx = "The quick brown", endings = new[] { " fox", " table" }, label = 0 }]);
        string tasksFile = dir.Write("tasks.json", """
            { "tasks": [ { "name": "held", "kind": "perplexity", "data": ["held.jsonl"] },
                         { "name": "mc", "kind": "multiple_choice", "data": ["mc.jsonl"], "format": "hellaswag" } ] }
            """);
        var o = Fixtures.Tiny(dir["run"], data, steps: 6);
        o.Tokenizer = dir["tokenizer"];
        o.Eval.Every = 3;
        o.Eval.Tasks = tasksFile;
        Trainer.Run(o, new TrainRunOptions { LoadCodec = Codecs.Load });
        var lines = File.ReadAllLines(dir["run/metrics.jsonl"]).Select(l => JsonDocument.Parse(l).RootElement).ToList();
        var withTasks = lines.Where(l => l.TryGetProperty("tasks", out _)).ToList();
        Assert.Equal([3, 6], withTasks.Select(l => l.GetProperty("step").GetInt32()));
        Assert.True(withTasks[1].GetProperty("tasks").TryGetProperty("held/bits_per_byte", out _));
        Assert.True(withTasks[1].GetProperty("tasks").TryGetProperty("mc/acc", out _));
        using var eval = JsonDocument.Parse(File.ReadAllBytes(dir["run/eval/eval.json"]));
        Assert.Equal("run", eval.RootElement.GetProperty("model_name").GetString());
        Assert.Equal(5, eval.RootElement.GetProperty("tasks").GetArrayLength()); // loss, perplexity, bits_per_byte; acc, acc_norm
        Assert.True(eval.RootElement.GetProperty("edge").GetProperty("parameters").GetInt64() > 0);
        Assert.Equal(withTasks[1].GetProperty("tasks").GetProperty("mc/acc").GetDouble(),
            eval.RootElement.GetProperty("tasks").EnumerateArray().First(t => t.GetProperty("metric").GetString() == "acc").GetProperty("value").GetDouble(), 6);
    }
}
