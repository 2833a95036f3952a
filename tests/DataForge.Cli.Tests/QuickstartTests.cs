using System.Diagnostics;
using System.IO.Compression;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using DataForge.Execution;
using DataForge.IO;
using DataForge.Tests;
using DataForge.Tokenization;

namespace DataForge.Cli.Tests;

/// <summary>
/// Runs the README's first command (the quickstart workflow) on a trimmed copy of the samples, in a
/// separate process whose working directory is a temporary copy of pipelines/ and samples/, and checks
/// every artefact it promises.
/// </summary>
public class QuickstartTests
{
    [Fact]
    public void Quickstart_on_trimmed_samples_produces_every_artefact()
    {
        using var dir = new TempDir();
        string root = CliTests.RepoRoot;
        CopyTree(Path.Combine(root, "pipelines"), dir["pipelines"]);
        CopyTree(Path.Combine(root, "samples"), dir["samples"]);
        CopyTree(Path.Combine(root, "schemas"), dir["schemas"]);
        TrimJsonlGz(dir["samples/en/web.jsonl.gz"], 250);
        TrimJsonlGz(dir["samples/zh/web.jsonl.gz"], 120);
        Patch(dir["pipelines/synth.json"], j =>
        {
            foreach (var s in j["input"]!.AsArray())
                if (s!["count"] is not null) s["count"] = 300;
        });
        Patch(dir["pipelines/quickstart-mix.json"], j =>
        {
            j["phases"]![0]!["tokens"] = 30000;
            j["phases"]![1]!["tokens"] = 6000;
        });
        Patch(dir["pipelines/quickstart-train.json"], j =>
        {
            j["steps"] = 24;
            j["schedule"]!["warmup_steps"] = 4;
            j["schedule"]!["decay_start"] = 20;
            j["schedule"]!["half_life"] = 2;
            j["batch"]!["double_at_steps"] = new JsonArray(12);
            j["phases"]![0]!["until_step"] = 20;
            j["eval"]!["every"] = 12;
            j["eval"]!["log_every"] = 2;
            j["eval"]!["checkpoint_every"] = 12;
        });

        var (code, stdout, stderr) = RunDataforge(dir.Path, "run", "pipelines/quickstart.json");
        Assert.True(code == 0, $"quickstart failed ({code}):\n{stdout}\n{stderr}");
        Assert.Contains("12 steps done", stdout, StringComparison.Ordinal);
        Assert.DoesNotContain("(missing)", stdout, StringComparison.Ordinal);
        string q = dir["out/quickstart"];

        // Curated corpora: stats balance, shards readable and as many rows as the manifest says.
        foreach (var name in new[] { "en", "zh", "code", "synth" })
        {
            string d = Path.Combine(q, name);
            var stats = RunStats.Read(Path.Combine(d, "stats.json"));
            Assert.True(stats.Balanced, $"{name}: accounting does not balance");
            Assert.True(File.Exists(Path.Combine(d, "_SUCCESS")), name);
            long rows = Directory.GetFiles(d, "part-*").Sum(f => ShardFiles.Read(f).Sum(b => (long)b.Length));
            Assert.Equal(stats.DocumentsOut, rows);
            Assert.True(rows > 0, $"{name}: no documents out");
        }
        Assert.Contains(RunStats.Read(Path.Combine(q, "en", "stats.json")).Stages, s => s.Type == "quality_score" && s.Histograms.ContainsKey("quality"));

        // Tokenizer: loads and round-trips English and Chinese.
        var tok = TextTokenizer.Load(Path.Combine(q, "tokenizer"));
        const string probe = "The quick brown fox 数据清洗 → 42.";
        Assert.Equal(probe, tok.Decode(tok.Encode(probe)));

        // Token shards: sizes agree with tokens.json; every phase in the report.
        foreach (var phase in new[] { "stable", "decay" })
        {
            using var meta = JsonDocument.Parse(File.ReadAllBytes(Path.Combine(q, "tokens", phase, "tokens.json")));
            long trainTokens = meta.RootElement.GetProperty("train_tokens").GetInt64();
            Assert.True(trainTokens > 0);
            Assert.Equal(trainTokens * 2, new FileInfo(Path.Combine(q, "tokens", phase, "train.bin")).Length);
        }
        using (var mix = JsonDocument.Parse(File.ReadAllBytes(Path.Combine(q, "tokens", "mix_report.json"))))
            Assert.Equal(2, mix.RootElement.GetProperty("phases").GetArrayLength());

        // Training run: metrics, the exported model parsed as the safetensors layout of docs/reference.md#safetensors, samples.
        var metrics = File.ReadAllLines(Path.Combine(q, "run", "metrics.jsonl"));
        Assert.Contains(metrics, l => l.Contains("\"val_loss\"", StringComparison.Ordinal));
        var tensors = ReadSafetensorsHeader(Path.Combine(q, "run", "final", "model.safetensors"));
        Assert.Contains(tensors, t => t.Contains("embed", StringComparison.Ordinal));
        Assert.True(File.Exists(Path.Combine(q, "run", "final", "config.json")));
        Assert.NotEmpty(File.ReadAllText(Path.Combine(q, "run", "samples.txt")).Trim());

        // Evaluation: every task of pipelines/quickstart-tasks.json has results, and the model its edge metrics.
        using (var eval = JsonDocument.Parse(File.ReadAllBytes(Path.Combine(q, "run", "eval", "eval.json"))))
        {
            var names = eval.RootElement.GetProperty("tasks").EnumerateArray().Select(t => t.GetProperty("name").GetString()).Distinct().ToList();
            Assert.Equal(["heldout-prose", "idiom-cloze", "math"], names);
            Assert.All(eval.RootElement.GetProperty("tasks").EnumerateArray(), t => Assert.True(t.GetProperty("n").GetInt64() > 0, t.ToString()));
            Assert.True(eval.RootElement.GetProperty("edge").GetProperty("parameters").GetInt64() > 0);
        }

        // The GGUF export: a llama.cpp file with the model's tokenizer inside.
        var gguf = DataForge.Deploy.GgufFile.Read(Path.Combine(q, "model-q8_0.gguf"));
        Assert.Equal("qwen2", gguf["general.architecture"].Value);
        Assert.Equal("llama-bpe", gguf["tokenizer.ggml.pre"].Value);

        // The report has every section of every run.
        string html = File.ReadAllText(Path.Combine(q, "report.html"));
        foreach (var id in new[] { "en-summary", "en-funnel", "en-drops", "en-quality", "en-dedup", "en-lengths", "zh-funnel", "code-funnel",
                     "synth-funnel", "tokens-mixture", "run-training", "run-loss", "run-lr", "run-throughput" })
            Assert.Contains($"<section id=\"{id}\">", html, StringComparison.Ordinal);
    }

