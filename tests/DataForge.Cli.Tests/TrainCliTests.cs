using System.Text;
using DataForge.Cli;

namespace DataForge.Tests;

public class TrainCliTests
{
    static (int Code, string Out, string Err) Cli(params string[] args)
    {
        var o = new StringWriter();
        var e = new StringWriter();
        int code = DataForgeCli.Run(args, o, e);
        return (code, o.ToString(), e.ToString());
    }

    [Fact]
    public void Train_then_generate_from_the_final_model()
    {
        using var dir = new TempDir();
        string tok = dir["tok"];
        Directory.CreateDirectory(tok);
        File.WriteAllText(Path.Combine(tok, "tokenizer_config.json"), "{\"tokenizer_class\": \"bytes\"}");
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
        Assert.True(File.Exists(Path.Combine(dir["run"], "final", "tokenizer_config.json")));
        var g = Cli("generate", "--model", Path.Combine(dir["run"], "final"), "--prompt", "hello", "--max-tokens", "5", "--temperature", "0");
        Assert.True(g.Code == 0, g.Err);
        Assert.StartsWith("hello", g.Out);
        Assert.Equal(2, Cli("train", cfg).Code); // a non-empty run directory is refused without --resume
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
