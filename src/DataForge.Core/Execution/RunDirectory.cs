using System.Text.Json;
using DataForge.Pipelines;

namespace DataForge.Execution;

/// <summary>
/// The output directory of a pipeline run and the records that make it resumable: <c>_work/</c> holds
/// each segment's spills, the global stages' work directories, one done-record per finished partition
/// and segment, and the run's identity; at the end come stats.json, manifest.json and <c>_SUCCESS</c>,
/// in that order, before <c>_work/</c> goes.
/// </summary>
internal sealed class RunDirectory(string path)
{
    public const string WorkDirName = "_work";
    /// <summary>The kind of output a pipeline run writes, as its output marker records it.</summary>
    const string Kind = "pipeline";

    public string Path { get; } = path;
    public string Work => System.IO.Path.Combine(Path, WorkDirName);
    public bool IsFinished => File.Exists(System.IO.Path.Combine(Path, OutputDirectory.SuccessFile));

    /// <summary>Where segment <paramref name="k"/> spills its output for the next segment (Arrow IPC per partition).</summary>
    public string SegmentSpill(int k) => System.IO.Path.Combine(Work, $"s{k}");

    /// <summary>A global stage's own directory for spill files (created).</summary>
    public string GlobalWork(int stageIndex, string type)
    {
        string dir = System.IO.Path.Combine(Work, $"global-{stageIndex:D2}-{type}");
        Directory.CreateDirectory(dir);
        return dir;
    }

    string DonePath(int k, int p) => System.IO.Path.Combine(Work, "done", $"s{k}-p{p:D5}.json");

    /// <summary>Readies the directory for a fresh run or a resumed one (the one output-directory rule).</summary>
    public void Prepare(RunOptions options)
    {
        if (options.Resume && !OutputDirectory.IsEmpty(Path))
        {
            if (!Directory.Exists(Work))
                throw new RunSetupException($"{Path}: --resume found no interrupted run here (no {WorkDirName}/ directory)");
            OutputDirectory.Claim(Path, Kind);
        }
        else OutputDirectory.PrepareFresh(Path, Kind, options.Overwrite, options.Log,
            hint: "pass --overwrite to replace it or --resume to continue an interrupted run");
        Directory.CreateDirectory(Work);
    }

    /// <summary>A resumed run must be the same pipeline over the same partitions, or its output would mix two runs.</summary>
    public void CheckIdentity(Pipeline pipeline, List<string> partitions, List<string> inputs, RunOptions options)
    {
        string file = System.IO.Path.Combine(Work, "run.json");
        var identity = new Dictionary<string, object?>
        {
            ["config"] = pipeline.CanonicalJson,
            ["partitions"] = partitions,
            ["inputs"] = inputs,
            ["limit"] = options.Limit,
        };
        string json = JsonSerializer.Serialize(identity);
        if (options.Resume && File.Exists(file))
        {
            if (File.ReadAllText(file) != json)
                throw new RunSetupException($"{Path}: --resume refused: the pipeline, its input files, its plugins or --limit changed since the interrupted run");
            return;
        }
        File.WriteAllText(file, json);
    }

    /// <summary>The record of partition <paramref name="p"/> in segment <paramref name="k"/>, if an earlier attempt finished it.</summary>
    public PartitionRecord? Done(int k, int p)
    {
        string file = DonePath(k, p);
        return File.Exists(file) ? PartitionRecord.Read(file) : null;
    }

    /// <summary>Records a finished partition; written only after its shards were renamed into place.</summary>
    public void MarkDone(int k, int p, PartitionRecord record)
    {
        string file = DonePath(k, p);
        Directory.CreateDirectory(System.IO.Path.GetDirectoryName(file)!);
        record.Write(file);
    }

    string ResolvedPath(int k) => System.IO.Path.Combine(Work, "done", $"r{k}.json");

    /// <summary>The statistics of the global stage that ends segment <paramref name="k"/>, if its resolve step finished in another process.</summary>
    public StageStats? Resolved(int k)
    {
        string file = ResolvedPath(k);
        if (!File.Exists(file)) return null;
        using var doc = JsonDocument.Parse(File.ReadAllBytes(file));
        return StageStats.Read(doc.RootElement);
    }

    /// <summary>Records that the global stage ending segment <paramref name="k"/> resolved, with its statistics (for a run whose steps are separate processes).</summary>
    public void MarkResolved(int k, StageStats stats)
    {
        string file = ResolvedPath(k);
        Directory.CreateDirectory(System.IO.Path.GetDirectoryName(file)!);
        JsonFiles.WriteAtomic(file, w => stats.Write(w));
    }

    /// <summary>True when <c>run.json</c> exists (a run was prepared here).</summary>
    public bool HasIdentity => File.Exists(System.IO.Path.Combine(Work, "run.json"));

    /// <summary>
    /// Publishes a finished run: stats.json and manifest.json (each atomically), then <c>_SUCCESS</c>, then
    /// removes <c>_work/</c>. <c>_SUCCESS</c> comes first so that a kill during the clean-up leaves a finished run.
    /// </summary>
    public void Publish(RunStats stats, Manifest manifest)
    {
        stats.Write(Path);
        manifest.Write(Path);
        FaultPoints.At("run:manifest");
        File.WriteAllText(System.IO.Path.Combine(Path, OutputDirectory.SuccessFile), "");
        FaultPoints.At("run:success");
        Directory.Delete(Work, recursive: true);
    }

    /// <summary>A finished run as its files record it (a resume of a finished run; a kill during clean-up may have left <c>_work/</c>).</summary>
    public RunResult LoadFinished()
    {
        if (Directory.Exists(Work)) Directory.Delete(Work, recursive: true);
        var manifest = Manifest.Read(Path) ?? throw new InputException(System.IO.Path.Combine(Path, Manifest.FileName), "missing in a finished run");
        return new RunResult(Path, RunStats.Read(System.IO.Path.Combine(Path, RunStats.FileName)), manifest.Shards);
    }
}

/// <summary>What one partition produced in one segment: its stage counters, its shards and its output bytes.</summary>
internal sealed record PartitionRecord(List<StageStats> Stages, List<ShardInfo> Shards, long BytesOut)
{
    public void Write(string path) => JsonFiles.WriteAtomic(path, w =>
    {
        w.WriteStartObject();
        w.WriteNumber("bytes_out", BytesOut);
        w.WriteStartArray("stages");
        foreach (var s in Stages) s.Write(w);
        w.WriteEndArray();
        w.WriteStartArray("shards");
        foreach (var s in Shards) s.Write(w);
        w.WriteEndArray();
        w.WriteEndObject();
    });

    public static PartitionRecord Read(string path)
    {
        using var doc = JsonDocument.Parse(File.ReadAllBytes(path));
        var r = doc.RootElement;
        return new PartitionRecord(
            r.GetProperty("stages").EnumerateArray().Select(StageStats.Read).ToList(),
            r.GetProperty("shards").EnumerateArray().Select(ShardInfo.Read).ToList(),
            r.GetProperty("bytes_out").GetInt64());
    }
}
