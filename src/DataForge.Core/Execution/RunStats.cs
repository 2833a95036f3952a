using System.Text.Json;

namespace DataForge.Execution;

/// <summary>The run as stats.json records it.</summary>
public sealed class RunStats
{
    public const string FileName = "stats.json";

    public required string Pipeline { get; init; }
    public long DocumentsIn { get; set; }
    public long DocumentsOut { get; set; }
    public long Dropped { get; set; }
    public long Rejected { get; set; }
    public long Added { get; set; }
    public long BytesIn { get; set; }
    public long BytesOut { get; set; }
    public int Partitions { get; set; }
    public int Workers { get; set; }
    public double Seconds { get; set; }
    public List<StageStats> Stages { get; } = [];

    /// <summary>Reads a <c>stats.json</c> written by <see cref="Write"/>.</summary>
    public static RunStats Read(string path)
    {
        using var doc = JsonDocument.Parse(File.ReadAllBytes(path));
        var r = doc.RootElement;
        var stats = new RunStats
        {
            Pipeline = r.GetProperty("pipeline").GetString() ?? "",
            DocumentsIn = r.GetProperty("documents_in").GetInt64(),
            DocumentsOut = r.GetProperty("documents_out").GetInt64(),
            Dropped = r.GetProperty("dropped").GetInt64(),
            Rejected = r.GetProperty("rejected").GetInt64(),
            Added = r.GetProperty("added").GetInt64(),
            BytesIn = r.GetProperty("bytes_in").GetInt64(),
            BytesOut = r.GetProperty("bytes_out").GetInt64(),
            Partitions = r.GetProperty("partitions").GetInt32(),
            Workers = r.GetProperty("workers").GetInt32(),
            Seconds = r.GetProperty("seconds").GetDouble(),
        };
        foreach (var s in r.GetProperty("stages").EnumerateArray()) stats.Stages.Add(StageStats.Read(s));
        return stats;
    }

    /// <summary>Every document that entered is counted once as kept, dropped or rejected (expansions add documents).</summary>
    public bool Balanced => DocumentsIn + Added == DocumentsOut + Dropped + Rejected;

    /// <summary>Writes <c>DIR/stats.json</c> atomically.</summary>
    public void Write(string directory) => JsonFiles.WriteAtomic(Path.Combine(directory, FileName), Write);

    public void Write(Utf8JsonWriter w)
    {
        w.WriteStartObject();
        w.WriteString("pipeline", Pipeline);
        w.WriteNumber("documents_in", DocumentsIn);
        w.WriteNumber("documents_out", DocumentsOut);
        w.WriteNumber("dropped", Dropped);
        w.WriteNumber("rejected", Rejected);
        w.WriteNumber("added", Added);
        w.WriteNumber("bytes_in", BytesIn);
        w.WriteNumber("bytes_out", BytesOut);
        w.WriteNumber("partitions", Partitions);
        w.WriteNumber("workers", Workers);
        w.WriteNumber("seconds", Math.Round(Seconds, 3));
        w.WriteStartArray("stages");
        foreach (var s in Stages) s.Write(w);
        w.WriteEndArray();
        w.WriteEndObject();
    }
}
