using System.Text;
using System.Text.Json;
using DataForge.Documents;
using DataForge.Execution;
using DataForge.IO;
using DataForge.Pipelines;
using DataForge.Stages;
using DataForge.Tests;
using DataForge.Tokenization.Mixing;
using DataForge.Configuration;

namespace DataForge.Tokenization.Tests;

public class MixTests
{
    internal static readonly StageRegistry Registry = StageRegistry.Core.With(typeof(TokensSink).Assembly);

    /// <summary>Writes an Arrow shard of n documents with a quality_bucket column cycling through <paramref name="buckets"/>.</summary>
    internal static string WriteSource(TempDir dir, string name, int n, string[] buckets, int seed)
    {
        var rng = new Random(seed);
        string[] words = ["data", "model", "token", "river", "stone", "light", "quick", "the", "of", "and", "learns", "corpus"];
        var b = new DocumentBatchBuilder();
        var bucket = new Utf8ColumnBuilder();
        for (int i = 0; i < n; i++)
        {
            var sb = new StringBuilder();
            int len = rng.Next(5, 60);
            for (int w = 0; w < len; w++) sb.Append(w == 0 ? "" : " ").Append(words[rng.Next(words.Length)]);
            sb.Append('.');
            b.Append(Encoding.UTF8.GetBytes($"{name}-{i}"), Encoding.UTF8.GetBytes(sb.ToString()), Encoding.UTF8.GetBytes(name));
            bucket.Append(buckets[i % buckets.Length]);
        }
        var batch = b.Build().WithColumn("quality_bucket", bucket.Build());
        string outDir = dir[name];
        Directory.CreateDirectory(outDir);
        string file = Path.Combine(outDir, "part-00000-00000.arrow");
        using (var fs = File.Create(file))
        using (var w = new ArrowShardWriter(fs)) { w.Write(batch); w.Finish(); }
        return outDir;
    }

    internal static string MixJson(TempDir dir, string onShortfall = "fail", long seed = 7, double webEpochs = 10, double bookEpochs = 10,
        long stable = 60000, long decay = 20000, string format = "nanogpt")
        => $$"""
        {
          "$schema": "../schemas/mix.schema.json",
          "name": "test-mix", "seed": {{seed}}, "tokenizer": "o200k_base", "output": {{Runs.J(dir["out"])}},
          "format": "{{format}}", "val_fraction": 0.05, "on_shortfall": "{{onShortfall}}",
          "sources": [
            { "name": "web", "path": {{Runs.J(dir["web"])}}, "bucket_column": "quality_bucket", "max_epochs": {{webEpochs}} },
            { "name": "books", "path": {{Runs.J(dir["books"])}}, "max_epochs": {{bookEpochs}} }
          ],
          "phases": [
            { "name": "stable", "tokens": {{stable}}, "weights": { "web/high": 0.3, "web/low": 0.5, "books": 0.2 } },
            { "name": "decay", "tokens": {{decay}}, "weights": { "web/high": 0.7, "books": 0.3 } }
          ]
        }
        """;

    /// <summary>Runs a mix in-process; tests that mix several times into one directory replace the earlier mix.</summary>
    internal static MixResult RunMix(TempDir dir, string json, MixRunOptions? options = null, Action<string>? log = null)
    {
        var cfg = MixConfig.Parse(Encoding.UTF8.GetBytes(json), "mix.json");
        return Mixer.Run(cfg, dir.Path, threads: 2, log, (options ?? new MixRunOptions { Overwrite = true }) with { ConfigFile = "mix.json" });
    }

    internal static void Sources(TempDir dir)
    {
        WriteSource(dir, "web", 600, ["high", "low", "low"], 1);
        WriteSource(dir, "books", 200, ["x"], 2);
    }

