using System.Text.Json;

namespace DataForge.Execution;

/// <summary>One output file, as recorded in manifest.json.</summary>
public sealed record ShardInfo(string File, long Rows, long Bytes, string XxHash64)
{
    public void Write(Utf8JsonWriter w)
    {
        w.WriteStartObject();
        w.WriteString("file", File);
        w.WriteNumber("rows", Rows);
        w.WriteNumber("bytes", Bytes);
        w.WriteString("xxhash64", XxHash64);
        w.WriteEndObject();
    }

    public static ShardInfo Read(JsonElement e)
        => new(e.GetProperty("file").GetString()!, e.GetProperty("rows").GetInt64(), e.GetProperty("bytes").GetInt64(), e.GetProperty("xxhash64").GetString()!);
}

/// <summary>
/// <c>manifest.json</c> of a pipeline output: the pipeline's name, the shard format, and every shard with
/// its rows, bytes and xxhash64, in input order. Read and written only here.
/// </summary>
public sealed record Manifest(string Pipeline, string Format, IReadOnlyList<ShardInfo> Shards)
{
    public const string FileName = "manifest.json";

    public long Rows => Shards.Sum(s => s.Rows);

    /// <summary>Writes <c>DIR/manifest.json</c> atomically.</summary>
    public void Write(string directory) => JsonFiles.WriteAtomic(Path.Combine(directory, FileName), w =>
    {
        w.WriteStartObject();
        w.WriteString("pipeline", Pipeline);
        w.WriteString("format", Format);
        w.WriteNumber("rows", Rows);
        w.WriteStartArray("shards");
        foreach (var s in Shards) s.Write(w);
        w.WriteEndArray();
        w.WriteEndObject();
    });

    /// <summary>Reads <c>DIR/manifest.json</c>, or returns null when the directory has none.</summary>
    public static Manifest? Read(string directory)
    {
        string path = Path.Combine(directory, FileName);
        if (!File.Exists(path)) return null;
        try
        {
            using var doc = JsonDocument.Parse(File.ReadAllBytes(path));
            var r = doc.RootElement;
            return new Manifest(r.GetProperty("pipeline").GetString() ?? "", r.GetProperty("format").GetString() ?? "",
                r.GetProperty("shards").EnumerateArray().Select(ShardInfo.Read).ToList());
        }
        catch (Exception ex) when (ex is JsonException or KeyNotFoundException or InvalidOperationException)
        {
            throw new InputException(path, $"not a DataForge manifest ({ex.Message})", ex);
        }
    }
}

/// <summary>JSON files written so that a reader sees the old file or the whole new one, never a part.</summary>
internal static class JsonFiles
{
    static readonly JsonWriterOptions Indented = new() { Indented = true };

    /// <summary>Writes JSON to a temporary file beside <paramref name="path"/>, then renames it into place.</summary>
    public static void WriteAtomic(string path, Action<Utf8JsonWriter> write)
    {
        string tmp = Path.Combine(Path.GetDirectoryName(path)!, "." + Path.GetFileName(path) + ".tmp");
        using (var fs = File.Create(tmp))
        using (var w = new Utf8JsonWriter(fs, Indented))
            write(w);
        File.Move(tmp, path, overwrite: true);
    }
}
