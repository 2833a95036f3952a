using System.Text;
using System.Text.Json;
using DataForge.Execution;
using static DataForge.Tests.Runs;

namespace DataForge.Tests;

public class ExecutorTests
{
    static string Pipe(string input, string output, string stages = "", string settings = "\"partition_bytes\": 65536", string sink = "\"type\": \"jsonl\"")
        => PipelineJson(input, output, stages, settings, sink: sink);

    const string Filters = """{"type": "normalize"}, {"type": "length_filter", "min_words": 20}, {"type": "sample", "fraction": 0.7}""";

    [Fact]
    public void Byte_range_partitions_read_every_line_exactly_once_in_order()
    {
        using var dir = new TempDir();
        string input = WriteCorpus(dir, "c.jsonl", 3000);
        var r = Run(Pipe(input, dir["o"]), workers: 2);
        Assert.True(r.Stats.Partitions > 5, $"expected several partitions, got {r.Stats.Partitions}");
        Assert.Equal(Enumerable.Range(0, 3000).Select(i => $"d{i}"), ReadDocs(dir["o"]).Select(d => d.Id));
    }

    [Theory]
    [InlineData("\"type\": \"jsonl\"")]
    [InlineData("\"type\": \"jsonl\", \"compression\": \"zstd\", \"shard_max_rows\": 300")]
    [InlineData("\"type\": \"parquet\", \"shard_max_bytes\": 100000")]
    [InlineData("\"type\": \"arrow\"")]
    public void One_and_two_workers_give_byte_identical_output(string sink)
    {
        using var dir = new TempDir();
        string input = WriteCorpus(dir, "c.jsonl", 4000);
        var one = Run(Pipe(input, dir["one"], Filters, sink: sink), workers: 1);
        var two = Run(Pipe(input, dir["two"], Filters, sink: sink), workers: 2);
        Assert.Equal(Shards(dir["one"]), Shards(dir["two"]));
        Assert.Equal(File.ReadAllText(dir["one/manifest.json"]), File.ReadAllText(dir["two/manifest.json"]));
        Assert.Equal(one.Stats.DocumentsOut, two.Stats.DocumentsOut);
        Assert.True(one.Stats.Dropped > 0);
    }

    [Fact]
    public void Stats_account_for_every_document_per_stage_and_overall()
    {
        using var dir = new TempDir();
        string input = WriteCorpus(dir, "c.jsonl", 2000);
        File.AppendAllText(input, "not json\n{\"text\": 5}\n");
        var r = Run(Pipe(input, dir["o"], Filters, settings: "\"on_error\": \"skip\", \"partition_bytes\": 65536"), workers: 2);
        using var doc = JsonDocument.Parse(File.ReadAllText(dir["o/stats.json"]));
        var s = doc.RootElement;
        long inn = s.GetProperty("documents_in").GetInt64(), outn = s.GetProperty("documents_out").GetInt64();
        long dropped = s.GetProperty("dropped").GetInt64(), rejected = s.GetProperty("rejected").GetInt64();
        Assert.Equal(2002, inn);
        Assert.Equal(2, rejected);
        Assert.Equal(inn, outn + dropped + rejected);
        var stages = s.GetProperty("stages").EnumerateArray().ToList();
        Assert.Equal(["jsonl", "normalize", "length_filter", "sample"], stages.Select(x => x.GetProperty("name").GetString()));
        foreach (var st in stages.Skip(1))
        {
            long dsum = st.GetProperty("dropped").EnumerateObject().Sum(p => p.Value.GetInt64());
            Assert.Equal(st.GetProperty("in").GetInt64(), st.GetProperty("out").GetInt64() + dsum);
        }
        Assert.True(stages[2].GetProperty("dropped").GetProperty("length_filter.min_words").GetInt64() > 0);
        Assert.Equal(outn, ReadDocs(dir["o"]).Count);
        long manifestRows = JsonDocument.Parse(File.ReadAllText(dir["o/manifest.json"])).RootElement.GetProperty("rows").GetInt64();
        Assert.Equal(outn, manifestRows);
        Assert.True(File.Exists(dir["o/_SUCCESS"]));
        Assert.False(Directory.Exists(dir["o/_work"]));
    }

