using System.IO.Compression;
using System.Text.Json;

namespace DataForge.Tests.Synth;

static class SynthTestData
{
    /// <summary>The repository root (the directory holding DataForge.sln).</summary>
    public static string Root
    {
        get
        {
            for (var d = new DirectoryInfo(AppContext.BaseDirectory); d is not null; d = d.Parent)
                if (File.Exists(Path.Combine(d.FullName, "DataForge.sln"))) return d.FullName;
            throw new InvalidOperationException("repository root not found");
        }
    }

    public static string Sample(string rel) => Path.Combine(Root, "samples", rel);

    /// <summary>(id, text) of a JSONL(.gz) file.</summary>
    public static List<(string Id, string Text)> ReadJsonl(string path)
    {
        using var s = path.EndsWith(".gz", StringComparison.Ordinal) ? (Stream)new GZipStream(File.OpenRead(path), CompressionMode.Decompress) : File.OpenRead(path);
        using var r = new StreamReader(s);
        var list = new List<(string, string)>();
        while (r.ReadLine() is { } line)
        {
            if (line.Length == 0) continue;
            var e = JsonDocument.Parse(line).RootElement;
            list.Add((e.GetProperty("id").GetString()!, e.GetProperty("text").GetString()!));
        }
        return list;
    }

    /// <summary>The meta object of an output document (the JSONL sink writes it inline; a string is parsed).</summary>
    public static JsonElement Meta(JsonElement doc)
    {
        var m = doc.GetProperty("meta");
        return m.ValueKind == JsonValueKind.String ? JsonDocument.Parse(m.GetString()!).RootElement.Clone() : m;
    }

    /// <summary>Every output document (id, text, source, meta) of an output directory written as JSONL.</summary>
    public static List<JsonElement> ReadOutput(string dir)
    {
        var list = new List<JsonElement>();
        foreach (var f in Directory.EnumerateFiles(dir, "part-*").Order(StringComparer.Ordinal))
        {
            using var s = f.EndsWith(".gz", StringComparison.Ordinal) ? (Stream)new GZipStream(File.OpenRead(f), CompressionMode.Decompress) : File.OpenRead(f);
            using var r = new StreamReader(s);
            while (r.ReadLine() is { } line) if (line.Length > 0) list.Add(JsonDocument.Parse(line).RootElement.Clone());
        }
        return list;
    }
}
