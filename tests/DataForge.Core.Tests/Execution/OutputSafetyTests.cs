using System.IO.Compression;
using System.Text;
using DataForge.Execution;
using Parquet;
using Parquet.Schema;
using static DataForge.Tests.Runs;
using DataForge.Configuration;

namespace DataForge.Tests;

/// <summary>Input is never deleted or written, outputs are locked, globs never loop, and on_error "skip" skips whole files.</summary>
public class OutputSafetyTests
{
    static string Pipe(string inputPattern, string output, string onError = "fail", string reader = "\"type\": \"jsonl\"")
        => PipelineJson(inputPattern, output, settings: $"\"on_error\": \"{onError}\"", reader: reader);

    [Theory]
    [InlineData("data", "is")]
    [InlineData("", "contains")]
    [InlineData("data/out", "lies inside")]
    public void An_output_overlapping_an_input_is_refused_at_validation_and_overwrite_never_touches_the_input(string output, string how)
    {
        using var dir = new TempDir();
        WriteCorpus(dir, "data/c.jsonl", 20);
        byte[] before = File.ReadAllBytes(dir["data/c.jsonl"]);
        string outDir = output.Length == 0 ? dir.Path : dir[output];
        var ex = Assert.Throws<ConfigException>(() => Parse(Pipe(dir["data/*.jsonl"], outDir)));
        string message = ex.Errors.Single().ToString();
        Assert.Contains("$.output.path", message);
        Assert.Contains("$.input[0].paths[0]", message);
        Assert.Contains($") {how} the input", message);
        Assert.Equal(before, File.ReadAllBytes(dir["data/c.jsonl"]));

        // The same with a literal file path, and through "./" spellings of the same directory.
        Assert.Throws<ConfigException>(() => Parse(Pipe(dir["data/c.jsonl"], dir["data/c.jsonl"])));
        Assert.Throws<ConfigException>(() => Parse(Pipe(dir["data/./c.jsonl"], dir.Path + "/./data/..")));
        Assert.Equal(before, File.ReadAllBytes(dir["data/c.jsonl"]));
    }

    [Fact]
    public void An_output_reached_through_a_symbolic_link_to_the_input_is_refused()
    {
        using var dir = new TempDir();
        WriteCorpus(dir, "data/c.jsonl", 5);
        File.CreateSymbolicLink(dir["alias"], dir["data"]);
        Assert.Throws<ConfigException>(() => Parse(Pipe(dir["data/*.jsonl"], dir["alias"])));
    }

    [Fact]
    public void Overwrite_refuses_a_directory_DataForge_did_not_write_and_a_failed_start_leaves_nothing()
    {
        using var dir = new TempDir();
        string input = WriteCorpus(dir, "in/c.jsonl", 10);
        dir.Write("mine/notes.txt", "keep me");
        var p = Parse(Pipe(input, dir["mine"]));
        var ex = Assert.Throws<RunSetupException>(() => PipelineRunner.Run(p, new RunOptions { Overwrite = true }));
        Assert.Contains("did not write", ex.Message);
        Assert.Equal(["notes.txt"], Directory.GetFileSystemEntries(dir["mine"]).Select(Path.GetFileName).Where(n => !n!.StartsWith('.')));
        Assert.Equal("keep me", File.ReadAllText(dir["mine/notes.txt"]));

        // A run that fails before doing any work (missing input) creates no output directory at all.
        var missing = Parse(Pipe(dir["in/none.jsonl"], dir["fresh"]));
        Assert.Throws<InputException>(() => PipelineRunner.Run(missing, new RunOptions()));
        Assert.False(Directory.Exists(dir["fresh"]));
    }

