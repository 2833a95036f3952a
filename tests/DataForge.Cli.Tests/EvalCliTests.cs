using System.Text.Json;
using DataForge.Training;

namespace DataForge.Tests;

public class EvalCliTests
{
    [Fact]
    public void Eval_writes_task_results_and_edge_metrics_for_a_trained_model()
    {
        using var dir = new TempDir();
        var (trained, _, trainErr) = CliTests.Cli("train", TrainCliTests.TinyTrain(dir, dir["run"], steps: 4));
        Assert.True(trained == 0, trainErr);
        dir.Write("bytes/" + ByteCodec.ConfigFile, "{}");
        dir.Write("held.jsonl", "{\"text\": \"a small corpus for a tiny model.\"}\n");
        dir.Write("mc.jsonl", "{\"ctx\": \"a small\", \"endings\": [\" corpus\", \" zebra\"], \"label\": 0}\n{\"ctx\": \"a tiny\", \"endings\": [\" planet\", \" model\"], \"label\": \"1\"}\n");
        dir.Write("math.jsonl", "{\"meta\": {\"prompt\": \"What is 2 + 3?\", \"answer\": \"5\"}}\n");
        string tasks = dir.Write("tasks.json", """
            { "$schema": "../schemas/tasks.schema.json", "name": "mini",
              "tasks": [ { "name": "held", "kind": "perplexity", "data": ["held.jsonl"] },
                         { "name": "mc", "kind": "multiple_choice", "data": ["mc.jsonl"], "format": "hellaswag" },
                         { "name": "math", "kind": "generate", "data": ["math.jsonl"], "format": "math_generate", "extract": "last_number", "match": "numeric", "max_tokens": 4 } ] }
            """);
        var (vcode, vout, verr) = CliTests.Cli("validate", tasks);
        Assert.True(vcode == 0, verr);
        Assert.Contains("tasks 'mini'", vout);

        var (code, output, err) = CliTests.Cli("eval", "--model", dir["run/final"], "--tasks", tasks, "--tokenizer", dir["bytes"]);
        Assert.True(code == 0, err);
        Assert.Contains("edge:", output);
        using var doc = JsonDocument.Parse(File.ReadAllBytes(dir["run/eval/eval.json"]));
        var root = doc.RootElement;
        Assert.Equal("run", root.GetProperty("model_name").GetString());
        var metrics = root.GetProperty("tasks").EnumerateArray().Select(t => $"{t.GetProperty("name").GetString()}/{t.GetProperty("metric").GetString()}").ToList();
        Assert.Equal(["held/loss", "held/perplexity", "held/bits_per_byte", "mc/acc", "mc/acc_norm", "math/exact_match"], metrics);
        var edge = root.GetProperty("edge");
        Assert.True(edge.GetProperty("parameters").GetInt64() > 0);
        Assert.Equal(new FileInfo(dir["run/final/model.safetensors"]).Length, edge.GetProperty("bytes").GetInt64());
        Assert.True(edge.GetProperty("peak_rss_mb").GetDouble() > 0);
        Assert.True(edge.GetProperty("decode_tokens_per_s").GetDouble() > 0);

        // --limit and --out.
        var (lcode, _, lerr) = CliTests.Cli("eval", "--model", dir["run/final"], "--tasks", tasks, "--tokenizer", dir["bytes"], "--limit", "1", "--out", dir["lim"]);
        Assert.True(lcode == 0, lerr);
        using var lim = JsonDocument.Parse(File.ReadAllBytes(dir["lim/eval.json"]));
        Assert.Equal(1, lim.RootElement.GetProperty("tasks").EnumerateArray().First(t => t.GetProperty("name").GetString() == "mc").GetProperty("n").GetInt32());

        // --threads 1: the same scores, and libtorch's thread count is restored afterwards.
        int before = TorchSharp.torch.get_num_threads();
        var (tcode, _, terr) = CliTests.Cli("eval", "--model", dir["run/final"], "--tasks", tasks, "--tokenizer", dir["bytes"], "--threads", "1", "--out", dir["one"]);
        Assert.True(tcode == 0, terr);
        Assert.Equal(before, TorchSharp.torch.get_num_threads());
        using var one = JsonDocument.Parse(File.ReadAllBytes(dir["one/eval.json"]));
        static Dictionary<string, double> Values(JsonElement r) => r.GetProperty("tasks").EnumerateArray()
            .ToDictionary(t => $"{t.GetProperty("name").GetString()}/{t.GetProperty("metric").GetString()}", t => t.GetProperty("value").GetDouble());
        var a = Values(root);
        var b = Values(one.RootElement);
        Assert.Equal(a.Keys, b.Keys);
        foreach (var k in a.Keys) Assert.True(Math.Abs(a[k] - b[k]) <= 1e-4 * Math.Max(1, Math.Abs(a[k])), $"{k}: {a[k]} vs {b[k]}");
        var (ncode, _, nerr) = CliTests.Cli("eval", "--model", dir["run/final"], "--tasks", tasks, "--threads", "-1");
        Assert.Equal(2, ncode);
        Assert.Contains("--threads must be >= 0", nerr);
    }

    [Fact]
    public void A_bad_tasks_file_is_a_usage_error_naming_the_json_path()
    {
        using var dir = new TempDir();
        string tasks = dir.Write("tasks.json", "{ \"tasks\": [ { \"name\": \"x\", \"kind\": \"generate\", \"data\": [\"d.jsonl\"], \"match\": \"fuzzy\" } ] }");
        var (code, _, err) = CliTests.Cli("validate", tasks);
        Assert.Equal(2, code);
        Assert.Contains("$.tasks[0].match", err);
    }
}
