using System.Text;
using DataForge.Cli;

namespace DataForge.Tests;

public class TrainCliTests
{
    static (int Code, string Out, string Err) Cli(params string[] args) => CliTests.Cli(args);

    [Fact]
    public void Train_then_generate_from_the_final_model()
    {
        using var dir = new TempDir();
        string tok = dir["tok"];
        Directory.CreateDirectory(tok);
        File.WriteAllText(Path.Combine(tok, DataForge.Training.ByteCodec.ConfigFile), "{\"tokenizer_class\": \"bytes\"}");
        string data = dir["data"];
        Directory.CreateDirectory(data);
        var bytes = Encoding.UTF8.GetBytes(string.Concat(Enumerable.Repeat("hello world, hello there. ", 40)));
        var bin = new byte[bytes.Length * 2];
        for (int i = 0; i < bytes.Length; i++) bin[2 * i] = bytes[i];
        File.WriteAllBytes(Path.Combine(data, "train.bin"), bin);
        File.WriteAllBytes(Path.Combine(data, "val.bin"), bin);
        File.WriteAllText(Path.Combine(data, "tokens.json"), $"{{\"tokenizer\": {System.Text.Json.JsonSerializer.Serialize(tok)}, \"vocab_size\": 257, \"eot_id\": 256, \"dtype\": \"uint16\"}}");
        string source = "{\"path\": " + System.Text.Json.JsonSerializer.Serialize(data) + "}";
        string cfg = dir.Write("train.json", $$"""
        {"output": {{System.Text.Json.JsonSerializer.Serialize(dir["run"])}}, "steps": 30, "threads": 1,
         "model": {"context_length": 32, "n_layers": 1, "d_model": 32, "n_heads": 2},
         "optimizer": {"lr": 0.01}, "schedule": {"warmup_steps": 3},
         "batch": {"micro_batch": 8}, "phases": [{"name": "all", "sources": [{{source}}]}],
         "eval": {"every": 10, "batches": 1, "sample_prompts": ["hello"], "sample_tokens": 8}
        }
        """);
        Assert.Equal(0, Cli("validate", cfg).Code);
        var (code, output, err) = Cli("train", cfg);
        Assert.True(code == 0, err);
        Assert.Contains("30 steps", output);
        Assert.True(File.Exists(Path.Combine(dir["run"], "samples.txt")));
        Assert.True(File.Exists(Path.Combine(dir["run"], "final", DataForge.Training.ByteCodec.ConfigFile)));
        var g = Cli("generate", "--model", Path.Combine(dir["run"], "final"), "--prompt", "hello", "--max-tokens", "5", "--temperature", "0");
        Assert.True(g.Code == 0, g.Err);
        Assert.StartsWith("hello", g.Out);
        Assert.Equal(2, Cli("train", cfg).Code); // a non-empty run directory is refused without --resume
    }

    [Fact]
    public void Train_with_a_dataforge_tokenizer_exports_it_and_generate_decodes()
    {
        using var dir = new TempDir();
        string text = string.Concat(Enumerable.Repeat("the model reads a corpus of clean text and learns to predict tokens. ", 60));
        var trainer = new DataForge.Tokenization.BpeTrainer(new DataForge.Tokenization.BpeTrainerOptions { VocabSize = 300, MinFrequency = 2 });
        trainer.AddAll([text]);
        DataForge.Tokenization.ByteBpeFiles.Write(trainer.Train(), dir["tok"]);
        var tok = DataForge.Tokenization.TextTokenizer.Load(dir["tok"]);
        string data = dir["data"];
        Directory.CreateDirectory(data);
        var ids = tok.Encode(text).Append(tok.EndOfTextId).ToArray();
        var bin = new byte[ids.Length * 2];
        for (int i = 0; i < ids.Length; i++) { bin[2 * i] = (byte)ids[i]; bin[2 * i + 1] = (byte)(ids[i] >> 8); }
        File.WriteAllBytes(Path.Combine(data, "train.bin"), bin);
        File.WriteAllBytes(Path.Combine(data, "val.bin"), bin);
        File.WriteAllText(Path.Combine(data, "tokens.json"), $"{{\"tokenizer\": {System.Text.Json.JsonSerializer.Serialize(dir["tok"])}, \"vocab_size\": {tok.VocabSize}, \"eot_id\": {tok.EndOfTextId}, \"dtype\": \"uint16\"}}");
        string source = "{\"path\": " + System.Text.Json.JsonSerializer.Serialize(data) + "}";
        string cfg = dir.Write("train.json", $$"""
        {"output": {{System.Text.Json.JsonSerializer.Serialize(dir["run"])}}, "steps": 40, "threads": 1,
         "model": {"context_length": 16, "n_layers": 1, "d_model": 32, "n_heads": 2},
         "optimizer": {"lr": 0.01}, "schedule": {"warmup_steps": 3},
         "batch": {"micro_batch": 8}, "phases": [{"name": "all", "sources": [{{source}}]}],
         "eval": {"every": 0, "batches": 1, "sample_prompts": ["the model"], "sample_tokens": 6}
        }
        """);
        var (code, _, err) = Cli("train", cfg);
        Assert.True(code == 0, err);
        Assert.StartsWith("### the model\nthe model", File.ReadAllText(Path.Combine(dir["run"], "samples.txt")));
        var g = Cli("generate", "--model", Path.Combine(dir["run"], "final"), "--prompt", "the model", "--max-tokens", "4", "--temperature", "0");
        Assert.True(g.Code == 0, g.Err);
        Assert.StartsWith("the model reads", g.Out);
    }

    [Fact]
    public void Shipped_train_configs_validate_and_point_at_the_schema()
    {
        var files = Directory.GetFiles(Path.Combine(CliTests.RepoRoot, "pipelines"), "*.json")
            .Where(f => ValidateCommand.Detect(f) == ConfigKind.Train).ToList();
        Assert.NotEmpty(files);
        foreach (var f in files)
        {
            Assert.Contains("\"$schema\": \"../schemas/train.schema.json\"", File.ReadAllText(f));
            var (code, _, err) = Cli("validate", f);
            Assert.True(code == 0, $"{f}: {err}");
        }
    }

    [Fact]
    public void Bad_train_config_is_a_usage_error_with_a_json_path()
    {
        using var dir = new TempDir();
        string cfg = dir.Write("t.json", "{\"output\": \"x\", \"steps\": 0, \"phases\": []}");
        var (code, _, err) = Cli("train", cfg);
        Assert.Equal(2, code);
        Assert.Contains("$.steps", err);
    }
}
