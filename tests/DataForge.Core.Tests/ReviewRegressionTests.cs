using System.Text.Json;
using DataForge.Execution;
using Parquet;
using Parquet.Schema;
using static DataForge.Tests.Runs;
using DataForge.Configuration;

namespace DataForge.Tests;

/// <summary>Regressions for executor and reader edge cases found in review.</summary>
public class ReviewRegressionTests
{
    static string Pipe(string input, string output, string stages = "", string settings = "\"partition_bytes\": 65536", string reader = "jsonl")
        => PipelineJson(input, output, stages, settings, reader: $"\"type\": \"{reader}\"");

    [Fact]
    public async Task A_failing_stage_with_read_ahead_does_not_hang()
    {
        using var dir = new TempDir();
        // One partition and two workers: the reader runs ahead on its own thread and fills the channel.
        string input = WriteCorpus(dir, "c.jsonl", 3000);
        string json = Pipe(input, dir["o"], $"{{\"type\": \"test_explode\", \"after_batches\": 1, \"marker\": {J(dir["m"])}}}", "\"partition_bytes\": 100000000, \"batch_rows\": 10");
        var run = Task.Run(() => PipelineRunner.Run(Parse(json), new RunOptions { Workers = 2 }));
        Assert.True(await Task.WhenAny(run, Task.Delay(TimeSpan.FromSeconds(60))) == run, "the run hung");
        Assert.IsType<InvalidOperationException>(run.Exception!.InnerException);
    }

    [Fact]
    public void Limit_does_not_read_past_the_limit()
    {
        using var dir = new TempDir();
        string input = dir.Write("x.jsonl", string.Concat(Enumerable.Range(0, 10).Select(i => $"{{\"text\":\"doc {i}\"}}\n")) + "not json\n");
        var r = Run(Pipe(input, dir["o"], settings: "\"batch_rows\": 5"), limit: 10);
        Assert.Equal((10L, 0L), (r.Stats.DocumentsIn, r.Stats.Rejected));
    }

    [Fact]
    public async Task Limit_on_a_large_parquet_row_group_counts_only_what_was_read()
    {
        using var dir = new TempDir();
        string path = dir["x.parquet"];
        var schema = new ParquetSchema(new DataField<string>("text"), new DataField<bool?>("flag"), new DataField<byte[]>("blob"));
        await using (var fs = File.Create(path))
        await using (var w = await ParquetWriter.CreateAsync(schema, fs))
        using (var rg = w.CreateRowGroup())
        {
            await rg.WriteAsync(schema.GetDataFields()[0], Enumerable.Range(0, 20000).Select(i => $"row {i}").ToArray());
            await rg.WriteAsync<bool>(schema.GetDataFields()[1], Enumerable.Range(0, 20000).Select(i => (bool?)(i % 2 == 0)).ToArray().AsMemory());
            await rg.WriteAsync(schema.GetDataFields()[2], Enumerable.Range(0, 20000).Select(i => new byte[] { 1, 2, (byte)i }).ToArray());
        }
        var r = Run(Pipe(path, dir["o"], settings: "\"batch_rows\": 1000", reader: "parquet"), limit: 5000);
        Assert.Equal((5000L, 5000L), (r.Stats.DocumentsIn, r.Stats.DocumentsOut));
        var first = JsonDocument.Parse(File.ReadLines(Directory.GetFiles(dir["o"], "part-*")[0]).First()).RootElement;
        Assert.True(first.GetProperty("flag").GetBoolean());
        Assert.Equal(Convert.ToBase64String([1, 2, 0]), first.GetProperty("meta").GetProperty("blob").GetString());
    }

