using System.Diagnostics;
using System.Text.Json;
using DataForge.Execution;
using DataForge.Execution.Slurm;

namespace DataForge.Tests;

/// <summary>
/// A test against a real Slurm cluster (scripts/slurm-local.sh up starts one on 127.0.0.1). Without a
/// cluster it is skipped with a message saying so, except in CI (CI=true), where it runs and fails.
/// </summary>
public sealed class SlurmFactAttribute : FactAttribute
{
    public SlurmFactAttribute()
    {
        if (!SlurmCluster.Answers && Environment.GetEnvironmentVariable("CI") != "true")
            Skip = "no Slurm cluster answers (sinfo): start one with 'scripts/slurm-local.sh up' (as root)";
    }
}

internal static class SlurmCluster
{
    static readonly Lazy<bool> Up = new(() =>
    {
        if (!SlurmClient.Available) return false;
        try
        {
            var (code, stdout, _) = SlurmClient.Exec("sinfo", ["-h", "-o", "%T"], TimeSpan.FromSeconds(10));
            return code == 0 && stdout.Split('\n').Any(s => s.Trim() is "idle" or "mixed" or "allocated");
        }
        catch (SlurmException) { return false; }
    });

    public static bool Answers => Up.Value;

    public static void Require() => Assert.True(Answers, "no Slurm cluster answers (sinfo); CI starts one with scripts/slurm-local.sh up");
}

/// <summary>
/// The Slurm executor against a real single-node cluster: output byte-identical to the local executor,
/// a cancelled task resumed, a failed task named with its log and error, a mix split across tasks.
/// </summary>
[Collection("slurm")]
public class SlurmTests
{
    /// <summary>Eight input files (eight partitions) with repeated and near-duplicate documents, one file with a bad line if asked.</summary>
    static void Inputs(TempDir dir, int badFile = -1)
    {
        for (int f = 0; f < 8; f++)
        {
            Runs.WriteCorpus(dir, $"in/f{f}.jsonl", 120, seed: f + 1);
            // Copies across files give minhash_dedup work that crosses partitions and tasks.
            File.AppendAllText(dir[$"in/f{f}.jsonl"], File.ReadLines(dir["in/f0.jsonl"]).Take(15).Aggregate("", (a, l) => a + l + "\n"));
            if (f == badFile) File.AppendAllText(dir[$"in/f{f}.jsonl"], "{\"text\": \"unterminated\n");
        }
    }

    static string Pipeline(TempDir dir, string name, string stages, string executor = "{\"type\": \"slurm\", \"tasks\": 4, \"cpus_per_task\": 1, \"time\": \"5\"}")
        => dir.Write(name, $$"""
            { "name": "slurm-test", "on_error": "fail", "batch_rows": 50,
              "input": [{"type": "jsonl", "paths": [{{Runs.J(dir["in/*.jsonl"])}}]}],
              "stages": [{{stages}}],
              "output": {"type": "jsonl", "path": {{Runs.J(dir["unused"])}}, "shard_max_rows": 40},
              "executor": {{executor}} }
            """);

    const string FilterAndDedup = """{"type": "normalize"}, {"type": "length_filter", "min_words": 5}, {"type": "minhash_dedup"}""";

    static (int Code, string Out, string Err) Dataforge(params string[] args) => ChildProcess.Run(args, timeout: TimeSpan.FromMinutes(3));

    /// <summary>Every file of an output but the bookkeeping, stats.json (timings) and the Slurm records, by name.</summary>
    static SortedDictionary<string, byte[]> Output(string dir)
    {
        var d = new SortedDictionary<string, byte[]>(StringComparer.Ordinal);
        foreach (var f in Directory.EnumerateFiles(dir, "*", SearchOption.AllDirectories))
        {
            string rel = Path.GetRelativePath(dir, f);
            if (rel.StartsWith('.') || rel == RunStats.FileName || rel.StartsWith(SlurmSubmission.DirName + "/", StringComparison.Ordinal)) continue;
            d[rel] = File.ReadAllBytes(f);
        }
        return d;
    }

    static void AssertSame(string expected, string actual)
    {
        var a = Output(expected);
        var b = Output(actual);
        Assert.Equal(a.Keys, b.Keys);
        foreach (var (name, bytes) in a) Assert.True(bytes.AsSpan().SequenceEqual(b[name]), $"{name} differs between {expected} and {actual}");
    }