    [Fact]
    public void Realised_proportions_match_targets_and_files_agree_with_the_report()
    {
        using var dir = new TempDir();
        Sources(dir);
        var r = RunMix(dir, MixJson(dir));
        var tok = TextTokenizer.Load("o200k_base");
        foreach (var phase in r.Report["phases"]!.AsArray())
        {
            long budget = (long)phase!["budget_tokens"]!, realised = (long)phase["realised_tokens"]!;
            Assert.InRange(realised, budget * 0.99, budget * 1.01);
            foreach (var e in phase["entries"]!.AsArray())
            {
                // Within 1% (relative) of the target weight, and of the planned tokens.
                double w = (double)e!["weight"]!;
                Assert.InRange((double)e["realised_weight"]!, w * 0.99, w * 1.01);
                Assert.InRange((long)e["realised_tokens"]!, (long)e["planned_tokens"]! * 0.99, (long)e["planned_tokens"]! * 1.01);
            }
            string pd = Path.Combine(dir["out"], (string)phase["name"]!);
            var train = SpecReaders.ReadBin(Path.Combine(pd, "train.bin"), wide: true);
            var val = SpecReaders.ReadBin(Path.Combine(pd, "val.bin"), wide: true);
            Assert.Equal(realised, train.Length + val.Length);
            var docs = SpecReaders.Documents(train, tok.EndOfTextId).Concat(SpecReaders.Documents(val, tok.EndOfTextId)).ToList();
            Assert.Equal(phase["entries"]!.AsArray().Sum(e => (long)e!["documents"]!), docs.Count);
            Assert.All(docs, d => Assert.EndsWith(".", tok.Decode(d)));
            Assert.True(val.Length > 0 && val.Length < train.Length / 5);
            using var meta = JsonDocument.Parse(File.ReadAllBytes(Path.Combine(pd, "tokens.json")));
            Assert.Equal(train.Length, meta.RootElement.GetProperty("train_tokens").GetInt64());
            Assert.Equal("uint32", meta.RootElement.GetProperty("dtype").GetString());
        }
        foreach (var s in r.Report["sources"]!.AsArray())
            Assert.True((long)s!["realised_tokens"]! <= (long)s["cap_tokens"]!);
        Assert.True(File.Exists(Path.Combine(dir["out"], Mixer.ReportFile)));
        Assert.False(Directory.Exists(Path.Combine(dir["out"], MixOutput.WorkDir)));
        Assert.True(File.Exists(Path.Combine(dir["out"], "_SUCCESS")));
        Assert.Equal("mix", OutputDirectory.KindOf(dir["out"]));
    }

    [Fact]
    public void Bucket_values_come_from_meta_when_the_reader_kept_them_there()
    {
        using var dir = new TempDir();
        var lines = Enumerable.Range(0, 300).Select(i => JsonSerializer.Serialize(new
        {
            id = $"j{i}", text = string.Join(' ', Enumerable.Repeat(i % 2 == 0 ? "even words here." : "odd words there.", 5 + i % 7)),
            quality_bucket = i % 2 == 0 ? "high" : "low",
        }));
        string src = dir.Write("src.jsonl", string.Join("\n", lines) + "\n");
        var cfg = MixConfig.Parse(Encoding.UTF8.GetBytes($$"""
            { "tokenizer": "o200k_base", "output": {{Runs.J(dir["out"])}},
              "sources": [ { "name": "j", "path": {{Runs.J(src)}}, "bucket_column": "quality_bucket", "max_epochs": 5 } ],
              "phases": [ { "name": "p", "tokens": 3000, "weights": { "j/high": 1 } } ] }
            """), "m.json");
        var r = Mixer.Run(cfg, dir.Path, threads: 1);
        var keys = r.Report["sources"]!.AsArray().Select(s => (string)s!["bucket"]!).ToList();
        Assert.Equal(["high", "low"], keys);
        var tok = TextTokenizer.Load("o200k_base");
        var docs = SpecReaders.Documents(SpecReaders.ReadBin(Path.Combine(dir["out"], "p", "train.bin"), true), tok.EndOfTextId);
        Assert.All(docs, d => Assert.StartsWith("even", tok.Decode(d)));
        var bad = MixConfig.Parse(Encoding.UTF8.GetBytes($$"""
            { "tokenizer": "o200k_base", "output": {{Runs.J(dir["out2"])}},
              "sources": [ { "name": "j", "path": {{Runs.J(src)}}, "bucket_column": "nope" } ],
              "phases": [ { "name": "p", "tokens": 3000, "weights": { "j": 1 } } ] }
            """), "m.json");
        Assert.Contains("no column 'nope'", Assert.Throws<InputException>(() => Mixer.Run(bad, dir.Path, threads: 1)).Message);
    }

