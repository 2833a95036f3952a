using System.Text;
using Apache.Arrow;
using DataForge.Execution;
using DataForge.Pipelines;
using DataForge.Quality.FastText;
using DataForge.Quality.Features;
using DataForge.Quality.Model;
using DataForge.Quality.Stages;
using DataForge.Stages;
using DataForge.Tests;
using DataForge.Configuration;

namespace DataForge.Quality.Tests;

/// <summary>A model trained once for the stage tests.</summary>
public sealed class TrainedModel : IDisposable
{
    public TempDir Dir { get; } = new();
    public string Path { get; }
    public QualityModel Model { get; }

    public TrainedModel()
    {
        var (pos, neg) = QualityData.Make(200, 11);
        Path = Dir["quality.zip"];
        QualityTrainer.Train(pos, neg, new QualityTrainOptions { Featurizer = new FeaturizerSettings { HashBits = 16 } }, Path);
        Model = QualityModel.Load(Path);
    }

    public void Dispose() => Dir.Dispose();
}

public class QualityStageTests(TrainedModel trained) : IClassFixture<TrainedModel>
{
    static readonly StageRegistry Registry = StageRegistry.Core.With(typeof(QualityScoreStage).Assembly);

    static RunResult Run(string json, int workers = 1)
    {
        var p = Pipeline.Parse(Encoding.UTF8.GetBytes(json), "test.json", Registry);
        var r = PipelineRunner.Run(p, new RunOptions { Workers = workers, Overwrite = true });
        Assert.True(r.Stats.Balanced, "accounting must balance");
        return r;
    }

    static string Pipe(string input, string output, string stages)
        => Runs.PipelineJson(input, output, stages, settings: "\"partition_bytes\": 16384", sink: "\"type\": \"arrow\"");

    /// <summary>(id, text, columns...) of every output document in order.</summary>
    static List<(string Id, string Text, float Score, string? Bucket)> Read(string dir, string column = "quality")
    {
        var list = new List<(string, string, float, string?)>();
        foreach (var f in Directory.EnumerateFiles(dir, "part-*").Order(StringComparer.Ordinal))
            foreach (var b in DataForge.IO.ShardFiles.Read(f))
            {
                var s = (FloatArray)b.Column(column)!;
                var bucket = b.Column("quality_bucket") as StringArray;
                for (int i = 0; i < b.Length; i++) list.Add((b.GetId(i), b.Text.GetString(i), s.GetValue(i)!.Value, bucket?.GetString(i)));
            }
        return list;
    }

    /// <summary>A corpus of 400 documents, every fifth one a duplicate of an earlier one (tied scores).</summary>
    static (string Path, List<string> Texts) Corpus(TempDir dir)
    {
        var (pos, neg) = QualityData.Make(200, 5);
        var texts = pos.Zip(neg, (a, b) => new[] { a, b }).SelectMany(x => x).Select(Encoding.UTF8.GetString).ToList();
        for (int i = 5; i < texts.Count; i += 5) texts[i] = texts[i / 3];
        return (dir.Write("in.jsonl", QualityData.Jsonl(texts.Select(Encoding.UTF8.GetBytes), "d")), texts);
    }

    string ScoreStage => $$"""{ "type": "quality_score", "model": {{Runs.J(trained.Path)}} }""";

    [Fact]
    public void Quality_score_adds_the_model_probability_and_a_histogram()
    {
        using var dir = new TempDir();
        var (input, texts) = Corpus(dir);
        var r = Run(Pipe(input, dir["out"], ScoreStage));
        var docs = Read(dir["out"]);
        Assert.Equal(texts.Count, docs.Count);
        var expected = QualityScorer.ScoreAll(trained.Model, texts.Select(Encoding.UTF8.GetBytes).ToList());
        for (int i = 0; i < docs.Count; i++) Assert.Equal(expected[i], docs[i].Score);
        var h = r.Stats.Stages.Single(s => s.Type == "quality_score").Histograms["quality"];
        Assert.Equal(texts.Count, h.Total);
        Assert.True(h.Counts[^1] > 50 && h.Counts[0] > 50, "scores spread to both ends");

        Run(Pipe(input, dir["out2"], ScoreStage), workers: 2);
        Assert.Equal(Runs.Shards(dir["out"]), Runs.Shards(dir["out2"]));
    }

    [Fact]
    public void Quality_filter_threshold_keeps_scores_at_or_above()
    {
        using var dir = new TempDir();
        var (input, texts) = Corpus(dir);
        var r = Run(Pipe(input, dir["out"], ScoreStage + """, { "type": "quality_filter", "threshold": 0.5 }"""));
        var all = QualityScorer.ScoreAll(trained.Model, texts.Select(Encoding.UTF8.GetBytes).ToList());
        var kept = Read(dir["out"]);
        Assert.Equal(all.Count(s => s >= 0.5f), kept.Count);
        Assert.All(kept, d => Assert.True(d.Score >= 0.5f));
        Assert.Equal(texts.Count - kept.Count, r.Stats.Stages.Single(s => s.Type == "quality_filter").Dropped[QualityFilterStage.BelowThreshold]);
    }

