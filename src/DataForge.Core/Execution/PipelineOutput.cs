using Apache.Arrow;
using DataForge.Documents;
using DataForge.IO;

namespace DataForge.Execution;

/// <summary>One document of a pipeline output: the core columns (null where a column is absent or null).</summary>
public sealed record Document(string Id, string Text, string? Source, string? Url, string? Lang, string? Meta);

/// <summary>
/// A finished pipeline output directory, read back: its <c>manifest.json</c>, its <c>stats.json</c> and its
/// documents, shard by shard in manifest order (the order the pipeline wrote them).
/// </summary>
public sealed class PipelineOutput
{
    PipelineOutput(string directory, Manifest manifest, RunStats stats)
    {
        Directory = directory;
        Manifest = manifest;
        Stats = stats;
    }

    /// <summary>The output directory (full path).</summary>
    public string Directory { get; }

    /// <summary>The shards with their rows, bytes and hashes.</summary>
    public Manifest Manifest { get; }

    /// <summary>Documents in and out, and per stage: in, out, dropped by reason, counters.</summary>
    public RunStats Stats { get; }

    /// <summary>
    /// Opens a finished output (one with <c>_SUCCESS</c>); throws <see cref="InputException"/> naming what is
    /// missing for an unfinished or foreign directory.
    /// </summary>
    public static PipelineOutput Open(string directory)
    {
        string dir = Path.GetFullPath(directory);
        if (!System.IO.Directory.Exists(dir)) throw new InputException(dir, "no such output directory");
        if (!File.Exists(Path.Combine(dir, OutputDirectory.SuccessFile)))
            throw new InputException(dir, $"not a finished pipeline output (no {OutputDirectory.SuccessFile}); run the pipeline, or finish it with --resume");
        var manifest = Manifest.Read(dir) ?? throw new InputException(dir, $"no {Manifest.FileName}");
        string statsPath = Path.Combine(dir, RunStats.FileName);
        if (!File.Exists(statsPath)) throw new InputException(dir, $"no {RunStats.FileName}; a mix output is read with the token-shard readers");
        return new PipelineOutput(dir, manifest, RunStats.Read(statsPath));
    }

    /// <summary>Every batch of every shard, in manifest order. Dispose each batch when done with it.</summary>
    public IEnumerable<DocumentBatch> ReadBatches()
    {
        foreach (var shard in Manifest.Shards)
            foreach (var batch in ShardFiles.Read(Path.Combine(Directory, shard.File)))
                yield return batch;
    }

    /// <summary>Every document, in manifest order.</summary>
    public IEnumerable<Document> ReadDocuments()
    {
        foreach (var batch in ReadBatches())
        {
            using (batch)
                for (int i = 0; i < batch.Length; i++)
                    yield return new Document(batch.Id.GetString(i), batch.Text.GetString(i),
                        Get(batch.Source, i), Get(batch.Url, i), Get(batch.Lang, i), Get(batch.Meta, i));
        }
    }

    static string? Get(StringArray column, int row) => column.IsNull(row) ? null : column.GetString(row);
}
