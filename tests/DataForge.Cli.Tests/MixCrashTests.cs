using System.Diagnostics;
using System.Text;
using System.Text.Json;
using DataForge.Execution;
using DataForge.Training;

namespace DataForge.Tests;

/// <summary>
/// dataforge mix killed (SIGKILL, in a child process) at each of its fault points while replacing an earlier
/// mix: the directory holds the earlier mix complete, the new one complete, or no _SUCCESS; --resume then
/// gives files byte-identical to an uninterrupted mix. Also the lock (exit code 3), foreign directories and
/// sources overlapping the output.
/// </summary>
public class MixCrashTests
{
    static readonly string[] Points = ["after-spill", "after-phase", "before-publish", "mid-publish", "before-success", "after-success"];

    /// <summary>A two-source, two-phase MIX.json with the given seed (the output comes from --output).</summary>
    static string MixFile(TempDir dir, long seed)
    {
        if (!File.Exists(dir["a.jsonl"])) { TokenizationCliTests.Corpus(dir, "a", 300, 2); TokenizationCliTests.Corpus(dir, "b", 150, 3); }
        return dir.Write($"mix{seed}.json", $$"""
            { "name": "crash", "seed": {{seed}}, "tokenizer": "cl100k_base", "output": "unused", "val_fraction": 0.05,
              "sources": [ { "name": "a", "path": {{JsonSerializer.Serialize(dir["a.jsonl"])}}, "max_epochs": 3 },
                           { "name": "b", "path": {{JsonSerializer.Serialize(dir["b.jsonl"])}}, "max_epochs": 3 } ],
              "phases": [ { "name": "stable", "tokens": 6000, "weights": { "a": 0.6, "b": 0.4 } },
                          { "name": "decay", "tokens": 2000, "weights": { "a": 0.2, "b": 0.8 } } ] }
            """);
    }

    /// <summary>Every file DataForge leaves in a mix output (lock and marker excluded), by relative path.</summary>
    static SortedDictionary<string, byte[]> Files(string dir, bool withWork = true)
    {
        var d = new SortedDictionary<string, byte[]>(StringComparer.Ordinal);
        foreach (var f in Directory.EnumerateFiles(dir, "*", SearchOption.AllDirectories))
        {
            string rel = Path.GetRelativePath(dir, f);
            if (rel.StartsWith(".dataforge-", StringComparison.Ordinal) || (!withWork && rel.StartsWith("_work/", StringComparison.Ordinal))) continue;
            d[rel] = File.ReadAllBytes(f);
        }
        return d;
    }

    static bool Same(SortedDictionary<string, byte[]> a, SortedDictionary<string, byte[]> b)
        => a.Keys.SequenceEqual(b.Keys) && a.All(kv => kv.Value.AsSpan().SequenceEqual(b[kv.Key]));

    static int Mix(params string[] args) => CliTests.Cli(["mix", .. args, "--threads", "1"]).Code;

    /// <summary>Runs dataforge mix in a child process that kills itself at <paramref name="point"/>.</summary>
    static int MixKilledAt(string point, params string[] args)
    {
        var (code, _, err) = ChildProcess.KilledAt("mix:" + point, ["mix", .. args, "--threads", "1"]);
        Assert.True(code == 137, $"mix:{point}: expected a kill (137), got {code}: {err}");
        return code;
    }

    [Fact]
    public void Mix_killed_at_every_point_while_replacing_a_mix_then_resumed_is_byte_identical()
    {
        using var dir = new TempDir();
        string seed7 = MixFile(dir, 7), seed8 = MixFile(dir, 8);
        Assert.Equal(0, Mix(seed7, "--output", dir["ref7"]));
        Assert.Equal(0, Mix(seed8, "--output", dir["ref8"]));
        var ref7 = Files(dir["ref7"]);
        var ref8 = Files(dir["ref8"]);
        Assert.NotEqual(ref7["stable/train.bin"], ref8["stable/train.bin"]);
        Assert.Contains("_SUCCESS", ref7.Keys);

        foreach (var point in Points)
        {
            string o = dir["o-" + point];
            Assert.Equal(0, Mix(seed8, "--output", o));
            MixKilledAt(point, seed7, "--output", o, "--overwrite");
            var left = Files(o, withWork: false);
            // Never a silent mixture: with _SUCCESS the directory is one complete mix, without it readers refuse it.
            if (File.Exists(Path.Combine(o, "_SUCCESS")))
                Assert.True(Same(left, ref8) || Same(left, ref7), $"mix:{point}: _SUCCESS beside a mixture of two mixes");
            else
                foreach (var phase in new[] { "stable", "decay" }.Where(p => Directory.Exists(Path.Combine(o, p))))
                    Assert.Contains("incomplete (no _SUCCESS)", Assert.Throws<InputException>(() => new TokenDir(Path.Combine(o, phase))).Message);
            // Before the swap the earlier mix is untouched; during it there is no _SUCCESS; after _SUCCESS the new mix is complete.
            if (point is "mid-publish" or "before-success") Assert.False(File.Exists(Path.Combine(o, "_SUCCESS")), point);
            else Assert.Equal(point == "after-success" ? ref7 : ref8, left);

            var (plain, _, err) = CliTests.Cli("mix", seed7, "--output", o);
            Assert.Equal(2, plain);
            Assert.Contains("interrupted mix: pass --resume", err);
            Assert.Equal(0, Mix(seed7, "--output", o, "--resume"));
            Assert.True(Same(ref7, Files(o)), $"mix:{point}: resumed output differs from the uninterrupted mix");
        }
    }