    [Fact]
    public void Masked_stages_in_a_row_match_filtering_after_every_stage()
    {
        // Filters and rewriters in a row share one alive mask and rows are removed once; a pass-through
        // stage between each pair makes the executor remove them after every stage instead. Documents,
        // per-stage stats (counts, bytes, drop reasons, histograms) and dropped records must not differ.
        using var dir = new TempDir();
        var rng = new Random(3);
        string[] words = ["the", "of", "and", "river", "data", "model", "token", "with", "to", "be", "have", "that", "lorem ipsum", "{x}", "javascript", "naïve"];
        var corpus = new StringBuilder();
        for (int i = 0; i < 1500; i++)
        {
            var t = new StringBuilder();
            int lines = rng.Next(0, 12);
            for (int l = 0; l < lines; l++)
            {
                int n = rng.Next(1, 18);
                for (int w = 0; w < n; w++) t.Append(words[rng.Next(rng.Next(3) == 0 ? words.Length : 12)]).Append(w + 1 < n ? " " : "");
                t.Append(rng.Next(5) switch { 0 => "", 1 => "!", _ => "." }).Append(rng.Next(6) == 0 ? "\n\n" : "\n");
            }
            corpus.Append(JsonSerializer.Serialize(new { id = $"d{i}", text = rng.Next(40) == 0 ? "   " : t.ToString() })).Append('\n');
        }
        string input = dir["c.jsonl"];
        File.WriteAllText(input, corpus.ToString());
        string[] stages =
        [
            """{"type": "normalize"}""", """{"type": "length_filter", "min_words": 8}""", """{"type": "gopher_quality", "min_doc_words": 10}""",
            """{"type": "gopher_repetition"}""", """{"type": "c4_quality", "min_num_sentences": 2}""", """{"type": "fineweb_quality"}""", """{"type": "sample", "fraction": 0.8}""",
        ];
        string settings = "\"partition_bytes\": 65536, \"keep_dropped\": true";
        Run(Pipe(input, dir["masked"], string.Join(", ", stages), settings), workers: 2);
        Run(Pipe(input, dir["each"], string.Join(", ", stages.Select((st, k) => $$"""{{st}}, {"type": "test_pass_through", "name": "pass{{k}}"}""")), settings), workers: 2);
        Assert.Equal(Shards(dir["masked"]), Shards(dir["each"]));
        static List<string> StageStats(string run)
        {
            using var doc = JsonDocument.Parse(File.ReadAllText(Path.Combine(run, "stats.json")));
            return doc.RootElement.GetProperty("stages").EnumerateArray()
                .Where(st => !st.GetProperty("name").GetString()!.StartsWith("pass"))
                .Select(st => string.Join(",", st.EnumerateObject().Where(p => p.Name != "seconds").Select(p => $"{p.Name}={p.Value.GetRawText()}"))).ToList();
        }
        var masked = StageStats(dir["masked"]);
        Assert.Equal(8, masked.Count);
        Assert.Equal(masked, StageStats(dir["each"]));
        static List<string> Dropped(string run) => Directory.EnumerateFiles(Path.Combine(run, "dropped")).SelectMany(File.ReadAllLines).Order(StringComparer.Ordinal).ToList();
        var dropped = Dropped(dir["masked"]);
        Assert.Equal(dropped, Dropped(dir["each"]));
        // Every stage dropped something, so the comparison covers each one.
        foreach (var reason in new[] { "normalize.", "length_filter.", "gopher_quality.", "gopher_repetition.", "c4_quality.", "fineweb_quality.", "sample." })
            Assert.Contains(dropped, d => d.Contains("\"" + reason));
    }

    [Fact]
    public void Keep_dropped_writes_documents_with_stage_and_reason()
    {
        using var dir = new TempDir();
        string input = WriteCorpus(dir, "c.jsonl", 500);
        var r = Run(Pipe(input, dir["o"], Filters, settings: "\"keep_dropped\": true"));
        var lines = Directory.EnumerateFiles(dir["o/dropped"]).SelectMany(File.ReadAllLines).Select(l => JsonDocument.Parse(l).RootElement).ToList();
        Assert.Equal(r.Stats.Dropped, lines.Count);
        Assert.All(lines, l => Assert.Contains(l.GetProperty("reason").GetString(), new[] { "length_filter.min_words", "sample.not_sampled" }));
        Assert.All(lines, l => Assert.False(string.IsNullOrEmpty(l.GetProperty("text").GetString())));
    }