    [Theory]
    [InlineData(0.1)]
    [InlineData(0.3)]
    [InlineData(0.77)]
    [InlineData(1.0)]
    public void Quality_filter_top_fraction_is_exact_with_ties_broken_by_input_order(double fraction)
    {
        using var dir = new TempDir();
        var (input, texts) = Corpus(dir);
        string stages = ScoreStage + $$""", { "type": "quality_filter", "top_fraction": {{fraction.ToString(System.Globalization.CultureInfo.InvariantCulture)}} }""";
        Run(Pipe(input, dir["out"], stages));
        var all = QualityScorer.ScoreAll(trained.Model, texts.Select(Encoding.UTF8.GetBytes).ToList());
        int k = (int)Math.Ceiling(fraction * texts.Count - 1e-9);
        // Reference: sort by score descending, then input order; keep the first k.
        var expected = Enumerable.Range(0, all.Length).OrderByDescending(i => all[i]).ThenBy(i => i).Take(k).Order().Select(i => $"d{i}").ToList();
        var kept = Read(dir["out"]).Select(d => d.Id).ToList();
        Assert.Equal(expected, kept);

        Run(Pipe(input, dir["out2"], stages), workers: 2);
        Assert.Equal(Runs.Shards(dir["out"]), Runs.Shards(dir["out2"]));
    }

    [Fact]
    public void Quality_bucket_from_edges_and_from_exact_quantiles()
    {
        using var dir = new TempDir();
        var (input, texts) = Corpus(dir);
        var all = QualityScorer.ScoreAll(trained.Model, texts.Select(Encoding.UTF8.GetBytes).ToList());
        Run(Pipe(input, dir["e"], ScoreStage + """, { "type": "quality_bucket", "edges": [0.2, 0.8], "labels": ["low", "mid", "high"] }"""));
        foreach (var d in Read(dir["e"]))
            Assert.Equal(d.Score < 0.2f ? "low" : d.Score < 0.8f ? "mid" : "high", d.Bucket);

        var r = Run(Pipe(input, dir["q"], ScoreStage + """, { "type": "quality_bucket", "quantiles": [0.5, 0.9] }"""));
        var sorted = all.Order().ToArray();
        float median = sorted[texts.Count / 2], p90 = sorted[(int)(0.9 * texts.Count)];
        var docs = Read(dir["q"]);
        foreach (var d in docs) Assert.Equal(d.Score < median ? "q0" : d.Score < p90 ? "q1" : "q2", d.Bucket);
        var counters = r.Stats.Stages.Single(s => s.Type == "quality_bucket").Counters;
        Assert.Equal(texts.Count, counters.Values.Sum());
        Assert.InRange(counters["quality_bucket.q2"], 20, 60);
    }

    [Fact]
    public void Quality_filter_and_bucket_apply_in_a_process_that_did_not_resolve_them()
    {
        using var dir = new TempDir();
        var (input, _) = Corpus(dir);
        string stages = ScoreStage + """, { "type": "quality_bucket", "quantiles": [0.5, 0.9] }, { "type": "quality_filter", "top_fraction": 0.3 }""";
        Run(Pipe(input, dir["local"], stages));
        // As on Slurm: each step's tasks build the stages afresh, so apply reads what resolve left on disk.
        string json = Pipe(input, dir["steps"], stages);
        StepsInProcess.Run(() => Pipeline.Parse(Encoding.UTF8.GetBytes(json), "test.json", Registry), tasks: 3);
        Assert.True(File.Exists(dir["steps/_SUCCESS"]));
        Assert.Equal(Runs.Shards(dir["local"]), Runs.Shards(dir["steps"]));
        Assert.Equal(File.ReadAllText(dir["local/manifest.json"]), File.ReadAllText(dir["steps/manifest.json"]));
    }

