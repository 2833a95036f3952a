using System.Text;
using DataForge.Tests;
using DataForge.Training;

namespace DataForge.Training.Tests;

/// <summary>Small token directories (bytes as tokens, end-of-text 256) and tiny TRAIN configs.</summary>
static class Fixtures
{
    public const int Eot = 256;
    public const int Vocab = 257;

    public static string TokenDir(TempDir dir, string name, string trainText, string? valText = null)
    {
        string d = dir[name];
        Directory.CreateDirectory(d);
        WriteBin(Path.Combine(d, "train.bin"), trainText);
        WriteBin(Path.Combine(d, "val.bin"), valText ?? trainText);
        File.WriteAllText(Path.Combine(d, "tokens.json"), $"{{\"tokenizer\": null, \"vocab_size\": {Vocab}, \"eot_id\": {Eot}, \"dtype\": \"uint16\"}}\n");
        return d;
    }

    static void WriteBin(string path, string text)
    {
        var bytes = Encoding.UTF8.GetBytes(text);
        using var f = File.Create(path);
        foreach (var b in bytes) { f.WriteByte(b); f.WriteByte(0); }
        f.WriteByte(Eot & 0xff); f.WriteByte(Eot >> 8);
    }

    public static TrainOptions Tiny(string output, string data, int steps = 20, string precision = "fp32", double dropout = 0)
    {
        string json = $$"""
        {
          "output": {{Json(output)}},
          "steps": {{steps}},
          "threads": 1,
          "precision": "{{precision}}",
          "model": {"context_length": 32, "n_layers": 1, "d_model": 32, "n_heads": 2, "attention_dropout": {{dropout}}, "hidden_dropout": {{dropout}}, "embedding_dropout": {{dropout}}},
          "optimizer": {"lr": 0.01, "min_lr": 0.001, "weight_decay": 0.01},
          "schedule": {"type": "wsd", "warmup_steps": {{(steps < 10 ? 0 : 5)}}},
          "batch": {"micro_batch": 8},
          "phases": [{"name": "main", "sources": [{"path": {{Json(data)}}}]}],
          "eval": {"every": 0, "batches": 2, "log_every": 1, "checkpoint_every": 0}
        }
        """;
        return TrainOptions.Parse(Encoding.UTF8.GetBytes(json), "tiny.json");
    }

    /// <summary>A tiny nGPT run: no weight decay or warmup (its defaults), SwiGLU, separate output embedding.</summary>
    public static TrainOptions TinyNgpt(string output, string data, int steps = 20, string precision = "fp32")
    {
        string json = $$"""
        {
          "output": {{Json(output)}},
          "steps": {{steps}},
          "threads": 1,
          "precision": "{{precision}}",
          "model": {"architecture": "ngpt", "context_length": 32, "n_layers": 2, "d_model": 32, "n_heads": 2, "mlp": "swiglu", "tie_embeddings": false},
          "optimizer": {"lr": 0.03, "min_lr": 0.003},
          "schedule": {"type": "cosine"},
          "batch": {"micro_batch": 8},
          "phases": [{"name": "main", "sources": [{"path": {{Json(data)}}}]}],
          "eval": {"every": 0, "batches": 2, "log_every": 1, "checkpoint_every": 0}
        }
        """;
        return TrainOptions.Parse(Encoding.UTF8.GetBytes(json), "tiny-ngpt.json");
    }

    public static string Json(string s) => System.Text.Json.JsonSerializer.Serialize(s);

    public const string Text =
        "The quick brown fox jumps over the lazy dog. A stitch in time saves nine. " +
        "All that glitters is not gold. The early bird catches the worm. ";
}
