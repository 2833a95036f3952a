using DataForge.Execution;
using static DataForge.Tests.CliTests;

namespace DataForge.Tests;

/// <summary>Hard kills at every phase of a run, then --resume; output locks across processes; refusals that protect input.</summary>
public class CrashAndLockTests
{
    static (int Code, string Err) Child(IEnumerable<string> args, string? killAt = null)
    {
        var (code, _, err) = killAt is null ? ChildProcess.Run(args) : ChildProcess.KilledAt(killAt, args);
        return (code, err);
    }

    /// <summary>
    /// A pipeline with a global stage (observe, resolve, apply) and rotating shards, killed at each phase:
    /// after a partition's shards, after a shard's rename, after observing, after resolving, around the
    /// sink's finish, after the manifest and after _SUCCESS. --resume must end byte-identical.
    /// </summary>
    [Theory]
    [InlineData("jsonl", "run:partition-complete#2")]
    [InlineData("jsonl", "shard:closed#3")]
    [InlineData("jsonl", "run:observed")]
    [InlineData("jsonl", "run:resolved")]
    [InlineData("jsonl", "run:before-finish")]
    [InlineData("jsonl", "run:manifest")]
    [InlineData("jsonl", "run:success")]
    [InlineData("tokens", "tokens:assembled")]
    [InlineData("tokens", "run:finished")]
    public void A_kill_at_any_phase_then_resume_gives_byte_identical_shards_and_manifest(string sink, string killAt)
    {
        using var dir = new TempDir();
        string input = Runs.WriteCorpus(dir, "in/c.jsonl", 4000);
        string output = sink == "tokens"
            ? "\"type\": \"tokens\", \"tokenizer\": \"o200k_base\", \"val_fraction\": 0.1"
            : "\"type\": \"jsonl\", \"shard_max_rows\": 300";
        string Pipe(string o) => dir.Write($"{o}.json", $$"""
            {"partition_bytes": 65536, "batch_rows": 64, "input": [{"type": "jsonl", "paths": [{{Runs.J(input)}}]}],
             "stages": [{"type": "normalize"}, {"type": "exact_dedup"}, {"type": "sample", "fraction": 0.7}],
             "output": { {{output}}, "path": {{Runs.J(dir[o])}} } }
            """);
        Assert.Equal(0, Child(["run", Pipe("ref"), "--workers", "2"]).Code);
        var killed = Child(["run", Pipe("o"), "--workers", "2"], killAt);
        Assert.Equal(137, killed.Code); // 128 + SIGKILL: the point was reached
        var resumed = Child(["run", Pipe("o"), "--workers", "2", "--resume"]);
        Assert.True(resumed.Code == 0, resumed.Err);
        Assert.True(File.Exists(dir["o/_SUCCESS"]));
        Assert.False(Directory.Exists(dir["o/_work"]));
        Assert.Equal(File.ReadAllText(dir["ref/manifest.json"]), File.ReadAllText(dir["o/manifest.json"]));
        var expected = Directory.GetFiles(dir["ref"]).Where(f => !Path.GetFileName(f).StartsWith('.') && Path.GetFileName(f) != "stats.json").Select(Path.GetFileName).Order().ToList();
        var actual = Directory.GetFiles(dir["o"]).Where(f => !Path.GetFileName(f).StartsWith('.') && Path.GetFileName(f) != "stats.json").Select(Path.GetFileName).Order().ToList();
        Assert.Equal(expected, actual);
        foreach (var f in expected.Where(f => f != "manifest.json"))
            Assert.True(File.ReadAllBytes(Path.Combine(dir["ref"], f!)).AsSpan().SequenceEqual(File.ReadAllBytes(Path.Combine(dir["o"], f!))), f);
    }

    [Fact]
    public void A_second_process_is_refused_with_exit_code_3_while_the_output_is_locked()
    {
        using var dir = new TempDir();
        string input = Runs.WriteCorpus(dir, "in/c.jsonl", 100);
        string pipe = dir.Write("p.json", Runs.PipelineJson(input, dir["o"], reader: "\"type\": \"jsonl\""));
        using (OutputLock.Acquire(dir["o"], "run"))
        {
            var (code, err) = Child(["run", pipe]);
            Assert.Equal(3, code);
            Assert.Contains($"in use by pid {Environment.ProcessId}", err);
            Assert.DoesNotContain("   at ", err);
        }
        Assert.Equal(0, Child(["run", pipe]).Code);
        Assert.True(File.Exists(dir["o/_SUCCESS"]));
    }

    [Fact]
    public void Validate_and_run_refuse_an_output_that_is_the_input_and_the_input_survives_overwrite()
    {
        using var dir = new TempDir();
        string input = Runs.WriteCorpus(dir, "data/c.jsonl", 50);
        byte[] before = File.ReadAllBytes(input);
        string pipe = dir.Write("p.json", Runs.PipelineJson(dir["data/*.jsonl"], dir["data"], reader: "\"type\": \"jsonl\""));
        var (code, _, err) = CliTests.Cli("validate", pipe);
        Assert.Equal(2, code);
        Assert.Contains("$.output.path", err);
        Assert.Contains("$.input[0].paths[0]", err);
        Assert.Equal(2, CliTests.Cli("run", pipe, "--overwrite").Code);
        // --output pointing at a parent of the input is refused the same way.
        string other = dir.Write("q.json", Runs.PipelineJson(dir["data/*.jsonl"], dir["out"], reader: "\"type\": \"jsonl\""));
        Assert.Equal(2, CliTests.Cli("run", other, "--overwrite", "--output", dir.Path).Code);
        Assert.Equal(before, File.ReadAllBytes(input));
    }

    [Fact]
    public void Unknown_commands_are_named_even_with_help_and_errors_have_no_stack_trace()
    {
        var (code, _, err) = CliTests.Cli("nosuch", "--help");
        Assert.Equal(2, code);
        Assert.Contains("unknown command 'nosuch'", err);
        var (code2, _, err2) = CliTests.Cli("runn", "x.json");
        Assert.Equal(2, code2);
        Assert.Contains("did you mean 'run'", err2);

        using var dir = new TempDir();
        string pipe = dir.Write("p.json", Runs.PipelineJson(dir["missing.jsonl"], dir["o"], reader: "\"type\": \"jsonl\""));
        var (code3, _, err3) = CliTests.Cli("run", pipe);
        Assert.Equal(1, code3);
        Assert.Single(err3.Split('\n', StringSplitOptions.RemoveEmptyEntries));
        Assert.DoesNotContain("   at ", err3);
        Assert.False(Directory.Exists(dir["o"]));
    }
}