    [Fact]
    public void Same_seed_gives_identical_shards_and_another_seed_does_not()
    {
        using var dir = new TempDir();
        Sources(dir);
        RunMix(dir, MixJson(dir, format: "both"));
        var first = Directory.EnumerateFiles(dir["out"], "*", SearchOption.AllDirectories).Order().ToDictionary(f => f, File.ReadAllBytes);
        RunMix(dir, MixJson(dir, format: "both"));
        foreach (var (f, bytes) in first) Assert.Equal(bytes, File.ReadAllBytes(f));
        RunMix(dir, MixJson(dir, seed: 8, format: "both"));
        Assert.NotEqual(first[Path.Combine(dir["out"], "stable", "train.bin")], File.ReadAllBytes(Path.Combine(dir["out"], "stable", "train.bin")));
        var idx = SpecReaders.ReadIdx(Path.Combine(dir["out"], "stable", "train_text_document.idx"));
        Assert.Equal(4, idx.DType); // o200k: vocab >= 65500 -> int32
    }

    [Fact]
    public void Impossible_target_fails_naming_source_shortfall_and_achievable_weight()
    {
        using var dir = new TempDir();
        Sources(dir);
        var ex = Assert.Throws<MixShortfallException>(() => RunMix(dir, MixJson(dir, bookEpochs: 1)));
        Assert.Contains("source 'books' falls short by", ex.Message);
        Assert.Contains("achievable weight in phase 'stable'", ex.Message);
        Assert.Contains("max_epochs 1", ex.Message);
        Assert.DoesNotContain("'web'", ex.Message);
    }

    [Fact]
    public void Redistribute_keeps_every_cap_and_reports_the_shortfall()
    {
        using var dir = new TempDir();
        Sources(dir);
        var r = RunMix(dir, MixJson(dir, onShortfall: "redistribute", bookEpochs: 1));
        foreach (var s in r.Report["sources"]!.AsArray())
        {
            Assert.True((long)s!["realised_tokens"]! <= (long)s["cap_tokens"]!, s.ToJsonString());
            Assert.True((double)s["epochs_used"]! <= (double)s["max_epochs"]!);
        }
        var books = r.Report["sources"]!.AsArray().Single(s => (string)s!["source"]! == "books")!;
        Assert.True((long)books["realised_tokens"]! > (long)books["available_tokens"]! * 0.95);
        Assert.Contains(r.Notes, n => n.Contains("books capped", StringComparison.Ordinal));
        var stable = r.Report["phases"]!.AsArray()[0]!;
        Assert.InRange((long)stable["realised_tokens"]!, 60000 * 0.99, 60000 * 1.01);
        // With web capped too, the budget cannot be met: the phase reports what is missing.
        var starved = RunMix(dir, MixJson(dir, onShortfall: "redistribute", bookEpochs: 1, webEpochs: 1));
        Assert.True((long)starved.Report["phases"]!.AsArray()[0]!["unfilled_tokens"]! > 0);
        foreach (var s in starved.Report["sources"]!.AsArray())
            Assert.True((long)s!["realised_tokens"]! <= (long)s["cap_tokens"]!, s.ToJsonString());
    }