    [Fact]
    public void Mix_killed_in_a_new_directory_is_finished_by_resume_or_restarted_by_overwrite()
    {
        using var dir = new TempDir();
        string seed7 = MixFile(dir, 7);
        Assert.Equal(0, Mix(seed7, "--output", dir["ref"]));
        var reference = Files(dir["ref"]);

        MixKilledAt("after-spill", seed7, "--output", dir["o"]);
        Assert.False(File.Exists(dir["o/_SUCCESS"]));
        Assert.False(Directory.Exists(dir["o/stable"]));
        Assert.Equal(0, Mix(seed7, "--output", dir["o"], "--resume"));
        Assert.Equal(reference, Files(dir["o"]));

        MixKilledAt("mid-publish", seed7, "--output", dir["p"]);
        var (code, _, err) = CliTests.Cli("report", dir["p"]);
        Assert.True(code != 0 || err.Contains("incomplete", StringComparison.Ordinal), err);
        Assert.Equal(0, Mix(seed7, "--output", dir["p"], "--overwrite"));
        Assert.Equal(reference, Files(dir["p"]));
        Assert.Equal(2, CliTests.Cli("mix", seed7, "--output", dir["p"], "--resume", "--overwrite").Code);
    }

    [Fact]
    public void Mix_stage_killed_while_writing_its_phases_then_resumed_is_byte_identical()
    {
        using var dir = new TempDir();
        MixFile(dir, 7);
        string pipeline = dir.Write("p.json", $$"""
            { "input": [ { "type": "jsonl", "paths": [{{JsonSerializer.Serialize(dir["a.jsonl"])}}], "source": "a" },
                         { "type": "jsonl", "paths": [{{JsonSerializer.Serialize(dir["b.jsonl"])}}], "source": "b" } ],
              "output": { "type": "mix", "path": "unused", "tokenizer": "cl100k_base", "val_fraction": 0.05,
                          "sources": [ { "name": "a", "max_epochs": 3 }, { "name": "b", "max_epochs": 3 } ],
                          "phases": [ { "name": "stable", "tokens": 6000, "weights": { "a": 0.6, "b": 0.4 } },
                                      { "name": "decay", "tokens": 2000, "weights": { "a": 0.2, "b": 0.8 } } ] } }
            """);
        Assert.Equal(0, CliTests.Cli("run", pipeline, "--output", dir["ref"], "--workers", "1").Code);
        var reference = Files(dir["ref"]);
        Assert.Contains("stable/train.bin", reference.Keys);

        Assert.Equal(137, ChildProcess.KilledAt("mix:after-phase", ["run", pipeline, "--output", dir["o"], "--workers", "1"]).Code);
        Assert.False(File.Exists(dir["o/_SUCCESS"]));
        Assert.False(Directory.Exists(dir["o/stable"]), "a phase is moved into place only when every phase is written");
        var (code, _, err) = CliTests.Cli("run", pipeline, "--output", dir["o"], "--workers", "1", "--resume");
        Assert.True(code == 0, err);
        var resumed = Files(dir["o"]);
        // stats.json has timings; everything else is the same bytes.
        reference.Remove("stats.json");
        resumed.Remove("stats.json");
        Assert.True(Same(reference, resumed), string.Join(", ", resumed.Keys));
    }

    [Fact]
    public void A_mix_on_a_locked_directory_exits_3_and_touches_nothing()
    {
        using var dir = new TempDir();
        string seed7 = MixFile(dir, 7);
        Assert.Equal(0, Mix(seed7, "--output", dir["o"]));
        var before = Files(dir["o"]);
        using (OutputLock.Acquire(dir["o"], "mix"))
        {
            var (code, _, err) = CliTests.Cli("mix", seed7, "--output", dir["o"], "--overwrite");
            Assert.Equal(3, code);
            Assert.Contains("output directory is in use by pid", err);
            Assert.Equal(before, Files(dir["o"]));
        }
        Assert.Equal(0, Mix(seed7, "--output", dir["o"], "--overwrite"));
        Assert.Equal(before, Files(dir["o"]));
    }

    [Fact]
    public void A_foreign_directory_and_sources_overlapping_the_output_are_refused()
    {
        using var dir = new TempDir();
        string seed7 = MixFile(dir, 7);
        dir.Write("user/stable/train.bin", [9, 9, 9, 9]);
        foreach (var flags in new[] { Array.Empty<string>(), ["--overwrite"], ["--resume"] })
        {
            var (code, _, err) = CliTests.Cli(["mix", seed7, "--output", dir["user"], .. flags]);
            Assert.Equal(2, code);
            Assert.Contains("DataForge did not write", err);
        }
        Assert.Equal(["stable/train.bin"], Directory.EnumerateFiles(dir["user"], "*", SearchOption.AllDirectories).Select(f => Path.GetRelativePath(dir["user"], f)));
        Assert.Equal([9, 9, 9, 9], File.ReadAllBytes(dir["user/stable/train.bin"]));

        var (c2, _, e2) = CliTests.Cli("mix", seed7, "--output", dir.Path);
        Assert.Equal(2, c2);
        Assert.Contains($"{seed7}: $.sources[0].path: the output directory {dir.Path} contains the input {dir["a.jsonl"]} of source 'a'", e2);
    }
}
