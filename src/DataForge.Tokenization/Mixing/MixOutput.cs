using System.Text.Json.Nodes;
using DataForge.Execution;
using DataForge.IO;

namespace DataForge.Tokenization.Mixing;

/// <summary>How <c>dataforge mix</c> treats its output directory (the command's flags).</summary>
public sealed record MixRunOptions
{
    /// <summary>Finish an interrupted mix from the pieces it completed (refused when the config or inputs changed).</summary>
    public bool Resume { get; init; }
    /// <summary>Replace a previous DataForge mix in the output directory (only once the new one is complete).</summary>
    public bool Overwrite { get; init; }
    /// <summary>The MIX.json file, for messages that point into it.</summary>
    public string ConfigFile { get; init; } = "MIX.json";
}

/// <summary>
/// The output discipline of <c>dataforge mix</c>, after the pipeline runner's: everything is written under
/// <c>OUTPUT/_work/</c> (tokenized sources in <c>spill/</c>, the finished phases and report in <c>out/</c>),
/// an identity file there refuses <c>--resume</c> of a changed config, and only when the new mix is
/// complete is the previous one removed and the new one moved into place, <c>_SUCCESS</c> last. A kill
/// therefore leaves the previous complete mix (with <c>_SUCCESS</c>), the new complete mix, or a directory
/// without <c>_SUCCESS</c> whose <c>_work/</c> <c>--resume</c> completes.
/// </summary>
public sealed class MixOutput
{
    public const string Kind = "mix";
    public const string WorkDir = "_work";
    const string IdentityFile = "identity.json";
    /// <summary>Written once the previous mix is removed: from then on <c>out/</c> is moved into place, never remixed.</summary>
    const string PublishingFile = "publishing";

    readonly Action<string>? _log;

    public MixOutput(string directory, Action<string>? log)
    {
        Directory = directory;
        _log = log;
    }

    public string Directory { get; }
    string Work => Path.Combine(Directory, WorkDir);
    string IdentityPath => Path.Combine(Work, IdentityFile);
    string SuccessPath => Path.Combine(Directory, OutputDirectory.SuccessFile);

    /// <summary>Tokenized documents of source <paramref name="index"/> (complete once its keys.json exists).</summary>
    public string SpillDir(int index) => Path.Combine(Work, "spill", $"s{index:D3}");

    /// <summary>Where the phases and mix_report.json are written before they are moved into place.</summary>
    public string Staging => Path.Combine(Work, "out");

    /// <summary>True when the previous mix was already removed and the new one is being moved into place.</summary>
    public bool Publishing => File.Exists(Path.Combine(Work, PublishingFile));

    /// <summary>
    /// Makes the directory ready for this mix (the caller holds its lock). Returns false when <c>--resume</c>
    /// finds the mix already finished (nothing to do); throws <see cref="RunSetupException"/> when the
    /// directory may not be used as asked.
    /// </summary>
    /// <param name="identity">The config and inputs of this mix; a resumed mix must have the same.</param>
    public bool Prepare(string identity, MixRunOptions options)
    {
        // Only a directory marked as a mix has a mix's work directory (a pipeline output has one of its own).
        bool ours = OutputDirectory.KindOf(Directory) == Kind;
        // A work directory without its identity is debris of a kill while it was being created or removed.
        if (ours && System.IO.Directory.Exists(Work) && !File.Exists(IdentityPath)) System.IO.Directory.Delete(Work, recursive: true);
        bool interrupted = ours && File.Exists(IdentityPath);
        if (options.Resume)
        {
            if (interrupted)
            {
                if (File.ReadAllText(IdentityPath) != identity)
                    throw new RunSetupException($"{Directory}: --resume refused: {options.ConfigFile}, its tokenizer or the source files changed since the interrupted mix; pass --overwrite to start over");
                _log?.Invoke($"--resume: continuing the interrupted mix in {Directory}");
                return true;
            }
            if (ours && File.Exists(SuccessPath))
            {
                _log?.Invoke($"--resume: the mix in {Directory} is complete; nothing to do");
                return false;
            }
            if (!OutputDirectory.IsEmpty(Directory))
                throw new RunSetupException($"{Directory}: --resume found no interrupted mix here (no {WorkDir}/); pass --overwrite to replace what is there");
        }
        else if (!options.Overwrite)
        {
            OutputDirectory.PrepareFresh(Directory, Kind, overwrite: false, _log,
                hint: interrupted ? "it holds an interrupted mix: pass --resume to finish it or --overwrite to start over" : "pass --overwrite to replace it");
        }
        else
        {
            // Checked now, removed only when the new mix is complete: until then the previous one stays usable.
            OutputDirectory.EnsureReplaceable(Directory, Kind);
            if (System.IO.Directory.Exists(Work))
            {
                _log?.Invoke($"--overwrite: discarding the interrupted {WorkDir}/ in {Directory}");
                System.IO.Directory.Delete(Work, recursive: true);
            }
        }
        OutputDirectory.Claim(Directory, Kind);
        System.IO.Directory.CreateDirectory(Work);
        string tmp = IdentityPath + ".tmp";
        File.WriteAllText(tmp, identity);
        File.Move(tmp, IdentityPath, overwrite: true);
        return true;
    }

    /// <summary>Throws unless the directory holds a prepared mix of this identity (a Slurm task checks that nothing changed since the submission).</summary>
    public void CheckIdentity(string identity)
    {
        if (!File.Exists(IdentityPath))
            throw new RunSetupException($"{Directory}: no mix was prepared here ({WorkDir}/{IdentityFile} is missing); submit it again");
        if (File.ReadAllText(IdentityPath) != identity)
            throw new RunSetupException($"{Directory}: the MIX.json, its tokenizer or the source files changed since the mix was submitted");
    }

