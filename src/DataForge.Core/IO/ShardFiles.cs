using DataForge.Documents;
using DataForge.Execution;
using DataForge.Pipelines;
using DataForge.Stages;

namespace DataForge.IO;

/// <summary>Reads any shard DataForge writes (jsonl[.gz|.zst], parquet, arrow), picking the reader by extension.</summary>
public static class ShardFiles
{
    public static bool IsShard(string path)
    {
        string n = Path.GetFileName(path);
        return n.EndsWith(".parquet", StringComparison.Ordinal) || n.EndsWith(".arrow", StringComparison.Ordinal)
            || n.Contains(".jsonl", StringComparison.Ordinal);
    }

    /// <summary>JSON Lines by name: .jsonl or .json, optionally compressed, any case.</summary>
    public static bool IsJsonl(string path)
    {
        string name = InputFiles.WithoutCompression(path);
        return name.EndsWith(".jsonl", StringComparison.OrdinalIgnoreCase) || name.EndsWith(".json", StringComparison.OrdinalIgnoreCase);
    }

    public static SourceStage ReaderFor(string path)
    {
        var init = new StageInit { Name = "inspect", Type = "inspect", BaseDirectory = Path.GetDirectoryName(Path.GetFullPath(path))! };
        var paths = new List<string> { Path.GetFullPath(path) };
        string n = Path.GetFileName(path);
        if (n.EndsWith(".parquet", StringComparison.Ordinal)) return new ParquetSource(new TableReaderOptions { Paths = paths }, init);
        if (n.EndsWith(".arrow", StringComparison.Ordinal)) return new ArrowSource(new TableReaderOptions { Paths = paths }, init);
        if (n.Contains(".jsonl", StringComparison.Ordinal) || IsJsonl(path))
            return new JsonlSource(new JsonlReaderOptions { Paths = paths }, init);
        throw new InputException($"{path}: unknown shard format; expected .parquet, .arrow or .jsonl[.gz|.zst]");
    }

    /// <summary>Every batch of a shard file, in order.</summary>
    public static IEnumerable<DocumentBatch> Read(string path)
    {
        var reader = ReaderFor(path);
        var settings = new PipelineSettings();
        var ctx = new SourceContext
        {
            Stats = new StageStats { Name = "inspect", Type = "inspect" },
            Settings = settings,
            Partition = 0,
            OnError = "fail",
        };
        foreach (var part in reader.Plan(new PlanContext { Settings = settings with { PartitionBytes = long.MaxValue } }))
            foreach (var b in reader.Read(part, ctx))
                yield return b;
    }
}