    [Fact]
    public void Planner_spreads_freed_tokens_by_weight_and_reports_unfillable_budgets()
    {
        var supplies = new List<MixSupply>
        {
            new(new MixKey("a", null), 1000, 10, 1),
            new(new MixKey("b", null), 100000, 1000, 1),
            new(new MixKey("c", null), 100000, 1000, 1),
        };
        var plan = MixPlanner.Plan(supplies, [("p", 10000, new Dictionary<string, double> { ["a"] = 0.5, ["b"] = 0.25, ["c"] = 0.25 })], redistribute: true);
        Assert.Equal(1000, plan.Planned[0][0]);
        Assert.Equal(4500, plan.Planned[0][1]);
        Assert.Equal(4500, plan.Planned[0][2]);
        var starved = MixPlanner.Plan(supplies, [("p", 1_000_000, new Dictionary<string, double> { ["a"] = 1, ["b"] = 1 })], redistribute: true);
        Assert.True(starved.Unfilled[0] > 0);
        Assert.Equal(1000 + 100000, starved.Planned[0].Sum());
    }

    [Fact]
    public void Mix_config_errors_carry_json_paths()
    {
        var ex = Assert.Throws<ConfigException>(() => MixConfig.Parse("""
            { "tokenizer": "o200k_base", "output": "x", "sources": [ { "name": "web", "path": "w", "max_epoch": 2 } ],
              "phases": [ { "name": "stable", "tokens": 0, "weights": { "wbe": 1 } } ] }
            """u8, "m.json"));
        string all = string.Join("\n", ex.Errors.Select(e => e.ToString()));
        Assert.Contains("$.sources[0].max_epoch: unknown option 'max_epoch'; did you mean 'max_epochs'?", all);
        Assert.Contains("$.phases[0].tokens", all);
        var ex2 = Assert.Throws<ConfigException>(() => MixConfig.Parse("""
            { "tokenizer": "o200k_base", "output": "x", "sources": [ { "name": "web", "path": "w" } ],
              "phases": [ { "name": "stable", "tokens": 10, "weights": { "wbe": 1 } } ] }
            """u8, "m.json"));
        Assert.Contains("weight key 'wbe' names no source; did you mean 'web'?", string.Join("\n", ex2.Errors));
    }

    static string StagePipeline(TempDir dir, string sink)
        => $$"""
        { "seed": 3, "partition_bytes": 4096,
          "input": [ { "type": "arrow", "paths": [{{Runs.J(dir["web"] + "/*.arrow")}}], "source": "web" },
                     { "type": "arrow", "paths": [{{Runs.J(dir["books"] + "/*.arrow")}}], "source": "books" } ],
          "stages": [],
          "output": {{sink}} }
        """;

    static RunResult RunPipeline(string json, int workers)
    {
        var p = Pipeline.Parse(Encoding.UTF8.GetBytes(json), "p.json", Registry);
        var r = PipelineRunner.Run(p, new RunOptions { Workers = workers, Overwrite = true });
        Assert.True(r.Stats.Balanced);
        return r;
    }