    /// <summary>Tokenized documents of shard file <paramref name="file"/> of source <paramref name="source"/>, for a mix whose tokenizing is split across Slurm tasks.</summary>
    public string UnitSpillDir(int source, int file) => Path.Combine(Work, "spill", $"s{source:D3}-f{file:D5}");

    public bool Finished => File.Exists(SuccessPath) && !System.IO.Directory.Exists(Work);

    /// <summary>
    /// Refuses a non-empty directory DataForge did not write before the lock file is created in it, so such a
    /// directory is left exactly as it was (<see cref="Prepare"/>, under the lock, decides everything else).
    /// </summary>
    public void RefuseForeign(MixRunOptions options)
    {
        if (OutputDirectory.IsEmpty(Directory) || OutputDirectory.IsOwned(Directory)) return;
        if (options.Overwrite) OutputDirectory.EnsureReplaceable(Directory, Kind);
        throw new RunSetupException($"{Directory}: output directory is not empty and holds files DataForge did not write; choose another output");
    }

    /// <summary>Removes the work directory of a mix that failed (an error, not a kill), so a plain rerun may start again.</summary>
    public void Abandon()
    {
        if (System.IO.Directory.Exists(Work)) System.IO.Directory.Delete(Work, recursive: true);
    }

    /// <summary>
    /// Replaces the previous mix (if any) with the staged one: _SUCCESS goes first, then what the previous mix
    /// left; the staged phases and report are moved in; _SUCCESS is written; the work directory goes last.
    /// Every step can be repeated after a kill (<c>--resume</c> calls this again).
    /// </summary>
    public void Publish()
    {
        FaultPoints.At("mix:before-publish");
        if (!Publishing)
        {
            // From here the directory says "incomplete" until the new mix is in place.
            File.Delete(SuccessPath);
            // A mix on Slurm publishes from its last job: its submission record, markers and logs stay.
            OutputDirectory.Clear(Directory, Kind, _log, "output directory", WorkDir, Execution.Slurm.SlurmSubmission.DirName);
            File.WriteAllText(Path.Combine(Work, PublishingFile), "");
        }
        Mixer.Publish(Staging, Directory, () => FaultPoints.At("mix:mid-publish"));
        FaultPoints.At("mix:before-success");
        File.WriteAllText(SuccessPath, "");
        FaultPoints.At("mix:after-success");
        // The identity goes first: a kill while removing the rest leaves debris that Prepare recognises.
        File.Delete(IdentityPath);
        System.IO.Directory.Delete(Work, recursive: true);
    }

    /// <summary>
    /// What a resumed mix must share with the interrupted one: the config (all but the output path), the
    /// source files (path, size, modification time) and the tokenizer's files.
    /// </summary>
    public static string Identity(MixConfig config, IReadOnlyList<IReadOnlyList<string>> sourceFiles, string? tokenizerPath)
    {
        var sources = new JsonArray();
        for (int i = 0; i < config.Sources.Count; i++)
        {
            var s = config.Sources[i];
            sources.Add(new JsonObject
            {
                ["name"] = s.Name, ["path"] = s.Path, ["bucket_column"] = s.BucketColumn, ["max_epochs"] = s.MaxEpochs,
                ["files"] = new JsonArray(sourceFiles[i].Select(f => (JsonNode)FileIdentity.Stamp(f)).ToArray()),
            });
        }
        var phases = new JsonArray(config.Phases.Select(p => (JsonNode)new JsonObject
        {
            ["name"] = p.Name, ["tokens"] = p.Tokens,
            ["weights"] = new JsonObject(p.Weights.Select(kv => KeyValuePair.Create(kv.Key, (JsonNode?)kv.Value))),
        }).ToArray());
        var tokenizerFiles = tokenizerPath is null ? []
            : System.IO.Directory.Exists(tokenizerPath) ? System.IO.Directory.EnumerateFiles(tokenizerPath).Order(StringComparer.Ordinal).ToList()
            : File.Exists(tokenizerPath) ? [tokenizerPath] : new List<string>();
        var identity = new JsonObject
        {
            ["name"] = config.Name, ["tokenizer"] = config.Tokenizer,
            ["tokenizer_files"] = new JsonArray(tokenizerFiles.Select(f => (JsonNode)FileIdentity.Stamp(f)).ToArray()),
            ["seed"] = config.Seed, ["format"] = config.Format, ["val_fraction"] = config.ValFraction, ["on_shortfall"] = config.OnShortfall,
            ["sources"] = sources, ["phases"] = phases,
        };
        return identity.ToJsonString();
    }

    /// <summary>
    /// Refuses sources that are, contain or lie inside the output directory: the mix would read what it
    /// writes, or clear what it reads. Called before the lock creates the output directory.
    /// </summary>
    public static void CheckSourcesOutside(MixConfig config, string baseDirectory, string outDir, IReadOnlyList<IReadOnlyList<string>> sourceFiles,
        string configFile)
    {
        for (int i = 0; i < config.Sources.Count; i++)
        {
            string full = Path.GetFullPath(Path.Combine(baseDirectory, config.Sources[i].Path!));
            foreach (var input in sourceFiles[i].Prepend(full))
                if (OutputDirectory.Overlap(outDir, input) is { } relation)
                    throw new RunSetupException($"{configFile}: $.sources[{i}].path: the output directory {outDir} {relation} the input {input} of source '{config.Sources[i].Name}'; choose an output outside every source");
        }
    }

    /// <summary>The finished mix's report as a result (for <c>--resume</c> of a complete mix).</summary>
    public MixResult LoadFinished()
        => MixResult.FromReport(JsonNode.Parse(File.ReadAllText(Path.Combine(Directory, Mixer.ReportFile)))!.AsObject(), 0);
}
