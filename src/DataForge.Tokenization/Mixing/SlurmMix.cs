using DataForge.Execution;
using DataForge.Execution.Slurm;

namespace DataForge.Tokenization.Mixing;

/// <summary>
/// A mix as Slurm jobs: an array job tokenizes the sources' shard files (file f of the list of all
/// sources' files, in order, goes to task f mod tasks, each into a spill directory of its own), then one
/// job plans and writes the phases from the spills and publishes. A key's documents are read back in file
/// order, as the local mix spills them, so the mix is byte-identical to a local one with any task count.
/// </summary>
public static class SlurmMix
{
    public const string Kind = "mix";

    /// <summary>Prepares the output as a local mix would and submits what is not done; null when --resume finds the mix finished.</summary>
    public static SlurmSubmission? Submit(MixConfig config, string configFile, string baseDirectory, MixRunOptions options, Action<string>? log,
        IReadOnlyList<string>? command = null)
    {
        var (outDir, files, identity) = Inputs(config, baseDirectory, configFile);
        var output = new MixOutput(outDir, log);
        output.RefuseForeign(options);
        using var outputLock = OutputLock.Acquire(outDir, "mix --executor slurm");
        if (!output.Prepare(identity, options)) return null;
        var units = Units(files);
        int tasks = Math.Max(1, Math.Min(config.Executor.Tasks, units.Count));
        bool staged = output.Publishing || Mixer.IsStaged(output.Staging);
        var missing = staged ? [] : Enumerable.Range(0, tasks)
            .Where(t => units.Where((u, i) => i % tasks == t).Any(u => !MixSpillWriter.IsComplete(output.UnitSpillDir(u.Source, u.File)))).ToList();
        var steps = new List<(SlurmStep, IReadOnlyList<int>)>
        {
            (new SlurmStep("t0", "tokenize", 0, tasks, $"tokenize {units.Count} shard file(s) of {config.Sources.Count} source(s)"), missing),
            (new SlurmStep("mix", "mix", 0, 1, "plan and write the phases, mix_report.json, _SUCCESS"), [0]),
        };
        string name = "df-mix-" + config.Name;
        return SlurmSubmission.Submit(Kind, configFile, outDir, config.Executor, steps, name, command);
    }

    /// <summary>Runs one task of a submitted mix step (the worker process of one Slurm task).</summary>
    public static void RunTask(MixConfig config, SlurmSubmission sub, string stepId, int task, Action<string>? log)
    {
        var step = sub.Step(stepId).Step;
        string baseDirectory = Directory.GetCurrentDirectory();
        if (sub.Output != Path.GetFullPath(Path.Combine(baseDirectory, config.Output)))
            config.Output = sub.Output;
        var (outDir, files, identity) = Inputs(config, baseDirectory, sub.Config);
        var output = new MixOutput(outDir, log);
        if (output.Finished) return;
        output.CheckIdentity(identity);
        var tokenizer = TextTokenizer.Load(config.Tokenizer, baseDirectory);
        var units = Units(files);
        switch (step.Kind)
        {
            case "tokenize":
                FaultPoints.At($"slurm-task:{step.Id}-{task}");
                for (int i = task; i < units.Count; i += step.Tasks)
                {
                    var (si, fi, file) = units[i];
                    string dir = output.UnitSpillDir(si, fi);
                    if (MixSpillWriter.IsComplete(dir)) continue;
                    if (Directory.Exists(dir)) Directory.Delete(dir, recursive: true);
                    using (var spill = new MixSpillWriter(dir, tokenizer))
                    {
                        Mixer.SpillFile(spill, config.Sources[si], file, Math.Max(1, sub.Workers));
                        spill.Complete();
                    }
                    log?.Invoke($"source '{config.Sources[si].Name}': tokenized {file}");
                }
                break;
            case "mix":
                using (OutputLock.Acquire(outDir, "mix --executor slurm (mix)"))
                {
                    if (!output.Publishing && !Mixer.IsStaged(output.Staging))
                    {
                        var dirs = units.Select(u => output.UnitSpillDir(u.Source, u.File)).ToList();
                        foreach (var d in dirs)
                            if (!MixSpillWriter.IsComplete(d)) throw new InvalidOperationException($"{d}: this shard file was not tokenized; a task of step t0 did not finish (mix --resume)");
                        Mixer.MixFromSpills(config, config.Name, tokenizer, dirs, output.Staging, (ulong)(config.Seed ?? 42), log);
                    }
                    output.Publish();
                }
                break;
            default:
                throw new SlurmException($"step {stepId}: unknown kind '{step.Kind}' for a mix");
        }
    }

    static (string OutDir, List<IReadOnlyList<string>> Files, string Identity) Inputs(MixConfig config, string baseDirectory, string configFile)
    {
        string outDir = Path.GetFullPath(Path.Combine(baseDirectory, config.Output));
        var files = new List<IReadOnlyList<string>>();
        foreach (var src in config.Sources)
        {
            var f = Mixer.SourceFiles(src.Path!, baseDirectory);
            if (f.Count == 0) throw new InputException($"source '{src.Name}': no shards found at {src.Path}");
            files.Add(f);
        }
        MixOutput.CheckSourcesOutside(config, baseDirectory, outDir, files, configFile);
        string tokenizerPath = Path.GetFullPath(Path.Combine(baseDirectory, config.Tokenizer));
        return (outDir, files, MixOutput.Identity(config, files, Path.Exists(tokenizerPath) ? tokenizerPath : null));
    }

    /// <summary>Every source's shard files in order: the units the tokenizing tasks share.</summary>
    static List<(int Source, int File, string Path)> Units(List<IReadOnlyList<string>> files)
        => files.SelectMany((fs, si) => fs.Select((f, fi) => (si, fi, f))).ToList();
}
