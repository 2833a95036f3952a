using System.Diagnostics;
using System.Text;
using DataForge.Cli;

namespace DataForge.Tests;

public class CliTests
{
    /// <summary>The repository root (where DataForge.sln is), found from the test binary.</summary>
    public static string RepoRoot
    {
        get
        {
            var d = new DirectoryInfo(AppContext.BaseDirectory);
            while (d is not null && !File.Exists(Path.Combine(d.FullName, "DataForge.sln"))) d = d.Parent;
            return d?.FullName ?? throw new InvalidOperationException("repository root not found");
        }
    }

    internal static (int Code, string Out, string Err) Cli(params string[] args)
    {
        var o = new StringWriter();
        var e = new StringWriter();
        int code = DataForgeCli.Run(args, o, e);
        return (code, o.ToString(), e.ToString());
    }

    [Fact]
    public void Checked_in_schemas_are_current()
    {
        foreach (var (name, text) in SchemaCommand.Generate())
        {
            string path = Path.Combine(RepoRoot, "schemas", name);
            Assert.True(File.Exists(path), $"{path} missing: run `dataforge schema`");
            Assert.True(File.ReadAllText(path) == text, $"schemas/{name} is stale: run `dataforge schema` and commit the result");
        }
    }

    [Fact]
    public void Stage_reference_in_docs_is_current()
    {
        var (code, output, _) = Cli("stages", "--markdown");
        Assert.Equal(0, code);
        string path = Path.Combine(RepoRoot, "docs", "stages.md");
        Assert.True(File.Exists(path) && File.ReadAllText(path) == output, "docs/stages.md is stale: run `dataforge stages --markdown > docs/stages.md`");
        foreach (var d in DataForgeCli.Registry.All) Assert.Contains($"### `{d.Type}`", output);
    }

    [Fact]
    public void Every_shipped_pipeline_validates_and_points_at_the_schema()
    {
        var files = Directory.GetFiles(Path.Combine(RepoRoot, "pipelines"), "*.json");
        Assert.NotEmpty(files);
        string cwd = Directory.GetCurrentDirectory();
        Directory.SetCurrentDirectory(RepoRoot);
        try
        {
            // track2-en scores with the model the quickstart's first step trains; train it the same way.
            if (!File.Exists("out/models/quality.zip"))
            {
                var (tc, _, terr) = Cli("quality", "train", "--positive", "samples/quality/positive.jsonl", "--negative", "samples/quality/negative.jsonl",
                    "--out", "out/models/quality.zip");
                Assert.True(tc == 0, terr);
            }
            foreach (var f in files)
            {
                string text = File.ReadAllText(f);
                if (!text.Contains("\"input\"", StringComparison.Ordinal)) continue; // mix / train configs have their own checks
                Assert.Contains("\"$schema\": \"../schemas/pipeline.schema.json\"", text);
                var (code, _, err) = Cli("validate", f);
                Assert.True(code == 0, $"{f}: {err}");
            }
        }
        finally { Directory.SetCurrentDirectory(cwd); }
    }

    [Fact]
    public void Validate_reports_errors_with_exit_code_2()
    {
        using var dir = new TempDir();
        string p = dir.Write("bad.json", "{\n  \"input\": [{\"type\": \"jsonl\", \"paths\": [\"x\"]}],\n  \"stages\": [{\"type\": \"length_filter\", \"min_words\": \"ten\"}],\n  \"output\": {\"type\": \"jsonl\", \"path\": \"o\"}\n}");
        var (code, _, err) = Cli("validate", p);
        Assert.Equal(2, code);
        Assert.Contains($"{p}:3:53: $.stages[0].min_words: expected an integer >= 0, found \"ten\"", err);
        Assert.Equal(2, Cli("validate", dir["missing.json"]).Code);
        Assert.Equal(2, Cli("run").Code);
        Assert.Equal(2, Cli("frobnicate").Code);
    }