    [Fact]
    public void Shards_rotate_by_rows_and_bytes()
    {
        using var dir = new TempDir();
        string input = WriteCorpus(dir, "c.jsonl", 1000);
        var r = Run(Pipe(input, dir["o"], settings: "\"partition_bytes\": 100000000", sink: "\"type\": \"jsonl\", \"shard_max_rows\": 300"));
        Assert.Equal([300L, 300, 300, 100], r.Shards.Select(s => s.Rows));
        Assert.Equal(["part-00000-00000.jsonl", "part-00000-00001.jsonl", "part-00000-00002.jsonl", "part-00000-00003.jsonl"], r.Shards.Select(s => s.File));
        var rb = Run(Pipe(input, dir["b"], settings: "\"partition_bytes\": 100000000", sink: "\"type\": \"parquet\", \"shard_max_bytes\": 50000"));
        Assert.True(rb.Shards.Count > 3);
        Assert.Equal(1000, rb.Shards.Sum(s => s.Rows));
        foreach (var s in rb.Shards)
            Assert.Equal(s.XxHash64, Convert.ToHexStringLower(System.IO.Hashing.XxHash64.Hash(File.ReadAllBytes(Path.Combine(dir["b"], s.File)))));
    }

    [Theory]
    [InlineData("parquet")]
    [InlineData("arrow")]
    [InlineData("jsonl")]
    public void Formats_round_trip_documents_and_meta(string format)
    {
        using var dir = new TempDir();
        string input = WriteCorpus(dir, "c.jsonl", 300);
        Run(Pipe(input, dir["a"], sink: $"\"type\": \"{format}\""));
        string shardGlob = Path.Combine(dir["a"], "part-*");
        Run($$"""{"input": [{"type": "{{format}}", "paths": [{{J(shardGlob)}}]}], "output": {"type": "jsonl", "path": {{J(dir["b"])}} } }""");
        Assert.Equal(ReadDocs(dir["a"]), ReadDocs(dir["b"]));
        var first = JsonDocument.Parse(File.ReadLines(Directory.GetFiles(dir["b"], "part-*").Order(StringComparer.Ordinal).First()).First()).RootElement;
        Assert.Equal("https://example.org/0/0", first.GetProperty("url").GetString());
        Assert.Equal(0, first.GetProperty("meta").GetProperty("score").GetInt32());
        Assert.Equal("c", first.GetProperty("source").GetString());
    }

    [Fact]
    public void Resume_after_a_failure_gives_byte_identical_output()
    {
        using var dir = new TempDir();
        string input = WriteCorpus(dir, "c.jsonl", 4000);
        string settings = "\"partition_bytes\": 65536, \"batch_rows\": 100";
        Run(Pipe(input, dir["ref"], Filters, settings), workers: 2);
        // The same pipeline with a stage that fails once mid-run leaves partial output behind...
        string explode = Filters + $", {{\"type\": \"test_explode\", \"after_batches\": 25, \"marker\": {J(dir["exploded"])}}}";
        var failing = Parse(Pipe(input, dir["o"], explode, settings));
        Assert.Throws<InvalidOperationException>(() => PipelineRunner.Run(failing, new RunOptions { Workers = 2 }));
        Assert.True(Directory.Exists(dir["o/_work"]));
        Assert.False(File.Exists(dir["o/_SUCCESS"]));
        // ...and a resumed run refuses another configuration, then finishes this one.
        var other = Parse(Pipe(input, dir["o"], Filters, settings));
        Assert.Throws<RunSetupException>(() => PipelineRunner.Run(other, new RunOptions { Workers = 2, Resume = true }));
        var resumed = Parse(Pipe(input, dir["o"], explode, settings));
        var r = PipelineRunner.Run(resumed, new RunOptions { Workers = 1, Resume = true });
        Assert.True(r.Stats.Balanced);
        Assert.Equal(Shards(dir["ref"]), Shards(dir["o"]));
        Assert.Equal(4000, r.Stats.DocumentsIn);
    }

    [Fact]
    public void Output_directory_must_be_empty_unless_overwriting_or_resuming()
    {
        using var dir = new TempDir();
        string input = WriteCorpus(dir, "c.jsonl", 10);
        dir.Write("o/old.txt", "x");
        var p = Parse(Pipe(input, dir["o"]));
        Assert.Contains("not empty", Assert.Throws<RunSetupException>(() => PipelineRunner.Run(p, new RunOptions())).Message);
        Assert.Contains("no interrupted run", Assert.Throws<RunSetupException>(() => PipelineRunner.Run(p, new RunOptions { Resume = true })).Message);
        // --overwrite never deletes files DataForge did not write.
        Assert.Contains("did not write", Assert.Throws<RunSetupException>(() => PipelineRunner.Run(p, new RunOptions { Overwrite = true })).Message);
        Assert.Equal("x", File.ReadAllText(dir["o/old.txt"]));
        File.Delete(dir["o/old.txt"]);
        PipelineRunner.Run(p, new RunOptions());
        // An earlier output is replaced, and the run says what it removes.
        var log = new List<string>();
        PipelineRunner.Run(p, new RunOptions { Overwrite = true, Log = log.Add });
        Assert.Contains(log, l => l.Contains("removing the previous pipeline output", StringComparison.Ordinal) && l.Contains("manifest.json", StringComparison.Ordinal));
        Assert.True(File.Exists(dir["o/_SUCCESS"]));
    }