    [SlurmFact]
    public void Filters_and_minhash_over_8_partitions_in_4_array_tasks_are_byte_identical_to_the_local_run()
    {
        SlurmCluster.Require();
        using var dir = new TempDir();
        Inputs(dir);
        string pipe = Pipeline(dir, "p.json", FilterAndDedup);
        var local = CliTests.Cli("run", pipe, "--executor", "local", "--output", dir["local"], "--workers", "2");
        Assert.True(local.Code == 0, local.Err);
        var slurm = Dataforge("run", pipe, "--output", dir["slurm"], "--wait");
        Assert.True(slurm.Code == 0, slurm.Err + slurm.Out);
        Assert.Contains("s0 job", slurm.Out);
        AssertSame(dir["local"], dir["slurm"]);
        var stats = RunStats.Read(dir["slurm/stats.json"]);
        var localStats = RunStats.Read(dir["local/stats.json"]);
        Assert.Equal(localStats.DocumentsOut, stats.DocumentsOut);
        Assert.True(stats.Stages.Single(s => s.Type == "minhash_dedup").DroppedTotal > 0, "the inputs share documents across partitions");
        Assert.Equal(localStats.Stages.Single(s => s.Type == "minhash_dedup").DroppedTotal, stats.Stages.Single(s => s.Type == "minhash_dedup").DroppedTotal);

        // Every task left its done marker and its log; status says finished.
        foreach (var t in Enumerable.Range(0, 4))
        {
            Assert.True(File.Exists(SlurmSubmission.DoneMarker(dir["slurm"], "s0", t)));
            Assert.Contains("step s0 task " + t, File.ReadAllText(SlurmSubmission.LogOf(dir["slurm"], "s0", t)));
        }
        var status = Dataforge("status", dir["slurm"]);
        Assert.Equal(0, status.Code);
        Assert.Contains("finished", status.Out);
        Assert.Contains("resolve minhash_dedup", status.Out);
    }

    [SlurmFact]
    public void Scancel_of_a_running_array_task_then_resume_completes_byte_identical()
    {
        SlurmCluster.Require();
        using var dir = new TempDir();
        Inputs(dir);
        const string stages = """{"type": "normalize"}, {"type": "length_filter", "min_words": 5}""";
        string local = Pipeline(dir, "local.json", stages, "{\"type\": \"local\"}");
        Assert.Equal(0, CliTests.Cli("run", local, "--output", dir["local"]).Code);
        // Task 1 of the first step sleeps where it starts, so it is running when it is cancelled.
        string slow = Pipeline(dir, "slow.json", stages,
            $$$"""{"type": "slurm", "tasks": 4, "cpus_per_task": 1, "time": "5", "env": {"{{{FaultPoints.SleepVariable}}}": "slurm-task:s0-1", "{{{FaultPoints.SleepSecondsVariable}}}": "120"}}""");
        var submit = Dataforge("run", slow, "--output", dir["o"]);
        Assert.True(submit.Code == 0, submit.Err);
        var sub = SlurmSubmission.Read(dir["o"])!;
        string job = sub.Step("s0").JobId!;
        Assert.True(WaitFor(() => SlurmClient.States([job]).GetValueOrDefault($"{job}_1") == "RUNNING", TimeSpan.FromSeconds(60)), "task s0[1] never ran");

        // While its jobs are live, no other writer may take the directory.
        var second = Dataforge("run", local, "--output", dir["o"], "--resume");
        Assert.Equal(3, second.Code);
        Assert.Contains("Slurm job", second.Err);

        var (code, _, err) = SlurmClient.Exec("scancel", [$"{job}_1"]);
        Assert.True(code == 0, err);
        Assert.True(WaitFor(() => SlurmStatus.Read(dir["o"]) is { Live: false }, TimeSpan.FromSeconds(60)), "the jobs did not end after the cancel");
        Assert.False(File.Exists(dir["o/_SUCCESS"]));
        var status = Dataforge("status", dir["o"]);
        Assert.Equal(1, status.Code);
        Assert.Contains("task s0[1]", status.Out);
        Assert.Contains("cancelled", status.Out);
        Assert.Contains(SlurmSubmission.LogOf(dir["o"], "s0", 1), status.Out);

        // The executor is not part of the run's identity: resuming without the sleep resubmits only task 1.
        string plain = Pipeline(dir, "plain.json", stages);
        var resumed = Dataforge("run", plain, "--output", dir["o"], "--resume", "--wait");
        Assert.True(resumed.Code == 0, resumed.Err + resumed.Out);
        Assert.Contains("(1 of 4 tasks)", resumed.Out);
        AssertSame(dir["local"], dir["o"]);
    }