    [Fact]
    public void A_second_writer_is_refused_while_the_first_holds_the_output_and_finishes()
    {
        using var dir = new TempDir();
        string input = WriteCorpus(dir, "in/c.jsonl", 200);
        var p = Parse(Pipe(input, dir["o"]));
        using (var first = OutputLock.Acquire(dir["o"], "run"))
        {
            foreach (var opts in new[] { new RunOptions(), new RunOptions { Resume = true }, new RunOptions { Overwrite = true } })
            {
                var ex = Assert.Throws<OutputLockedException>(() => PipelineRunner.Run(p, opts));
                Assert.Contains($"pid {Environment.ProcessId}", ex.Message);
            }
            // The holder's directory was not touched by the refused writers.
            Assert.True(OutputDirectory.IsEmpty(dir["o"]));
        }
        // Released (as when the holder exits or is killed): the next run takes it, and its output is whole.
        var r = PipelineRunner.Run(p, new RunOptions());
        Assert.Equal(200, r.Stats.DocumentsOut);
        Assert.True(File.Exists(dir["o/_SUCCESS"]));
        Assert.False(File.Exists(dir["o/.dataforge-lock.json"]), "the holder's info goes with the lock");
    }

    [Fact]
    public void Two_runs_at_once_on_one_output_one_is_refused_and_the_other_ends_whole()
    {
        using var dir = new TempDir();
        string input = WriteCorpus(dir, "in/c.jsonl", 3000);
        string json = Pipe(input, dir["o"]);
        var results = new Exception?[2];
        var done = new RunResult?[2];
        var threads = Enumerable.Range(0, 2).Select(i => new Thread(() =>
        {
            try { done[i] = PipelineRunner.Run(Parse(json), new RunOptions { Workers = 1 }); }
            catch (Exception ex) { results[i] = ex; }
        })).ToList();
        threads.ForEach(t => t.Start());
        threads.ForEach(t => t.Join());
        // Either both ran one after the other (the second then found a finished, non-empty output),
        // or the second was refused by the lock; never two writers at once.
        Assert.Single(done, d => d is not null);
        Assert.Single(results, e => e is OutputLockedException or RunSetupException);
        Assert.Equal(3000, ReadDocs(dir["o"]).Count);
        Assert.True(File.Exists(dir["o/_SUCCESS"]));
    }