    [Fact]
    public void Resume_with_a_limit_matches_an_uninterrupted_limited_run()
    {
        using var dir = new TempDir();
        string input = WriteCorpus(dir, "c.jsonl", 4000);
        const string settings = "\"partition_bytes\": 65536, \"batch_rows\": 100";
        Run(Pipe(input, dir["ref"], settings: settings), limit: 2500);
        string explode = $"{{\"type\": \"test_explode\", \"after_batches\": 12, \"marker\": {J(dir["m"])}}}";
        Assert.Throws<InvalidOperationException>(() => PipelineRunner.Run(Parse(Pipe(input, dir["o"], explode, settings)), new RunOptions { Limit = 2500 }));
        var r = PipelineRunner.Run(Parse(Pipe(input, dir["o"], explode, settings)), new RunOptions { Limit = 2500, Resume = true });
        Assert.Equal(2500, r.Stats.DocumentsIn);
        Assert.Equal(Shards(dir["ref"]), Shards(dir["o"]));
    }

    [Fact]
    public void Resume_of_a_finished_run_changes_nothing_and_a_changed_input_is_refused()
    {
        using var dir = new TempDir();
        string input = WriteCorpus(dir, "c.jsonl", 500);
        var p = Parse(Pipe(input, dir["o"]));
        PipelineRunner.Run(p, new RunOptions());
        PipelineRunner.Run(p, new RunOptions { Resume = true });
        Assert.False(Directory.Exists(dir["o/_work"]));

        string explode = $"{{\"type\": \"test_explode\", \"after_batches\": 0, \"marker\": {J(dir["m"])}}}";
        Assert.Throws<InvalidOperationException>(() => PipelineRunner.Run(Parse(Pipe(input, dir["x"], explode)), new RunOptions()));
        File.AppendAllText(input, "{\"text\":\"appended later\"}\n");
        var ex = Assert.Throws<RunSetupException>(() => PipelineRunner.Run(Parse(Pipe(input, dir["x"], explode)), new RunOptions { Resume = true }));
        Assert.Contains("changed since the interrupted run", ex.Message);
    }

    [Fact]
    public void Config_edge_cases_are_reported_precisely()
    {
        var dup = Assert.Throws<ConfigException>(() => Parse("{\"input\": [{\"type\": \"jsonl\", \"paths\": [\"x\"]}],\n \"stages\": [{\"type\": \"normalize\"},\n  {\"type\": \"normalize\"}], \"output\": {\"type\": \"jsonl\", \"path\": \"o\"}}", "p.json"));
        Assert.Equal((3, "$.stages[1]"), (dup.Errors[0].Line, dup.Errors[0].Path));
        var empty = Assert.Throws<ConfigException>(() => Parse("""{"input": [], "output": {"type": "jsonl", "path": "o"}}"""));
        Assert.Equal("expected at least one source stage", empty.Errors[0].Message);
        var big = Assert.Throws<ConfigException>(() => Parse("""{"partition_bytes": 9223372036854775808, "input": [{"type": "jsonl", "paths": ["x"]}], "output": {"type": "jsonl", "path": "o"}}"""));
        Assert.StartsWith("expected an integer >= 4096", big.Errors[0].Message);
    }

    [Fact]
    public void Unsupported_arrow_column_types_are_a_clear_error()
    {
        using var dir = new TempDir();
        var schema = new Apache.Arrow.Schema.Builder()
            .Field(f => f.Name("text").DataType(Apache.Arrow.Types.StringType.Default))
            .Field(f => f.Name("when").DataType(Apache.Arrow.Types.Date32Type.Default)).Build();
        var batch = new Apache.Arrow.RecordBatch(schema, [new Apache.Arrow.StringArray.Builder().Append("hello").Build(), new Apache.Arrow.Date32Array.Builder().Append(DateTime.UnixEpoch).Build()], 1);
        using (var fs = File.Create(dir["x.arrow"]))
        using (var w = new Apache.Arrow.Ipc.ArrowFileWriter(fs, schema)) { w.WriteRecordBatch(batch); w.WriteEnd(); }
        var ex = Assert.Throws<InputException>(() => Run(Pipe(dir["x.arrow"], dir["o"], reader: "arrow")));
        Assert.Contains("column 'when' has type date32", ex.Message);
    }
}