    [SlurmFact]
    public void A_failing_task_names_the_task_its_log_and_the_error_and_exits_1()
    {
        SlurmCluster.Require();
        using var dir = new TempDir();
        Inputs(dir, badFile: 6);
        string pipe = Pipeline(dir, "p.json", """{"type": "normalize"}""");
        var run = Dataforge("run", pipe, "--output", dir["o"], "--wait");
        Assert.Equal(1, run.Code);
        // Partition 6 is dealt to task 6 mod 4 = 2.
        string log = SlurmSubmission.LogOf(dir["o"], "s0", 2);
        Assert.Contains("task s0[2]", run.Err);
        Assert.Contains(log, run.Err);
        Assert.Contains("f6.jsonl:136", run.Err);
        Assert.Contains("f6.jsonl:136", File.ReadAllText(log));
        var status = Dataforge("status", dir["o"]);
        Assert.Equal(1, status.Code);
        Assert.Contains("task s0[2]", status.Out);
        Assert.Contains("failed: ", status.Out);
        Assert.Contains("f6.jsonl:136", status.Out);
        Assert.Contains("not run because of it: finish", status.Out);
        Assert.DoesNotContain("task s0[0]", status.Out);
    }

    [SlurmFact]
    public void A_mix_on_slurm_equals_the_local_mix()
    {
        SlurmCluster.Require();
        using var dir = new TempDir();
        for (int f = 0; f < 3; f++) Runs.WriteCorpus(dir, $"a/p{f}.jsonl", 80, seed: 10 + f);
        for (int f = 0; f < 2; f++) Runs.WriteCorpus(dir, $"b/p{f}.jsonl", 60, seed: 20 + f);
        string Mix(string name, string executor) => dir.Write(name, $$"""
            { "name": "m", "seed": 5, "tokenizer": "cl100k_base", "output": "unused", "val_fraction": 0.1,
              "sources": [ { "name": "a", "path": {{Runs.J(dir["a/*.jsonl"])}}, "max_epochs": 2 },
                           { "name": "b", "path": {{Runs.J(dir["b/*.jsonl"])}}, "max_epochs": 3 } ],
              "phases": [ { "name": "stable", "tokens": 9000, "weights": { "a": 0.7, "b": 0.3 } },
                          { "name": "decay", "tokens": 3000, "weights": { "a": 0.3, "b": 0.7 } } ],
              "executor": {{executor}} }
            """);
        var local = CliTests.Cli("mix", Mix("local.json", "{\"type\": \"local\"}"), "--output", dir["local"]);
        Assert.True(local.Code == 0, local.Err);
        var slurm = Dataforge("mix", Mix("slurm.json", "{\"type\": \"slurm\", \"tasks\": 3, \"cpus_per_task\": 1, \"time\": \"5\"}"), "--output", dir["slurm"], "--wait");
        Assert.True(slurm.Code == 0, slurm.Err + slurm.Out);
        Assert.Contains("t0 job", slurm.Out);
        // Five shard files over three tokenizing tasks.
        var sub = SlurmSubmission.Read(dir["slurm"])!;
        Assert.Equal(3, sub.Step("t0").Step.Tasks);
        var a = Output(dir["local"]);
        var b = Output(dir["slurm"]);
        Assert.Contains("stable/train.bin", a.Keys);
        Assert.Equal(a.Keys, b.Keys);
        foreach (var (name, bytes) in a) Assert.True(bytes.AsSpan().SequenceEqual(b[name]), $"{name} differs");
    }

    /// <summary>Five tokenizer training inputs: plain text and JSONL shards; file 4 (counted by task 4 mod 3 = 1) ends in a bad line if asked.</summary>
    static string[] TokenizerInputs(TempDir dir, bool badLast = false)
    {
        for (int f = 0; f < 4; f++) Runs.WriteCorpus(dir, $"tin/f{f}.jsonl", 60, seed: 30 + f);
        dir.Write("tin/f4.txt", string.Join("\n", Enumerable.Range(0, 200).Select(i => $"line {i % 13} of table\t{i * 31 % 97}")) + "\n");
        if (badLast) dir.Write("tin/f4.jsonl", "{\"text\": \"fine\"}\n{\"text\": \"unterminated\n");
        return ["tokenizer", "train", "-i", dir["tin/*"], "--vocab-size", "400", "--special-tokens", "<|pad|>"];
    }

