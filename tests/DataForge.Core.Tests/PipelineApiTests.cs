using System.Text;
using DataForge.Configuration;
using DataForge.Dedup;
using DataForge.Documents;
using DataForge.Execution;
using DataForge.Filters;
using DataForge.IO;
using DataForge.Pipelines;
using DataForge.Stages;
using DataForge.Text;

namespace DataForge.Tests;

public sealed class WordCapOptions
{
    [Option("The word to count.", Required = true)]
    public string Word { get; init; } = "";

    [Option("Most occurrences of the word a document may have.", Min = 0)]
    public int Max { get; init; } = 3;
}

/// <summary>A stage written the way a user of the C# API writes one: an options record and a per-row rule.</summary>
[Stage("test_word_cap", StageShape.Map, "Test only: drops documents in which a word occurs more than max times.")]
public sealed class TestWordCap(WordCapOptions options, StageInit init) : TextRuleStage(init)
{
    protected override string? Check(ReadOnlySpan<char> text, DocumentBatch batch, int row, StageContext context)
    {
        int n = 0;
        foreach (var range in text.Split(' '))
            if (text[range].SequenceEqual(options.Word)) n++;
        context.Count("documents_checked");
        return n > options.Max ? "test_word_cap.too_many" : null;
    }
}

public class PipelineApiTests
{
    static PipelineDefinition Definition(string input, string output) => new()
    {
        Settings = new PipelineSettings { Name = "api", Seed = 7, PartitionBytes = 16384, KeepDropped = true },
        Input = { new StageSpec("jsonl", new JsonlReaderOptions { Paths = [input], Source = "web" }) },
        Stages =
        {
            new StageSpec("normalize", new NormalizeOptions { Form = "NFKC" }),
            StageSpec.Of<TestWordCap>(new WordCapOptions { Word = "fox", Max = 4 }, name: "fox_cap"),
            new StageSpec("length_filter", new LengthFilterOptions { MinWords = 10, MaxChars = 100_000 }),
            new StageSpec("exact_dedup", new ExactDedupOptions()),
        },
        Output = new StageSpec("parquet", new ParquetWriterOptions { Path = output, ShardMaxRows = 40 }),
    };

