using DataForge.Execution;
using DataForge.Tests;
using DataForge.Tokenization.Mixing;

namespace DataForge.Tokenization.Tests;

/// <summary>The output directory of dataforge mix: whose files it may remove, the lock, overlapping inputs, --resume.</summary>
public class MixOutputTests
{
    /// <summary>Every file of a directory (bookkeeping excluded) by relative path.</summary>
    static SortedDictionary<string, byte[]> Files(string dir)
    {
        var d = new SortedDictionary<string, byte[]>(StringComparer.Ordinal);
        foreach (var f in Directory.EnumerateFiles(dir, "*", SearchOption.AllDirectories))
        {
            string rel = Path.GetRelativePath(dir, f);
            if (!rel.StartsWith(".dataforge-", StringComparison.Ordinal)) d[rel] = File.ReadAllBytes(f);
        }
        return d;
    }

    [Fact]
    public void A_foreign_directory_is_refused_and_left_exactly_as_it_was()
    {
        using var dir = new TempDir();
        MixTests.Sources(dir);
        dir.Write("out/stable/train.bin", [1, 2, 3, 4]);
        dir.Write("out/notes.txt", "mine");
        var entries = Directory.EnumerateFileSystemEntries(dir["out"], "*", SearchOption.AllDirectories).Order().ToList();
        foreach (var options in new[] { new MixRunOptions(), new MixRunOptions { Overwrite = true }, new MixRunOptions { Resume = true } })
        {
            var ex = Assert.Throws<RunSetupException>(() => MixTests.RunMix(dir, MixTests.MixJson(dir), options));
            Assert.Contains(dir["out"], ex.Message);
            Assert.Contains("DataForge did not write", ex.Message);
        }
        Assert.Equal(entries, Directory.EnumerateFileSystemEntries(dir["out"], "*", SearchOption.AllDirectories).Order().ToList());
        Assert.Equal([1, 2, 3, 4], File.ReadAllBytes(dir["out/stable/train.bin"]));
    }

    [Fact]
    public void An_earlier_mix_is_refused_without_overwrite_and_replaced_with_it()
    {
        using var dir = new TempDir();
        MixTests.Sources(dir);
        MixTests.RunMix(dir, MixTests.MixJson(dir, seed: 8), new MixRunOptions());
        var seed8 = Files(dir["out"]);
        var ex = Assert.Throws<RunSetupException>(() => MixTests.RunMix(dir, MixTests.MixJson(dir), new MixRunOptions()));
        Assert.Contains("not empty; pass --overwrite", ex.Message);
        Assert.Equal(seed8, Files(dir["out"]));

        var log = new List<string>();
        MixTests.RunMix(dir, MixTests.MixJson(dir), new MixRunOptions { Overwrite = true }, log.Add);
        Assert.Contains(log, l => l.StartsWith("--overwrite: removing the previous mix output", StringComparison.Ordinal));
        var replaced = Files(dir["out"]);
        Assert.NotEqual(seed8["stable/train.bin"], replaced["stable/train.bin"]);
        // The same as a mix into a new directory.
        var fresh = MixTests.MixJson(dir).Replace(Runs.J(dir["out"]), Runs.J(dir["fresh"]), StringComparison.Ordinal);
        MixTests.RunMix(dir, fresh, new MixRunOptions());
        Assert.Equal(Files(dir["fresh"]), replaced);
        Assert.Equal(["_SUCCESS", "decay/tokens.json", "decay/train.bin", "decay/val.bin", "mix_report.json", "stable/tokens.json", "stable/train.bin", "stable/val.bin"],
            replaced.Keys);
    }

    [Fact]
    public void Sources_that_are_contain_or_hold_the_output_are_refused_with_their_location()
    {
        using var dir = new TempDir();
        MixTests.Sources(dir);
        string json = MixTests.MixJson(dir);
        foreach (var (output, relation) in new[] { (dir["web"], "is"), (Path.Combine(dir["books"], "mix"), "lies inside"), (dir.Path, "contains") })
        {
            var ex = Assert.Throws<RunSetupException>(() => MixTests.RunMix(dir, json.Replace(Runs.J(dir["out"]), Runs.J(output), StringComparison.Ordinal)));
            Assert.Contains($"mix.json: $.sources[{(output.StartsWith(dir["books"], StringComparison.Ordinal) ? 1 : 0)}].path: the output directory", ex.Message);
            Assert.Contains($" {relation} the input ", ex.Message);
        }
        Assert.False(Directory.Exists(Path.Combine(dir["books"], "mix")));
        Assert.Single(Directory.GetFiles(dir["web"]));
    }