    static void AssertSameTokenizer(string expected, string actual)
    {
        foreach (var f in new[] { "tokenizer.json", "vocab.json", "merges.txt", "tokenizer_config.json", "dataforge_tokenizer.json" })
            Assert.True(File.ReadAllBytes(Path.Combine(expected, f)).AsSpan().SequenceEqual(File.ReadAllBytes(Path.Combine(actual, f))), $"{f} differs");
    }

    [SlurmFact]
    public void A_tokenizer_trained_on_slurm_with_3_tasks_equals_the_local_one()
    {
        SlurmCluster.Require();
        using var dir = new TempDir();
        var args = TokenizerInputs(dir);
        var local = CliTests.Cli([.. args, "-o", dir["local"]]);
        Assert.True(local.Code == 0, local.Err);
        string exec = dir.Write("exec.json", """{"type": "slurm", "tasks": 3, "cpus_per_task": 1, "time": "5"}""");
        var slurm = Dataforge([.. args, "-o", dir["slurm"], "--executor-config", exec, "--wait"]);
        Assert.True(slurm.Code == 0, slurm.Err + slurm.Out);
        Assert.Contains("c0 job", slurm.Out);
        Assert.Equal(3, SlurmSubmission.Read(dir["slurm"])!.Step("c0").Step.Tasks);
        foreach (var t in Enumerable.Range(0, 3)) Assert.True(File.Exists(SlurmSubmission.DoneMarker(dir["slurm"], "c0", t)));
        AssertSameTokenizer(dir["local"], dir["slurm"]);
        var status = Dataforge("status", dir["slurm"]);
        Assert.Equal(0, status.Code);
        Assert.Contains("finished", status.Out);
        // Finished: --resume has nothing to submit.
        var again = Dataforge([.. args, "-o", dir["slurm"], "--executor", "slurm", "--resume"]);
        Assert.True(again.Code == 0, again.Err);
        Assert.Contains("nothing to submit", again.Out);
    }

    [SlurmFact]
    public void A_failed_count_task_is_named_and_resume_recounts_only_it()
    {
        SlurmCluster.Require();
        using var dir = new TempDir();
        var args = TokenizerInputs(dir, badLast: true);
        string exec = dir.Write("exec.json", """{"type": "slurm", "tasks": 3, "cpus_per_task": 1, "time": "5"}""");
        var run = Dataforge([.. args, "-o", dir["o"], "--executor-config", exec, "--wait"]);
        Assert.Equal(1, run.Code);
        Assert.Contains("task c0[1]", run.Err);
        Assert.Contains("f4.jsonl:2", run.Err);
        Assert.Contains(SlurmSubmission.LogOf(dir["o"], "c0", 1), run.Err);
        var status = Dataforge("status", dir["o"]);
        Assert.Equal(1, status.Code);
        Assert.Contains("task c0[1]", status.Out);
        Assert.Contains("not run because of it: merge", status.Out);
        Assert.Contains("--resume", status.Out);

        // Other options are refused; the same ones with the file mended recount only task 1.
        var other = Dataforge([.. args.Select(a => a == "400" ? "401" : a), "-o", dir["o"], "--executor-config", exec, "--resume"]);
        Assert.Equal(2, other.Code);
        Assert.Contains("differ", other.Err);
        dir.Write("tin/f4.jsonl", "{\"text\": \"fine\"}\n{\"text\": \"mended\"}\n");
        var resumed = Dataforge([.. args, "-o", dir["o"], "--executor-config", exec, "--resume", "--wait"]);
        Assert.True(resumed.Code == 0, resumed.Err + resumed.Out);
        Assert.Contains("(1 of 3 tasks)", resumed.Out);
        var local = CliTests.Cli([.. args, "-o", dir["local"]]);
        Assert.True(local.Code == 0, local.Err);
        AssertSameTokenizer(dir["local"], dir["o"]);
    }