    [Fact]
    public void Limit_reads_the_first_documents_in_input_order()
    {
        using var dir = new TempDir();
        string input = WriteCorpus(dir, "c.jsonl", 3000);
        var r = Run(Pipe(input, dir["o"]), workers: 2, limit: 1234);
        Assert.Equal(1234, r.Stats.DocumentsIn);
        Assert.Equal(Enumerable.Range(0, 1234).Select(i => $"d{i}"), ReadDocs(dir["o"]).Select(d => d.Id));
    }

    [Fact]
    public void Global_stage_sees_the_whole_corpus_in_input_order_with_any_worker_count()
    {
        using var dir = new TempDir();
        // Many duplicates spread over partitions; the first occurrence (input order) must survive.
        var lines = Enumerable.Range(0, 3000).Select(i => JsonSerializer.Serialize(new { id = $"d{i}", text = $"text {(i * 37) % 700} " + new string('x', 50) }));
        string input = dir.Write("c.jsonl", string.Join("\n", lines) + "\n");
        string stages = """{"type": "normalize"}, {"type": "test_exact_dedup"}, {"type": "length_filter", "min_chars": 1}""";
        var one = Run(Pipe(input, dir["one"], stages), workers: 1);
        var two = Run(Pipe(input, dir["two"], stages), workers: 2);
        Assert.Equal(700, one.Stats.DocumentsOut);
        Assert.Equal(Shards(dir["one"]), Shards(dir["two"]));
        var expected = Enumerable.Range(0, 3000).GroupBy(i => (i * 37) % 700).Select(g => $"d{g.Min()}").Order(StringComparer.Ordinal);
        Assert.Equal(expected, ReadDocs(dir["one"]).Select(d => d.Id).Order(StringComparer.Ordinal));
        var st = one.Stats.Stages.Single(s => s.Name == "test_exact_dedup");
        Assert.Equal(2300, st.Dropped["test_exact_dedup.duplicate"]);
        Assert.Equal(700, st.Counters["test_exact_dedup.unique"]);
    }

    [Fact]
    public void Multiple_sources_are_read_in_declaration_order()
    {
        using var dir = new TempDir();
        string a = dir.Write("a.jsonl", "{\"text\":\"from a\"}\n");
        string b = dir.Write("b.csv", "text\nfrom b\n");
        string t = dir.Write("t/one.txt", "from text file");
        var json = $$"""{"input": [{"type": "jsonl", "paths": [{{J(a)}}], "source": "web"}, {"type": "csv", "paths": [{{J(b)}}]}, {"type": "text", "paths": [{{J(Path.Combine(dir["t"], "*.txt"))}}]}], "output": {"type": "parquet", "path": {{J(dir["o"])}} } }""";
        var r = Run(json);
        Assert.Equal(["from a", "from b", "from text file"], ReadDocs(dir["o"]).Select(d => d.Text));
        Assert.Equal(3, r.Stats.DocumentsOut);
    }
}

public class ExpandStageTests
{
    [Fact]
    public void Expand_stages_count_added_documents_and_keep_the_books_balanced()
    {
        using var dir = new TempDir();
        var lines = new[]
        {
            System.Text.Json.JsonSerializer.Serialize(new { id = "a", text = "one\n\ntwo\n\nthree" }),
            System.Text.Json.JsonSerializer.Serialize(new { id = "b", text = "single" }),
            System.Text.Json.JsonSerializer.Serialize(new { id = "c", text = " \n\n " }),
        };
        string input = dir.Write("x.jsonl", string.Join("\n", lines) + "\n");
        var r = Runs.Run($$"""{"input": [{"type": "jsonl", "paths": [{{Runs.J(input)}}]}], "stages": [{"type": "test_split_paragraphs"}], "output": {"type": "jsonl", "path": {{Runs.J(dir["o"])}} } }""", workers: 2);
        Assert.Equal(["a/p0", "a/p1", "a/p2", "b/p0"], Runs.ReadDocs(dir["o"]).Select(d => d.Id));
        var st = r.Stats.Stages.Single(s => s.Type == "test_split_paragraphs");
        Assert.Equal((3L, 4L, 2L), (st.In, st.Out, st.Added));
        Assert.Equal(1, st.Dropped["test_split_paragraphs.empty"]);
        Assert.Equal((3L, 4L, 1L, 2L), (r.Stats.DocumentsIn, r.Stats.DocumentsOut, r.Stats.Dropped, r.Stats.Added));
    }
}