    [Fact]
    public void A_symlink_loop_under_a_double_star_glob_reads_every_file_once_and_ends()
    {
        using var dir = new TempDir();
        WriteCorpus(dir, "in/a/x.jsonl", 3);
        WriteCorpus(dir, "in/a/b/y.jsonl", 4, seed: 2);
        File.CreateSymbolicLink(dir["in/a/b/up"], dir["in/a"]);      // a loop
        File.CreateSymbolicLink(dir["in/a/again"], dir["in"]);      // a second loop, one level higher
        File.CreateSymbolicLink(dir["in/a/same.jsonl"], dir["in/a/x.jsonl"]); // the same file under another name

        foreach (string follow in new[] { "false", "true" })
        {
            string o = dir[$"o-{follow}"];
            var r = Run(Pipe(dir["in/**/*.jsonl"], o, reader: $"\"type\": \"jsonl\", \"follow_symlinks\": {follow}"));
            Assert.Equal(7, r.Stats.DocumentsIn);
            Assert.Equal(7, ReadDocs(o).Count);
        }
        // Two patterns reaching one file read it once.
        var twice = Run(PipelineJson(dir["in/a/x.jsonl"], dir["o-twice"], reader: "\"type\": \"jsonl\"").Replace(
            $"[{J(dir["in/a/x.jsonl"])}]", $"[{J(dir["in/a/x.jsonl"])}, {J(dir["in/a/same.jsonl"])}, {J(dir["in/a/*.jsonl"])}]"));
        Assert.Equal(3, twice.Stats.DocumentsIn);
    }

    [Fact]
    public void Reject_locations_are_the_paths_as_the_pipeline_gives_them()
    {
        using var dir = new TempDir();
        dir.Write("in/x.jsonl", "{\"id\":\"a\",\"text\":\"alpha\"}\nnot json\n");
        string cwd = Directory.GetCurrentDirectory();
        // An absolute pattern gives absolute locations, wherever the command runs.
        var r = Run(Pipe(dir["in/*.jsonl"], dir["o"], "skip"));
        Assert.Equal(1, r.Stats.Rejected);
        Assert.Contains(J(dir["in/x.jsonl"] + ":2")[1..^1], File.ReadAllText(dir["o/rejects/part-00000.jsonl"]));
        Assert.Equal(cwd, Directory.GetCurrentDirectory());
    }

    static byte[] Lines(int n, int from = 0) => Encoding.UTF8.GetBytes(string.Concat(Enumerable.Range(from, n).Select(i => $"{{\"id\":\"{i}\",\"text\":\"line {i}\"}}\n")));

    [Fact]
    public void Skip_keeps_every_readable_record_of_damaged_files_and_the_accounting_balances()
    {
        using var dir = new TempDir();
        // A corrupt zstd file: the first half of a frame, then garbage.
        var zms = new MemoryStream();
        using (var z = new ZstdSharp.CompressionStream(zms, 3, leaveOpen: true)) z.Write(Lines(20000));
        var zbytes = zms.ToArray();
        for (int i = zbytes.Length * 3 / 4; i < zbytes.Length; i++) zbytes[i] ^= 0x5A;
        dir.Write("in/bad.jsonl.zst", zbytes);
        // A good file beside it, read in full.
        dir.Write("in/good.jsonl", Lines(10, 100000));
        // An over-long line between two good ones: skipped, the line after it read.
        dir.Write("in/long.jsonl", [.. Lines(1, 200000), .. Encoding.UTF8.GetBytes("{\"text\":\"" + new string('x', 5000) + "\"}\n"), .. Lines(1, 200001)]);

        var r = Run(Pipe(dir["in/*"], dir["o"], "skip", reader: "\"type\": \"jsonl\", \"max_line_bytes\": 1024"));
        Assert.True(r.Stats.Balanced);
        var docs = ReadDocs(dir["o"]).Select(d => d.Id).ToList();
        var fromBad = docs.Where(id => int.Parse(id) < 20000).ToList();
        Assert.InRange(fromBad.Count, 1, 19999);
        Assert.Equal(Enumerable.Range(0, fromBad.Count).Select(i => i.ToString()), fromBad); // a prefix, in order
        Assert.Contains("100009", docs);
        Assert.Contains("200000", docs);
        Assert.Contains("200001", docs);
        string rejects = string.Concat(Directory.GetFiles(dir["o/rejects"]).Select(File.ReadAllText));
        Assert.True(r.Stats.Rejected == 2, rejects); // the zstd fault and the long line
        Assert.Contains("bad.jsonl.zst", rejects);
        Assert.Contains("long.jsonl:2", rejects);
        Assert.Contains("\"record_truncated\":true", rejects);
        // With "fail" the same input stops the run.
        Assert.Throws<InputException>(() => Run(Pipe(dir["in/*"], dir["f"], "fail", reader: "\"type\": \"jsonl\", \"max_line_bytes\": 1024")));
    }

    [Fact]
    public async Task Skip_records_a_corrupt_parquet_file_and_reads_the_others()
    {
        using var dir = new TempDir();
        foreach (var name in new[] { "a", "b" })
        {
            var schema = new ParquetSchema(new DataField<string>("id"), new DataField<string>("text"));
            await using var fs = File.Create(dir[$"in/{name}.parquet"].Also(p => Directory.CreateDirectory(Path.GetDirectoryName(p)!)));
            await using var w = await ParquetWriter.CreateAsync(schema, fs);
            using var rg = w.CreateRowGroup();
            await rg.WriteAsync(schema.GetDataFields()[0], new[] { $"{name}1", $"{name}2" });
            await rg.WriteAsync(schema.GetDataFields()[1], new[] { "one", "two" });
        }
        var bytes = File.ReadAllBytes(dir["in/b.parquet"]);
        File.WriteAllBytes(dir["in/b.parquet"], bytes[..(bytes.Length / 2)]);
        var r = Run(Pipe(dir["in/*.parquet"], dir["o"], "skip", reader: "\"type\": \"parquet\""));
        Assert.Equal(["a1", "a2"], ReadDocs(dir["o"]).Select(d => d.Id));
        Assert.Equal(1, r.Stats.Rejected);
        Assert.Contains("b.parquet", File.ReadAllText(Directory.GetFiles(dir["o/rejects"]).Single()));
        Assert.Throws<InputException>(() => Run(Pipe(dir["in/*.parquet"], dir["f"], "fail", reader: "\"type\": \"parquet\"")));
    }
}

static class TestExtensions
{
    public static T Also<T>(this T value, Action<T> act) { act(value); return value; }
}