    [Fact]
    public void A_second_mix_on_a_locked_directory_is_refused_and_the_first_finishes()
    {
        using var dir = new TempDir();
        MixTests.Sources(dir);
        MixTests.RunMix(dir, MixTests.MixJson(dir).Replace(Runs.J(dir["out"]), Runs.J(dir["ref"]), StringComparison.Ordinal), new MixRunOptions());
        Exception? second = null;
        // The second mix starts while the first holds the lock (from the first's progress log).
        MixTests.RunMix(dir, MixTests.MixJson(dir), new MixRunOptions(), msg =>
        {
            if (second is null) second = Record.Exception(() => MixTests.RunMix(dir, MixTests.MixJson(dir), new MixRunOptions { Overwrite = true }));
        });
        var locked = Assert.IsType<OutputLockedException>(second);
        Assert.Contains("in use by pid", locked.Message);
        Assert.Equal(Files(dir["ref"]), Files(dir["out"]));
    }

    [Fact]
    public void Resume_reuses_finished_pieces_and_refuses_a_changed_config()
    {
        using var dir = new TempDir();
        MixTests.Sources(dir);
        MixTests.RunMix(dir, MixTests.MixJson(dir).Replace(Runs.J(dir["out"]), Runs.J(dir["ref"]), StringComparison.Ordinal), new MixRunOptions());
        // A failing mix (an error, not a kill) leaves nothing to resume.
        Assert.Throws<MixShortfallException>(() => MixTests.RunMix(dir, MixTests.MixJson(dir, bookEpochs: 1), new MixRunOptions()));
        Assert.True(OutputDirectory.IsEmpty(dir["out"]));
        // --resume on an empty directory mixes from the start, and on a finished mix does nothing.
        MixTests.RunMix(dir, MixTests.MixJson(dir), new MixRunOptions { Resume = true });
        Assert.Equal(Files(dir["ref"]), Files(dir["out"]));
        var log = new List<string>();
        MixTests.RunMix(dir, MixTests.MixJson(dir), new MixRunOptions { Resume = true }, log.Add);
        Assert.Contains(log, l => l.Contains("is complete; nothing to do", StringComparison.Ordinal));

        // The work directory as a kill after the first source would leave it (beside the finished mix it replaces).
        string snapshot = dir["snapshot"];
        MixTests.RunMix(dir, MixTests.MixJson(dir), new MixRunOptions { Overwrite = true }, msg =>
        {
            if (msg.StartsWith("source 'web': tokenized", StringComparison.Ordinal)) CopyTree(Path.Combine(dir["out"], MixOutput.WorkDir), snapshot);
        });
        string work = Path.Combine(dir["out"], MixOutput.WorkDir);
        CopyTree(snapshot, work);
        var plain = Assert.Throws<RunSetupException>(() => MixTests.RunMix(dir, MixTests.MixJson(dir), new MixRunOptions()));
        Assert.Contains("it holds an interrupted mix: pass --resume to finish it or --overwrite to start over", plain.Message);
        var changed = Assert.Throws<RunSetupException>(() => MixTests.RunMix(dir, MixTests.MixJson(dir, seed: 9), new MixRunOptions { Resume = true }));
        Assert.Contains("--resume refused: mix.json, its tokenizer or the source files changed", changed.Message);
        Assert.True(Directory.Exists(work), "a refused resume keeps the interrupted mix");
        var finished = Files(dir["out"]);
        foreach (var k in finished.Keys.Where(k => k.StartsWith(MixOutput.WorkDir + "/", StringComparison.Ordinal)).ToList()) finished.Remove(k);
        Assert.Equal(Files(dir["ref"]), finished);

        log.Clear();
        MixTests.RunMix(dir, MixTests.MixJson(dir), new MixRunOptions { Resume = true }, log.Add);
        Assert.Contains("source 'web': tokenized by the interrupted mix; reused", log);
        Assert.Contains(log, l => l.StartsWith("source 'books': tokenized 1 shard file(s)", StringComparison.Ordinal));
        Assert.Equal(Files(dir["ref"]), Files(dir["out"]));
    }

    static void CopyTree(string from, string to)
    {
        foreach (var f in Directory.EnumerateFiles(from, "*", SearchOption.AllDirectories))
        {
            string dest = Path.Combine(to, Path.GetRelativePath(from, f));
            Directory.CreateDirectory(Path.GetDirectoryName(dest)!);
            File.Copy(f, dest, overwrite: true);
        }
    }
}
