using System.Text;
using DataForge.Execution;
using DataForge.Pipelines;
using DataForge.Stages;

namespace DataForge.Tests;

/// <summary>A temporary directory removed after the test.</summary>
public sealed class TempDir : IDisposable
{
    public string Path { get; } = System.IO.Path.Combine(System.IO.Path.GetTempPath(), "dataforge-tests", Guid.NewGuid().ToString("N"));

    public TempDir() => Directory.CreateDirectory(Path);

    public string this[string name] => System.IO.Path.Combine(Path, name);

    public string Write(string name, string content)
    {
        string p = this[name];
        Directory.CreateDirectory(System.IO.Path.GetDirectoryName(p)!);
        File.WriteAllText(p, content, new UTF8Encoding(false));
        return p;
    }

    public string Write(string name, byte[] content)
    {
        string p = this[name];
        Directory.CreateDirectory(System.IO.Path.GetDirectoryName(p)!);
        File.WriteAllBytes(p, content);
        return p;
    }

    public void Dispose()
    {
        try { Directory.Delete(Path, recursive: true); } catch (IOException) { }
    }
}

public static class Runs
{
    public static StageRegistry Registry { get; } = StageRegistry.Core.With(typeof(Runs).Assembly);

    public static Pipeline Parse(string json, string file = "test.json")
        => Pipeline.Parse(Encoding.UTF8.GetBytes(json), file, Registry);

    public static RunResult Run(string json, int workers = 1, bool resume = false, long? limit = null)
    {
        var p = Parse(json);
        var r = PipelineRunner.Run(p, new RunOptions { Workers = workers, Resume = resume, Overwrite = !resume, Limit = limit });
        Assert.True(r.Stats.Balanced, "accounting must balance");
        return r;
    }

    /// <summary>
    /// Pipeline JSON for tests: one reader over <paramref name="input"/>, the given stages (JSON objects,
    /// comma-separated), and a sink writing to <paramref name="output"/>.
    /// </summary>
    public static string PipelineJson(string input, string output, string stages = "", string settings = "\"partition_bytes\": 65536",
        string reader = "\"type\": \"jsonl\"", string sink = "\"type\": \"jsonl\"")
        => $$"""{ {{settings}}, "input": [{ {{reader}}, "paths": [{{J(input)}}] }], "stages": [{{stages}}], "output": { {{sink}}, "path": {{J(output)}} } }""";

    /// <summary>JSON string literal for embedding paths in pipeline text.</summary>
    public static string J(string s) => System.Text.Json.JsonSerializer.Serialize(s);

    /// <summary>Every shard's bytes, by file name.</summary>
    public static SortedDictionary<string, byte[]> Shards(string dir)
    {
        var d = new SortedDictionary<string, byte[]>(StringComparer.Ordinal);
        foreach (var f in Directory.EnumerateFiles(dir, "part-*")) d[System.IO.Path.GetFileName(f)] = File.ReadAllBytes(f);
        return d;
    }

    /// <summary>Reads all documents of an output directory in shard order: (id, text).</summary>
    public static List<(string Id, string Text)> ReadDocs(string dir)
    {
        var list = new List<(string, string)>();
        foreach (var f in Directory.EnumerateFiles(dir, "part-*").Order(StringComparer.Ordinal))
            foreach (var b in DataForge.IO.ShardFiles.Read(f))
                for (int i = 0; i < b.Length; i++) list.Add((b.Id.GetString(i), b.Text.GetString(i)));
        return list;
    }

    /// <summary>Writes n JSONL documents with varied lengths and ids d0..d(n-1).</summary>
    public static string WriteCorpus(TempDir dir, string name, int n, int seed = 1)
    {
        var rng = new Random(seed);
        string[] words = ["the", "data", "model", "river", "quick", "fox", "token", "corpus", "filter", "and", "of", "with", "to", "café", "naïve", "数据", "模型"];
        var sb = new StringBuilder();
        for (int i = 0; i < n; i++)
        {
            int len = rng.Next(1, 120);
            var t = new StringBuilder();
            for (int w = 0; w < len; w++)
            {
                t.Append(words[rng.Next(words.Length)]);
                t.Append(rng.Next(15) == 0 ? "\n" : rng.Next(30) == 0 ? "  " : " ");
            }
            sb.Append(System.Text.Json.JsonSerializer.Serialize(new { id = $"d{i}", text = t.ToString(), url = $"https://example.org/{i % 50}/{i}", score = i % 7 }));
            sb.Append('\n');
        }
        return dir.Write(name, sb.ToString());
    }
}
