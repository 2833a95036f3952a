using DataForge.Execution;
using DataForge.Stages;
using DataForge.Configuration;

namespace DataForge.IO;

/// <summary>Options every file reader has.</summary>
public class ReaderOptions
{
    [Option("Files or glob patterns (*, ?, ** for any depth), relative to the current directory.", Required = true)]
    public List<string> Paths { get; init; } = [];

    [Option("Follow symbolic links to directories while expanding globs (each directory and file is still read once; loops end).")]
    public bool FollowSymlinks { get; init; }

    [Option("Value of the source column for these documents; default: the file name without extensions.")]
    public string? Source { get; init; }

    [Option("Overrides the pipeline's on_error for this reader: \"fail\" or \"skip\".", AllowedValues = ["fail", "skip"])]
    public string? OnError { get; init; }
}

/// <summary>Shared planning helpers for file readers.</summary>
public abstract class FileSourceStage(ReaderOptions options, StageInit init) : SourceStage(init)
{
    protected ReaderOptions Options { get; } = options;
    protected string BaseDirectory { get; } = init.BaseDirectory;

    /// <summary>The source column value for a file.</summary>
    protected string SourceName(string path) => Options.Source ?? InputFiles.Stem(path);

    Expansion? _expansion;
    sealed record Expansion(List<string> Paths, Dictionary<string, string> Display);

    /// <summary>
    /// Path as ids and messages name it: as the pipeline gave it (relative when its pattern was relative,
    /// absolute when absolute), so locations do not depend on the working directory.
    /// </summary>
    protected string DisplayPath(string path) => Expand().Display.TryGetValue(path, out var d) ? d : path;

    /// <summary>The input files, expanded once (planning and every partition read see the same list).</summary>
    Expansion Expand()
    {
        if (Volatile.Read(ref _expansion) is { } e) return e;
        var inputs = InputFiles.ExpandInputs(Options.Paths, BaseDirectory, Options.FollowSymlinks);
        var fresh = new Expansion(inputs.Select(f => f.Path).ToList(), inputs.ToDictionary(f => f.Path, f => f.Display, StringComparer.Ordinal));
        return Interlocked.CompareExchange(ref _expansion, fresh, null) ?? fresh;
    }

    protected IReadOnlyList<string> Files() => Expand().Paths;

    /// <summary>The input files this reader covers (for the identity of a resumable run).</summary>
    public IReadOnlyList<string> ExpandFiles() => Files();

    /// <summary>What the reader reads from, by JSON path: each pattern as written and the path it is walked from.</summary>
    public IEnumerable<(int Index, string Pattern, string Root)> InputRoots()
        => Options.Paths.Select((p, i) => (i, p, InputFiles.GlobRoot(Path.GetFullPath(Path.Combine(BaseDirectory, p)))));

    /// <summary>This reader's own on_error, if set.</summary>
    public string? OnErrorOverride => Options.OnError;

    /// <summary>One partition per file, or byte ranges for large uncompressed files when <paramref name="splittable"/>.</summary>
    protected IReadOnlyList<PartitionSpec> PlanByFile(PlanContext ctx, bool splittable)
    {
        var parts = new List<PartitionSpec>();
        foreach (var f in Files())
        {
            long len = new FileInfo(f).Length;
            if (splittable && InputFiles.DetectCompression(f) == Compression.None && len > ctx.PartitionBytes)
            {
                long n = (len + ctx.PartitionBytes - 1) / ctx.PartitionBytes;
                long size = (len + n - 1) / n;
                for (long s = 0; s < len; s += size)
                    parts.Add(new PartitionSpec($"{DisplayPath(f)}[{s}..{Math.Min(len, s + size)})", f, s, Math.Min(len, s + size)));
            }
            else parts.Add(new PartitionSpec(DisplayPath(f), f, 0, len));
        }
        return parts;
    }
}