    [Fact]
    public void A_pipeline_built_in_code_writes_the_same_bytes_as_the_same_pipeline_in_json()
    {
        using var dir = new TempDir();
        string input = Runs.WriteCorpus(dir, "in.jsonl", 400);
        // Duplicates for the dedup stage.
        File.AppendAllText(input, string.Concat(File.ReadLines(input).Take(30).Select(l => l.Replace("\"id\":\"d", "\"id\":\"copy", StringComparison.Ordinal) + "\n")));

        string json = $$"""
            {
              "name": "api", "seed": 7, "partition_bytes": 16384, "keep_dropped": true,
              "input": [{ "type": "jsonl", "paths": [{{Runs.J(input)}}], "source": "web" }],
              "stages": [
                { "type": "normalize", "form": "NFKC" },
                { "type": "test_word_cap", "name": "fox_cap", "word": "fox", "max": 4 },
                { "type": "length_filter", "min_words": 10, "max_chars": 100000 },
                { "type": "exact_dedup" }
              ],
              "output": { "type": "parquet", "path": {{Runs.J(dir["from-json"])}}, "shard_max_rows": 40 }
            }
            """;
        var fromJson = PipelineRunner.Run(Runs.Parse(json), new RunOptions { Workers = 2 });

        // The stage class written in code joins the registry through its spec; DataForge.Core's stages are the default.
        var pipeline = Pipeline.Create(Definition(input, dir["from-code"]));
        var fromCode = PipelineRunner.Run(pipeline, new RunOptions { Workers = 2 });

        var a = Runs.Shards(dir["from-json"]);
        var b = Runs.Shards(dir["from-code"]);
        Assert.True(a.Count > 2, "several shards");
        Assert.Equal(a.Keys, b.Keys);
        foreach (var k in a.Keys) Assert.True(a[k].AsSpan().SequenceEqual(b[k]), $"{k} differs");
        Assert.Equal(File.ReadAllBytes(Path.Combine(dir["from-json"], "manifest.json")), File.ReadAllBytes(Path.Combine(dir["from-code"], "manifest.json")));
        foreach (var f in Directory.GetFiles(Path.Combine(dir["from-json"], "dropped")))
            Assert.Equal(File.ReadAllBytes(f), File.ReadAllBytes(Path.Combine(dir["from-code"], "dropped", Path.GetFileName(f))));

        // Same accounting, stage by stage.
        Assert.True(fromCode.Stats.Balanced);
        var cap = fromCode.Stats.Stages.Single(s => s.Name == "fox_cap");
        Assert.Equal("test_word_cap", cap.Type);
        Assert.True(cap.Dropped["test_word_cap.too_many"] > 0);
        Assert.Equal(cap.In, cap.Counters["documents_checked"]);
        foreach (var (x, y) in fromJson.Stats.Stages.Zip(fromCode.Stats.Stages))
        {
            Assert.Equal((x.Name, x.Type, x.In, x.Out), (y.Name, y.Type, y.In, y.Out));
            Assert.Equal(x.Dropped.OrderBy(kv => kv.Key), y.Dropped.OrderBy(kv => kv.Key));
        }
        Assert.True(fromCode.Stats.Stages.Single(s => s.Type == "exact_dedup").DroppedTotal > 0, "copies that pass the filters are dropped as duplicates");

        // Read back: the documents of the manifest, in order.
        var output = PipelineOutput.Open(fromCode.OutputDirectory);
        var docs = output.ReadDocuments().ToList();
        Assert.Equal(output.Stats.DocumentsOut, docs.Count);
        Assert.Equal(output.Manifest.Rows, docs.Count);
        Assert.Equal(Runs.ReadDocs(dir["from-json"]).Select(d => (d.Id, d.Text)), docs.Select(d => (d.Id, d.Text)));
        Assert.All(docs, d => Assert.Equal("web", d.Source));
        Assert.Equal(fromJson.Stats.DocumentsOut, output.Stats.DocumentsOut);
    }

    [Fact]
    public void A_definition_is_written_as_the_pipeline_file_it_stands_for()
    {
        using var dir = new TempDir();
        var def = Definition("in/*.jsonl", dir["out"]);
        string json = def.ToJson();
        var parsed = Runs.Parse(json);
        Assert.Equal(["normalize", "fox_cap", "length_filter", "exact_dedup"], parsed.Stages.Select(s => s.Name));
        Assert.Equal("api", parsed.Settings.Name);
        Assert.Contains("\"min_words\": 10", json);
        Assert.Contains("\"word\": \"fox\"", json);
        Assert.DoesNotContain("max_words", json); // unset options stay unset
        Assert.Equal(parsed.CanonicalJson, Pipeline.Create(def).CanonicalJson);
    }

    [Fact]
    public void Options_built_in_code_are_checked_like_a_file_with_json_paths()
    {
        using var dir = new TempDir();
        var def = Definition("in.jsonl", dir["out"]);
        def.Stages[2] = new StageSpec("length_filter", new LengthFilterOptions { MinWords = -1 });
        def.Stages.Add(new StageSpec("no_such_stage", new NormalizeOptions()));
        def.Stages.Add(StageSpec.Of<TestWordCap>(new WordCapOptions { Word = "" , Max = 2 }) with { Name = "second" });
        var ex = Assert.Throws<ConfigException>(() => Pipeline.Create(def));
        Assert.Contains("pipeline 'api': $.stages[2].min_words: expected an integer >= 0, found -1", ex.Message);
        Assert.Contains("pipeline 'api': $.stages[4].type: unknown stage type 'no_such_stage'", ex.Message);

        var clash = new PipelineDefinition { Output = def.Output };
        clash.Input.Add(def.Input[0]);
        clash.Stages.Add(StageSpec.Of<TestClashingNormalize>(new NoOptions()));
        var pe = Assert.Throws<PluginException>(() => Pipeline.Create(clash));
        Assert.Contains("clashes with 'normalize' of DataForge.Core", pe.Message);
    }
}