    [Fact]
    public void Run_with_bad_input_exits_1_and_names_file_and_line()
    {
        using var dir = new TempDir();
        string input = dir.Write("x.jsonl", "{\"text\":\"ok\"}\n{\"text\":\n");
        string p = dir.Write("p.json", $$"""{"input": [{"type": "jsonl", "paths": [{{Runs.J(input)}}]}], "output": {"type": "jsonl", "path": {{Runs.J(dir["o"])}} } }""");
        var (code, _, err) = Cli("run", p);
        Assert.Equal(1, code);
        Assert.Contains("x.jsonl:2: malformed JSON", err);
        Assert.Equal(2, Cli("run", p).Code); // output directory now holds the failed attempt
        var (ok, output, _) = Cli("run", p, "--overwrite", "--workers", "2");
        Assert.Equal(1, ok);
        Assert.Equal(2, Cli("run", p, "--workers", "0").Code);
        Assert.Empty(output);
    }

    [Fact]
    public void Run_then_inspect_directory_and_shard()
    {
        using var dir = new TempDir();
        string input = Runs.WriteCorpus(dir, "c.jsonl", 200);
        string p = dir.Write("p.json", $$"""{"name": "demo", "input": [{"type": "jsonl", "paths": [{{Runs.J(input)}}]}], "stages": [{"type": "length_filter", "min_words": 10}], "output": {"type": "parquet", "path": {{Runs.J(dir["o"])}} } }""");
        var (code, output, err) = Cli("run", p);
        Assert.True(code == 0, err);
        Assert.Contains("demo: 200 documents in", output);
        var (c2, o2, _) = Cli("inspect", dir["o"]);
        Assert.Equal(0, c2);
        Assert.Contains("pipeline 'demo', format parquet", o2);
        Assert.Contains("length_filter.min_words", o2);
        Assert.Contains("columns: id:utf8, text:utf8", o2);
        var (c3, o3, _) = Cli("inspect", Path.Combine(dir["o"], "part-00000-00000.parquet"), "-n", "1");
        Assert.Equal(0, c3);
        Assert.Contains("- d0 [c]", o3);
        Assert.Equal(2, Cli("inspect", dir["nothing"]).Code);
    }

    [Fact]
    public void Stages_lists_every_stage_with_its_shape()
    {
        var (code, output, _) = Cli("stages");
        Assert.Equal(0, code);
        Assert.Contains("normalize", output);
        Assert.Matches(@"jsonl\s+source", output);
        Assert.Matches(@"jsonl\s+sink", output);
    }

    /// <summary>A real SIGKILL in the middle of a partition, then --resume: output identical to an uninterrupted run.</summary>
    [Fact]
    public void Sigkill_mid_run_then_resume_gives_byte_identical_output()
    {
        using var dir = new TempDir();
        string input = Runs.WriteCorpus(dir, "c.jsonl", 6000);
        string Pipe(string o) => dir.Write($"{o}.json", $$"""{"partition_bytes": 65536, "batch_rows": 64, "input": [{"type": "jsonl", "paths": [{{Runs.J(input)}}]}], "stages": [{"type": "normalize"}, {"type": "sample", "fraction": 0.5}], "output": {"type": "jsonl", "compression": "zstd", "path": {{Runs.J(dir[o])}} } }""");
        int Run(string pipeline, bool resume, string? killAfter)
            => ChildProcess.Run(["run", pipeline, "--workers", "2", .. resume ? new[] { "--resume" } : []],
                killAfter is null ? null : new Dictionary<string, string> { ["DATAFORGE_FAULT_KILL_AFTER_BATCHES"] = killAfter }).Code;

        Assert.Equal(0, Run(Pipe("ref"), false, null));
        int killed = Run(Pipe("o"), false, "40");
        Assert.Equal(137, killed); // 128 + SIGKILL
        Assert.False(File.Exists(dir["o/_SUCCESS"]));
        Assert.True(Directory.GetFiles(dir["o"], ".part-*.tmp").Length + Directory.GetFiles(dir["o"], "part-*").Length > 0, "the kill should leave partial output");
        Assert.Equal(0, Run(Pipe("o"), true, null));
        Assert.True(File.Exists(dir["o/_SUCCESS"]));
        Assert.Equal(Runs.Shards(dir["ref"]), Runs.Shards(dir["o"]));
        Assert.Empty(Directory.GetFiles(dir["o"], ".*.tmp"));
        Assert.Equal(File.ReadAllText(dir["ref/manifest.json"]), File.ReadAllText(dir["o/manifest.json"]));
    }
}
