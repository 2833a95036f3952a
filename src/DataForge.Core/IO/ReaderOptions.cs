using DataForge.Execution;
using DataForge.Stages;

namespace DataForge.IO;

/// <summary>Options every file reader has.</summary>
public class ReaderOptions
{
    [Option("Files or glob patterns (*, ?, ** for any depth), relative to the current directory.", Required = true)]
    public List<string> Paths { get; init; } = [];

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

    /// <summary>Path as written in ids and messages: relative to the working directory when inside it.</summary>
    protected string DisplayPath(string path)
    {
        string rel = Path.GetRelativePath(BaseDirectory, path);
        return rel.StartsWith("..", StringComparison.Ordinal) ? path : rel;
    }

    protected IReadOnlyList<string> Files() => InputFiles.Expand(Options.Paths, BaseDirectory);

    /// <summary>The input files this reader covers (for the identity of a resumable run).</summary>
    public IReadOnlyList<string> ExpandFiles() => Files();

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