    static bool WaitFor(Func<bool> condition, TimeSpan limit)
    {
        var clock = Stopwatch.StartNew();
        while (clock.Elapsed < limit)
        {
            if (condition()) return true;
            Thread.Sleep(200);
        }
        return condition();
    }
}

/// <summary>The Slurm executor's pure parts and configuration, without a cluster.</summary>
public class SlurmPlanTests
{
    [Fact]
    public void Array_specs_group_consecutive_tasks()
    {
        Assert.Equal("0-3", SlurmSubmission.ArraySpec([0, 1, 2, 3]));
        Assert.Equal("1,3", SlurmSubmission.ArraySpec([1, 3]));
        Assert.Equal("0-1,4,6-8", SlurmSubmission.ArraySpec([0, 1, 4, 6, 7, 8]));
    }

    [Fact]
    public void Steps_split_a_pipeline_at_its_global_stages_and_cap_tasks_at_the_partition_count()
    {
        using var dir = new TempDir();
        string input = Runs.WriteCorpus(dir, "in/c.jsonl", 10);
        string pipe = dir.Write("p.json", $$"""
            { "input": [{"type": "jsonl", "paths": [{{Runs.J(input)}}]}],
              "stages": [{"type": "normalize"}, {"type": "exact_dedup"}, {"type": "length_filter", "min_words": 1}, {"type": "minhash_dedup"}],
              "output": {"type": "jsonl", "path": {{Runs.J(dir["o"])}}} }
            """);
        var pipeline = DataForge.Pipelines.Pipeline.Load(pipe, DataForge.Cli.DataForgeCli.Registry);
        var steps = SlurmPipeline.Steps(pipeline, partitions: 3, tasks: 16);
        // minhash_dedup resolves its 14 bands as an array (capped at 16 tasks), then combines them in one job.
        Assert.Equal(["s0", "r0", "s1", "b1", "r1", "s2", "finish"], steps.Select(s => s.Id));
        Assert.Equal([3, 1, 3, 14, 1, 3, 1], steps.Select(s => s.Tasks));
        Assert.Equal("read, normalize, observe exact_dedup", steps[0].Description);
        Assert.Equal("apply exact_dedup, length_filter, observe minhash_dedup", steps[2].Description);
        Assert.Equal("apply minhash_dedup, write", steps[5].Description);
        Assert.Equal(4, SlurmPipeline.Steps(pipeline, partitions: 3, tasks: 4).Single(s => s.Id == "b1").Tasks);
    }

    [Fact]
    public void Executor_options_are_checked_with_their_json_path_and_left_out_of_the_run_identity()
    {
        using var dir = new TempDir();
        string input = Runs.WriteCorpus(dir, "in/c.jsonl", 10);
        string Pipe(string executor) => dir.Write("p.json", $$"""
            { "input": [{"type": "jsonl", "paths": [{{Runs.J(input)}}]}],
              "output": {"type": "jsonl", "path": {{Runs.J(dir["o"])}}},
              "executor": {{executor}} }
            """);
        var time = CliTests.Cli("validate", Pipe("""{"type": "slurm", "time": "soon"}"""));
        Assert.Equal(2, time.Code);
        Assert.Contains("$.executor.time: expected a Slurm time limit", time.Err);
        var tasks = CliTests.Cli("validate", Pipe("""{"type": "slurm", "tasks": 0}"""));
        Assert.Equal(2, tasks.Code);
        Assert.Contains("$.executor.tasks: expected an integer >= 1", tasks.Err);
        var type = CliTests.Cli("validate", Pipe("""{"type": "slurmm"}"""));
        Assert.Equal(2, type.Code);
        Assert.Contains("$.executor.type", type.Err);
        var a = DataForge.Pipelines.Pipeline.Load(Pipe("""{"type": "slurm", "tasks": 4}"""), DataForge.Cli.DataForgeCli.Registry);
        var b = DataForge.Pipelines.Pipeline.Load(Pipe("""{"type": "local"}"""), DataForge.Cli.DataForgeCli.Registry);
        Assert.Equal(a.CanonicalJson, b.CanonicalJson);
        Assert.Equal(4, a.Settings.Executor.Tasks);
    }

