using System.Text.Json;

namespace DataForge.Tests;

public class ExportCliTests
{
    /// <summary>tokenizer train (llama.cpp-compatible pattern), tokens, a tiny Llama-style model; returns the run's final/.</summary>
    static string TrainModel(TempDir dir, string pattern)
    {
        string text = string.Concat(Enumerable.Repeat("the model reads a corpus of clean text and learns to predict tokens. 模型读取文本。 x = 42; ", 60));
        dir.Write("corpus.jsonl", JsonSerializer.Serialize(new { text }) + "\n");
        var (tc, _, te) = CliTests.Cli("tokenizer", "train", "--input", dir["corpus.jsonl"], "--vocab-size", "320", "--out", dir["tok"], "--pattern", pattern);
        Assert.True(tc == 0, te);
        var tok = DataForge.Tokenization.TextTokenizer.Load(dir["tok"]);
        string data = TokenDirs.Write(dir["data"], tok.Encode(text).Append(tok.EndOfTextId).ToArray(), dir["tok"], tok.VocabSize, tok.EndOfTextId);
        string cfg = dir.Write("train.json", $$"""
        {"output": {{JsonSerializer.Serialize(dir["run"])}}, "steps": 20, "threads": 1,
         "model": {"context_length": 32, "n_layers": 1, "d_model": 64, "n_heads": 2, "mlp": "swiglu", "qkv_bias": true},
         "optimizer": {"lr": 0.01}, "schedule": {"warmup_steps": 3},
         "batch": {"micro_batch": 8}, "phases": [{"name": "all", "sources": [{"path": {{JsonSerializer.Serialize(data)}}}]}],
         "eval": {"every": 0, "batches": 1, "sample_prompts": []}
        }
        """);
        var (code, _, err) = CliTests.Cli("train", cfg);
        Assert.True(code == 0, err);
        return dir["run/final"];
    }

    [Fact]
    public void Export_gguf_and_evaluate_it_with_the_same_tasks()
    {
        using var dir = new TempDir();
        string final = TrainModel(dir, "gpt4");
        foreach (var f in new[] { "tokenizer.json", "tokenizer_config.json", "generation_config.json", "config.json", "model.safetensors" })
            Assert.True(File.Exists(Path.Combine(final, f)), f);
        File.Delete(Path.Combine(final, "tokenizer.json"));
        var (hc, hout, herr) = CliTests.Cli("export", "--model", final, "--format", "hf");
        Assert.True(hc == 0, herr);
        Assert.Contains("tokenizer.json", hout);
        Assert.Equal(32, JsonDocument.Parse(File.ReadAllText(Path.Combine(final, "tokenizer_config.json"))).RootElement.GetProperty("model_max_length").GetInt32());

        var (code, output, err) = CliTests.Cli("export", "--model", final, "--format", "gguf", "--type", "q8_0", "--out", dir["model-q8_0.gguf"], "--threads", "1");
        Assert.True(code == 0, err);
        Assert.Contains("qwen2, q8_0", output);
        Assert.Contains("note: q8_0: tensors by type: q8_0", err);

        var (ic, iout, ierr) = CliTests.Cli("inspect", dir["model-q8_0.gguf"]);
        Assert.True(ic == 0, ierr);
        Assert.Contains("general.architecture = qwen2", iout);
        Assert.Contains("tokenizer.ggml.pre = llama-bpe", iout);
        Assert.Contains("blk.0.ffn_down.weight", iout);

        dir.Write("held.jsonl", "{\"text\": \"the model reads a corpus of clean text.\"}\n");
        string tasks = dir.Write("tasks.json", """{"tasks": [{"name": "held", "kind": "perplexity", "data": ["held.jsonl"]}]}""");
        var (ec, eout, eerr) = CliTests.Cli("eval", "--model", dir["model-q8_0.gguf"], "--tasks", tasks, "--threads", "1");
        Assert.True(ec == 0, eerr);
        Assert.Contains("edge:", eout);
        var report = JsonDocument.Parse(File.ReadAllText(dir["model-q8_0.eval/eval.json"])).RootElement;
        Assert.Equal("model-q8_0", report.GetProperty("model_name").GetString());
        double ppl = report.GetProperty("tasks").EnumerateArray().Single(t => t.GetProperty("metric").GetString() == "perplexity").GetProperty("value").GetDouble();
        Assert.InRange(ppl, 1.0, 50.0);
        Assert.Equal(new FileInfo(dir["model-q8_0.gguf"]).Length, report.GetProperty("edge").GetProperty("bytes").GetInt64());
    }

    [Fact]
    public void Export_explains_what_it_cannot_export()
    {
        using var dir = new TempDir();
        string final = TrainModel(dir, "default");
        var (code, _, err) = CliTests.Cli("export", "--model", final, "--format", "gguf", "--out", dir["m.gguf"]);
        Assert.Equal(1, code);
        Assert.Contains("--pattern gpt4", err);
        Assert.False(File.Exists(dir["m.gguf"]));
        var (ok, _, notes) = CliTests.Cli("export", "--model", final, "--format", "gguf", "--out", dir["m.gguf"], "--allow-pretokenizer-mismatch");
        Assert.True(ok == 0, notes);
        Assert.Contains("note:", notes);
        Assert.Equal(2, CliTests.Cli("export", "--model", final, "--format", "onnx").Code);
        Assert.Equal(2, CliTests.Cli("export", "--model", final, "--format", "gguf").Code);
        Assert.Equal(2, CliTests.Cli("export", "--model", final, "--format", "gguf", "--type", "q3", "--out", dir["x.gguf"]).Code);
    }
}