    [Fact]
    public void Mix_stage_writes_phases_and_is_independent_of_workers()
    {
        using var dir = new TempDir();
        Sources(dir);
        string sink(string outDir) => $$"""
            { "type": "mix", "path": {{Runs.J(outDir)}}, "tokenizer": "o200k_base", "val_fraction": 0.05,
              "sources": [ { "name": "web", "bucket_column": "quality_bucket", "max_epochs": 4 }, { "name": "books", "max_epochs": 4 } ],
              "phases": [ { "name": "stable", "tokens": 30000, "weights": { "web": 0.6, "books": 0.4 } },
                          { "name": "decay", "tokens": 5000, "weights": { "web/high": 1 } } ] }
            """;
        var r1 = RunPipeline(StagePipeline(dir, sink(dir["m1"])), 1);
        RunPipeline(StagePipeline(dir, sink(dir["m2"])), 2);
        Assert.Equal(800, r1.Stats.DocumentsOut);
        foreach (var f in new[] { "stable/train.bin", "stable/val.bin", "decay/train.bin", "mix_report.json" })
            Assert.Equal(File.ReadAllBytes(Path.Combine(dir["m1"], f)), File.ReadAllBytes(Path.Combine(dir["m2"], f)));
        using var report = JsonDocument.Parse(File.ReadAllBytes(Path.Combine(dir["m1"], "mix_report.json")));
        var decay = report.RootElement.GetProperty("phases")[1].GetProperty("entries").EnumerateArray().ToList();
        Assert.Equal("high", Assert.Single(decay).GetProperty("bucket").GetString());
        Assert.False(Directory.Exists(Path.Combine(dir["m1"], "_mix_parts")));
        Assert.Contains("stable/train.bin", File.ReadAllText(Path.Combine(dir["m1"], "manifest.json")));
    }

    [Fact]
    public void Tokens_sink_splits_by_document_and_is_independent_of_workers()
    {
        using var dir = new TempDir();
        Sources(dir);
        string sink(string outDir) => $$"""{ "type": "tokens", "path": {{Runs.J(outDir)}}, "tokenizer": "o200k_base", "val_fraction": 0.1, "format": "both" }""";
        var r = RunPipeline(StagePipeline(dir, sink(dir["t1"])), 1);
        RunPipeline(StagePipeline(dir, sink(dir["t2"])), 2);
        foreach (var f in new[] { "train.bin", "val.bin", "train_text_document.idx", "val_text_document.bin", "tokens.json" })
            Assert.Equal(File.ReadAllBytes(Path.Combine(dir["t1"], f)), File.ReadAllBytes(Path.Combine(dir["t2"], f)));
        var tok = TextTokenizer.Load("o200k_base");
        int train = SpecReaders.Documents(SpecReaders.ReadBin(dir["t1/train.bin"], true), tok.EndOfTextId).Count;
        int val = SpecReaders.Documents(SpecReaders.ReadBin(dir["t1/val.bin"], true), tok.EndOfTextId).Count;
        Assert.Equal(800, train + val);
        Assert.InRange(val, 50, 120);
        Assert.Equal((ulong)train, SpecReaders.ReadIdx(dir["t1/train_text_document.idx"]).N);
        Assert.Equal(800, r.Stats.DocumentsOut);
        Assert.False(Directory.Exists(dir["t1/_token_parts"]));
        // Finishing again after the parts are gone (a resumed run that had assembled already) keeps the output.
        var sinkStage = Pipeline.Parse(Encoding.UTF8.GetBytes(StagePipeline(dir, sink(dir["t1"]))), "p.json", Registry).Sink;
        var again = sinkStage.Finish(dir["t1"], [new ShardInfo("_token_parts/00000", 400, 0, ""), new ShardInfo("_token_parts/00001", 400, 0, "")]);
        Assert.Equal(r.Shards, again);
    }
}

public class ShippedMixTests
{
    static string RepoRoot()
    {
        var d = new DirectoryInfo(AppContext.BaseDirectory);
        while (d is not null && !File.Exists(Path.Combine(d.FullName, "DataForge.sln"))) d = d.Parent;
        return d?.FullName ?? throw new InvalidOperationException("repository root not found");
    }

    [Fact]
    public void Shipped_mix_example_is_valid_and_points_at_the_schema()
    {
        string path = Path.Combine(RepoRoot(), "pipelines", "mix.json");
        Assert.Contains("\"$schema\": \"../schemas/mix.schema.json\"", File.ReadAllText(path));
        var cfg = MixConfig.Load(path);
        Assert.Equal(["stable", "decay"], cfg.Phases.Select(p => p.Name));
    }
}