    [Fact]
    public void Fasttext_score_stage_matches_predict_prob()
    {
        using var dir = new TempDir();
        string train = FastTextCli.TrainingFile(dir["train.txt"], 500, 9, ["__label__hq", "__label__cc"]);
        FastTextCli.Run("supervised", "-input", train, "-output", dir["ft"], "-wordNgrams", "2", "-dim", "10", "-epoch", "10", "-thread", "1", "-verbose", "0");
        var rng = new Random(4);
        var texts = Enumerable.Range(0, 150).Select(i => FastTextCli.Document(rng, i % 2) + (i % 7 == 0 ? "\nsecond line\tof it" : "")).ToList();
        string input = dir.Write("in.jsonl", QualityData.Jsonl(texts.Select(Encoding.UTF8.GetBytes), "d"));
        var r = Run(Pipe(input, dir["out"], $$"""{ "type": "fasttext_score", "model": {{Runs.J(dir["ft.bin"])}} }"""), workers: 2);
        // DataForge scores a document as one line: fastText sees it with line breaks as spaces.
        var expected = FastTextCli.PredictProb(dir["ft.bin"], dir.Write("in.txt", string.Join("\n", texts.Select(t => t.Replace('\n', ' '))) + "\n"));
        var docs = Read(dir["out"], "fasttext_quality");
        Assert.Equal(texts.Count, docs.Count);
        for (int i = 0; i < docs.Count; i++) Assert.True(Math.Abs(docs[i].Score - expected[i]["__label__hq"]) <= 1e-4, $"doc {i}");
        Assert.Equal(texts.Count, r.Stats.Stages.Single(s => s.Type == "fasttext_score").Histograms["fasttext_quality"].Total);

        var bad = Assert.Throws<ConfigException>(() => Pipeline.Parse(Encoding.UTF8.GetBytes(Pipe(input, dir["x"], $$"""{ "type": "fasttext_score", "model": {{Runs.J(dir["ft.bin"])}}, "label": "__label__nope" }""")), "t.json", Registry));
        Assert.Contains("__label__cc", bad.Errors[0].ToString(), StringComparison.Ordinal);
    }

    [Fact]
    public void Option_errors_are_config_errors()
    {
        using var dir = new TempDir();
        var (input, _) = Corpus(dir);
        void Bad(string stages, string fragment)
        {
            var ex = Assert.Throws<ConfigException>(() => Pipeline.Parse(Encoding.UTF8.GetBytes(Pipe(input, dir["x"], stages)), "t.json", Registry));
            Assert.Contains(fragment, string.Join("\n", ex.Errors), StringComparison.Ordinal);
        }
        Bad("""{ "type": "quality_filter", "threshold": 0.5, "top_fraction": 0.1 }""", "exactly one of threshold or top_fraction");
        Bad("""{ "type": "quality_filter" }""", "exactly one of threshold or top_fraction");
        Bad("""{ "type": "quality_filter", "top_fraction": 0 }""", "top_fraction");
        Bad("""{ "type": "quality_bucket", "edges": [0.5, 0.2] }""", "increasing");
        Bad("""{ "type": "quality_bucket", "quantiles": [0.5], "labels": ["a"] }""", "expected 2 labels");
        Bad("""{ "type": "quality_score", "model": "nope.zip" }""", "file not found");
        Bad("""{ "type": "fasttext_score", "model": "nope.bin" }""", "file not found");
        // A filter without a score column fails at run time with a hint.
        var ex = Assert.ThrowsAny<Exception>(() => Run(Pipe(input, dir["y"], """{ "type": "quality_filter", "threshold": 0.5 }""")));
        Assert.Contains("quality_score", ex.ToString(), StringComparison.Ordinal);
    }

    [Fact]
    public void Spilled_order_statistics_are_exact()
    {
        using var dir = new TempDir();
        var rng = new Random(3);
        var values = Enumerable.Range(0, 5000).Select(i => i % 10 == 0 ? 0.25f : i % 13 == 0 ? -(float)rng.NextDouble() : i % 17 == 0 ? float.NaN : (float)rng.NextDouble()).ToArray();
        var files = new List<string>();
        for (int p = 0; p < 3; p++)
        {
            files.Add(dir[$"s{p}.f32"]);
            File.WriteAllBytes(files[^1], System.Runtime.InteropServices.MemoryMarshal.AsBytes(values.AsSpan(p * 1500, p == 2 ? 2000 : 1500)).ToArray());
        }
        var spilled = new SpilledScores(files);
        Assert.Equal(5000, spilled.Count());
        var sorted = values.OrderBy(SpilledScores.Key).ToArray();
        long[] ranks = [0, 1, 100, 499, 2500, 4000, 4999];
        var got = spilled.OrderStatistics(ranks);
        for (int r = 0; r < ranks.Length; r++) Assert.Equal(SpilledScores.Key(sorted[ranks[r]]), SpilledScores.Key(got[r]));
        Assert.True(SpilledScores.Key(-1f) < SpilledScores.Key(-0.5f) && SpilledScores.Key(-0.5f) < SpilledScores.Key(0f) && SpilledScores.Key(0f) == SpilledScores.Key(-0f) && SpilledScores.Key(float.NaN) < SpilledScores.Key(float.MinValue));
    }
}