    /// <summary>safetensors (docs/reference.md#safetensors): u64 header length, JSON header, data; checks every tensor's offsets lie in the data.</summary>
    static List<string> ReadSafetensorsHeader(string path)
    {
        using var f = File.OpenRead(path);
        var lenBytes = new byte[8];
        f.ReadExactly(lenBytes);
        long n = BitConverter.ToInt64(lenBytes);
        Assert.True(n % 8 == 0 && n > 0 && n < f.Length);
        var header = new byte[n];
        f.ReadExactly(header);
        long dataLength = f.Length - 8 - n;
        using var doc = JsonDocument.Parse(header);
        var names = new List<string>();
        foreach (var p in doc.RootElement.EnumerateObject())
        {
            if (p.Name == "__metadata__") continue;
            var off = p.Value.GetProperty("data_offsets");
            long begin = off[0].GetInt64(), end = off[1].GetInt64();
            long elems = p.Value.GetProperty("shape").EnumerateArray().Aggregate(1L, (a, d) => a * d.GetInt64());
            int size = p.Value.GetProperty("dtype").GetString() switch { "F32" => 4, "BF16" or "F16" => 2, var d => throw new InvalidDataException(d) };
            Assert.Equal(elems * size, end - begin);
            Assert.True(end <= dataLength, $"{p.Name}: data past the end of the file");
            names.Add(p.Name);
        }
        return names;
    }

    static (int Code, string Out, string Err) RunDataforge(string workingDirectory, params string[] args)
        => ChildProcess.Run(args, workingDirectory: workingDirectory, timeout: TimeSpan.FromMinutes(8));

    static void CopyTree(string from, string to)
    {
        foreach (var f in Directory.GetFiles(from, "*", SearchOption.AllDirectories))
        {
            string dest = Path.Combine(to, Path.GetRelativePath(from, f));
            Directory.CreateDirectory(Path.GetDirectoryName(dest)!);
            File.Copy(f, dest);
        }
    }

    static void TrimJsonlGz(string path, int lines)
    {
        List<string> kept;
        using (var r = new StreamReader(new GZipStream(File.OpenRead(path), CompressionMode.Decompress), Encoding.UTF8))
        {
            kept = [];
            while (kept.Count < lines && r.ReadLine() is { } l) kept.Add(l);
        }
        using var w = new StreamWriter(new GZipStream(File.Create(path), CompressionLevel.Fastest), new UTF8Encoding(false));
        foreach (var l in kept) w.Write(l + "\n");
    }

    static void Patch(string path, Action<JsonNode> edit)
    {
        var node = JsonNode.Parse(File.ReadAllText(path))!;
        edit(node);
        File.WriteAllText(path, node.ToJsonString(new JsonSerializerOptions { WriteIndented = true }));
    }
}