    [Fact]
    public void Every_dedup_stage_applies_in_a_process_that_did_not_resolve_it_and_the_output_equals_the_local_run()
    {
        using var dir = new TempDir();
        for (int f = 0; f < 5; f++)
        {
            Runs.WriteCorpus(dir, $"in/f{f}.jsonl", 60, seed: f + 1);
            File.AppendAllText(dir[$"in/f{f}.jsonl"], string.Concat(File.ReadLines(dir["in/f0.jsonl"]).Take(10).Select(l => l + "\n")));
        }
        string Pipe(string output) => dir.Write(output + ".json", $$"""
            { "batch_rows": 25, "input": [{"type": "jsonl", "paths": [{{Runs.J(dir["in/*.jsonl"])}}]}],
              "stages": [{"type": "normalize"}, {"type": "line_dedup", "max_occurrences": 2}, {"type": "sentence_dedup"}, {"type": "exact_dedup"},
                         {"type": "url_dedup"}, {"type": "minhash_dedup"}],
              "output": {"type": "jsonl", "path": {{Runs.J(dir[output])}}, "shard_max_rows": 30} }
            """);
        Assert.Equal(0, CliTests.Cli("run", Pipe("local"), "--workers", "2").Code);
        string steps = Pipe("steps");
        StepsInProcess.Run(() => DataForge.Pipelines.Pipeline.Load(steps, DataForge.Cli.DataForgeCli.Registry), tasks: 3);
        Assert.True(File.Exists(dir["steps/_SUCCESS"]));
        Assert.Equal(Runs.Shards(dir["local"]), Runs.Shards(dir["steps"]));
        Assert.Equal(File.ReadAllText(dir["local/manifest.json"]), File.ReadAllText(dir["steps/manifest.json"]));
        var a = RunStats.Read(dir["local/stats.json"]);
        var b = RunStats.Read(dir["steps/stats.json"]);
        foreach (var st in a.Stages)
        {
            var other = b.Stages.Single(x => x.Name == st.Name);
            Assert.Equal((st.In, st.Out, st.DroppedTotal), (other.In, other.Out, other.DroppedTotal));
        }
        // The copies across files are removed (by the first dedup stage that sees them).
        Assert.True(a.Dropped >= 40, $"dropped {a.Dropped}");
    }

    [Fact]
    public void The_tokens_sink_tokenizes_in_the_tasks_and_assembles_in_the_finish_step_as_the_local_run_does()
    {
        using var dir = new TempDir();
        for (int f = 0; f < 4; f++) Runs.WriteCorpus(dir, $"in/f{f}.jsonl", 50, seed: f + 3);
        string Pipe(string output) => dir.Write(output + ".json", $$"""
            { "input": [{"type": "jsonl", "paths": [{{Runs.J(dir["in/*.jsonl"])}}]}], "stages": [{"type": "normalize"}],
              "output": {"type": "tokens", "tokenizer": "cl100k_base", "val_fraction": 0.2, "path": {{Runs.J(dir[output])}}} }
            """);
        Assert.Equal(0, CliTests.Cli("run", Pipe("local")).Code);
        string steps = Pipe("steps");
        StepsInProcess.Run(() => DataForge.Pipelines.Pipeline.Load(steps, DataForge.Cli.DataForgeCli.Registry), tasks: 3);
        foreach (var f in new[] { "train.bin", "val.bin", "manifest.json" })
            Assert.True(File.ReadAllBytes(dir["local/" + f]).AsSpan().SequenceEqual(File.ReadAllBytes(dir["steps/" + f])), f);
    }

    [Fact]
    public void Limit_is_refused_on_slurm_before_anything_is_written()
    {
        using var dir = new TempDir();
        string input = Runs.WriteCorpus(dir, "in/c.jsonl", 10);
        string pipe = dir.Write("p.json", $$"""
            { "input": [{"type": "jsonl", "paths": [{{Runs.J(input)}}]}], "output": {"type": "jsonl", "path": {{Runs.J(dir["o"])}}} }
            """);
        var r = CliTests.Cli("run", pipe, "--executor", "slurm", "--limit", "5");
        Assert.Equal(2, r.Code);
        Assert.Contains("--limit", r.Err);
        Assert.False(Directory.Exists(dir["o"]));

        // A missing input is found while planning, before anything is submitted or written.
        File.Delete(input);
        var missing = CliTests.Cli("run", pipe, "--executor", "slurm");
        Assert.NotEqual(0, missing.Code);
        Assert.Contains("c.jsonl", missing.Err);
        Assert.False(Directory.Exists(dir["o"]));
    }
}
