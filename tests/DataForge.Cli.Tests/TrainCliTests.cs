using System.Text;
using DataForge.Cli;

namespace DataForge.Tests;

public class TrainCliTests
{
    static (int Code, string Out, string Err) Cli(params string[] args) => CliTests.Cli(args);

    /// <summary>A token directory of bytes (end-of-text 256) naming a byte tokenizer directory; returns its source JSON.</summary>
    static string ByteTokens(TempDir dir, string text)
    {
        string tok = dir["tok"];
        Directory.CreateDirectory(tok);
        File.WriteAllText(Path.Combine(tok, DataForge.Training.ByteCodec.ConfigFile), "{\"tokenizer_class\": \"bytes\"}");
        string data = dir["data"];
        Directory.CreateDirectory(data);
        var bytes = Encoding.UTF8.GetBytes(text);
        var bin = new byte[bytes.Length * 2];
        for (int i = 0; i < bytes.Length; i++) bin[2 * i] = bytes[i];
        File.WriteAllBytes(Path.Combine(data, "train.bin"), bin);
        File.WriteAllBytes(Path.Combine(data, "val.bin"), bin);
        File.WriteAllText(Path.Combine(data, "tokens.json"), $"{{\"tokenizer\": {System.Text.Json.JsonSerializer.Serialize(tok)}, \"vocab_size\": 257, \"eot_id\": 256, \"dtype\": \"uint16\"}}");
        return "{\"path\": " + System.Text.Json.JsonSerializer.Serialize(data) + "}";
    }

    [Fact]
    public void Fine_tune_then_chat_with_the_model()
    {
        using var dir = new TempDir();
        string source = ByteTokens(dir, string.Concat(Enumerable.Repeat("hello world, hello there. ", 40)));
        string pre = dir.Write("pre.json", $$"""
        {"output": {{System.Text.Json.JsonSerializer.Serialize(dir["pre"])}}, "steps": 20, "threads": 1,
         "model": {"context_length": 48, "n_layers": 1, "d_model": 32, "n_heads": 2},
         "optimizer": {"lr": 0.01}, "schedule": {"warmup_steps": 2}, "batch": {"micro_batch": 8}, "phases": [{"name": "all", "sources": [{{source}}]}],
         "eval": {"every": 0, "batches": 1, "sample_prompts": []}
        }
        """);
        Assert.Equal(0, Cli("train", pre).Code);
        string chats = dir.Write("chat.jsonl", string.Concat(Enumerable.Repeat(
            "{\"instruction\": \"hi?\", \"output\": \"hello!\"}\n{\"messages\": [{\"role\": \"user\", \"content\": \"bye?\"}, {\"role\": \"assistant\", \"content\": \"see you\"}]}\n", 4)));
        string sft = dir.Write("sft.json", $$"""
        {"task": "sft", "init_from": {{System.Text.Json.JsonSerializer.Serialize(Path.Combine(dir["pre"], "final"))}},
         "output": {{System.Text.Json.JsonSerializer.Serialize(dir["sft"])}}, "threads": 1,
         "optimizer": {"lr": 0.01, "weight_decay": 0}, "batch": {"micro_batch": 4},
         "sft": {"train": [{{System.Text.Json.JsonSerializer.Serialize(chats)}}], "template": "U:{user}|A:{assistant}|", "epochs": 60, "val_fraction": 0},
         "eval": {"every": 0, "log_every": 10, "sample_prompts": ["hi?"], "sample_tokens": 12}
        }
        """);
        var v = Cli("validate", sft);
        Assert.True(v.Code == 0, v.Err);
        Assert.Contains("sft", v.Out);
        var (code, output, err) = Cli("train", sft);
        Assert.True(code == 0, err);
        Assert.Contains("steps", output);
        var g = Cli("generate", "--model", Path.Combine(dir["sft"], "final"), "--chat", "--prompt", "bye?", "--max-tokens", "20", "--temperature", "0");
        Assert.True(g.Code == 0, g.Err);
        Assert.Equal("see you", g.Out.TrimEnd('\n'));
        Assert.Equal(2, Cli("generate", "--model", Path.Combine(dir["sft"], "final"), "--system", "x", "--prompt", "bye?").Code);
    }

    [Fact]
    public void Train_then_generate_from_the_final_model()
    {
        using var dir = new TempDir();
        string source = ByteTokens(dir, string.Concat(Enumerable.Repeat("hello world, hello there. ", 40)));
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
        string data = TokenDirs.Write(dir["data"], tok.Encode(text).Append(tok.EndOfTextId).ToArray(), dir["tok"], tok.VocabSize, tok.EndOfTextId);
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

    /// <summary>A failed command says so in one "error:" line, without .NET stack frames.</summary>
    internal static void AssertOneErrorLine(string err)
    {
        Assert.True(err.Split('\n').Count(l => l.StartsWith("error:", StringComparison.Ordinal)) == 1, err);
        Assert.DoesNotContain("   at ", err);
    }

    /// <summary>A token directory of bytes (no tokenizer) and a tiny TRAIN.json writing to <paramref name="run"/>.</summary>
    internal static string TinyTrain(TempDir dir, string run, int steps = 6)
    {
        string data = dir["data"];
        if (!Directory.Exists(data))
        {
            Directory.CreateDirectory(data);
            var bytes = Encoding.UTF8.GetBytes(string.Concat(Enumerable.Repeat("a small corpus for a tiny model. ", 20)));
            var bin = new byte[bytes.Length * 2];
            for (int i = 0; i < bytes.Length; i++) bin[2 * i] = bytes[i];
            File.WriteAllBytes(Path.Combine(data, "train.bin"), bin);
            File.WriteAllBytes(Path.Combine(data, "val.bin"), bin);
            File.WriteAllText(Path.Combine(data, "tokens.json"), "{\"tokenizer\": null, \"vocab_size\": 257, \"eot_id\": 256, \"dtype\": \"uint16\"}");
        }
        return dir.Write("train.json", $$"""
        {"output": {{System.Text.Json.JsonSerializer.Serialize(run)}}, "steps": {{steps}}, "threads": 1,
         "model": {"context_length": 16, "n_layers": 1, "d_model": 16, "n_heads": 2},
         "schedule": {"warmup_steps": 1}, "batch": {"micro_batch": 4},
         "phases": [{"name": "all", "sources": [{"path": {{System.Text.Json.JsonSerializer.Serialize(data)}}}]}],
         "eval": {"every": 0, "batches": 1, "log_every": 1, "checkpoint_every": 0}
        }
        """);
    }

    [Fact]
    public void Resume_before_the_first_checkpoint_is_a_usage_error_in_one_line()
    {
        using var dir = new TempDir();
        string cfg = TinyTrain(dir, dir["run"]);
        // A run killed (not interrupted: that writes a checkpoint) before its first checkpoint.
        dir.Write("run/metrics.jsonl", "{\"step\": 1, \"loss\": 5.5}\n");
        var (code, _, err) = Cli("train", cfg, "--resume");
        Assert.Equal(2, code);
        Assert.Contains("no checkpoint yet", err);
        AssertOneErrorLine(err);
        Assert.False(File.Exists(Path.Combine(dir["run"], "config.json")));
        // The way out the message names works.
        var ok = Cli("train", cfg, "--overwrite");
        Assert.True(ok.Code == 0, ok.Err);
    }

    [Fact]
    public void A_token_file_of_a_wrong_size_is_an_input_error_naming_file_size_and_dtype()
    {
        using var dir = new TempDir();
        string cfg = TinyTrain(dir, dir["run"]);
        string bin = Path.Combine(dir["data"], "train.bin");
        File.WriteAllBytes(bin, new byte[777]);
        var (code, _, err) = Cli("train", cfg);
        Assert.Equal(1, code);
        AssertOneErrorLine(err);
        Assert.Contains(bin, err);
        Assert.Contains("777 bytes", err);
        Assert.Contains("uint16", err);
        Assert.False(Directory.Exists(dir["run"]));   // checked before anything was written
    }

    [Fact]
    public void Overwrite_clears_only_a_dataforge_run_directory()
    {
        using var dir = new TempDir();
        string cfg = TinyTrain(dir, dir["run"], steps: 2);
        string mine = dir.Write("run/notes.txt", "the user's own file");
        var (code, _, err) = Cli("train", cfg, "--overwrite");
        Assert.Equal(2, code);
        AssertOneErrorLine(err);
        Assert.Contains("did not write", err);
        Assert.True(File.Exists(mine));
        File.Delete(mine);
        Assert.Equal(0, Cli("train", cfg).Code);
        var again = Cli("train", cfg);
        Assert.Equal(2, again.Code);
        Assert.Contains("--overwrite", again.Err);
        var over = Cli("train", cfg, "--overwrite");
        Assert.True(over.Code == 0, over.Err);
        Assert.Contains("--overwrite: removing the previous train output", over.Err);
    }

    [Fact]
    public void A_run_directory_inside_the_data_is_refused_naming_both()
    {
        using var dir = new TempDir();
        string cfg = TinyTrain(dir, dir["x"]);
        string inside = Path.Combine(dir["data"], "run");
        var (code, _, err) = Cli("train", cfg, "--output", inside);
        Assert.Equal(2, code);
        AssertOneErrorLine(err);
        Assert.Contains(inside, err);
        Assert.Contains("lies inside the training data directory " + dir["data"], err);
        Assert.Contains("$.phases[0].sources[0].path", err);
        Assert.False(Directory.Exists(inside));
    }

    [Fact]
    public void A_second_train_on_a_locked_run_directory_is_refused_and_the_first_finishes()
    {
        using var dir = new TempDir();
        string cfg = TinyTrain(dir, dir["run"], steps: 6);
        var o = DataForge.Training.TrainOptions.Load(cfg);
        var second = new List<(int Code, string Err)>();
        var r = DataForge.Training.Trainer.Run(o, new DataForge.Training.TrainRunOptions
        {
            // While the first run holds the lock (mid-run), a second writer on the same directory is refused.
            Progress = p =>
            {
                if (p.Step != 3) return;
                foreach (var extra in new[] { "--overwrite", "--resume" })
                {
                    var (code, _, err) = Cli("train", cfg, extra);
                    second.Add((code, err));
                }
            },
        });
        Assert.Equal(2, second.Count);
        Assert.All(second, s =>
        {
            Assert.Equal(3, s.Code);
            Assert.Contains("in use by pid", s.Err);
            AssertOneErrorLine(s.Err);
        });
        Assert.Equal(6, r.Steps);
        Assert.Equal(6, File.ReadAllLines(Path.Combine(dir["run"], "metrics.jsonl")).Length);
        Assert.True(File.Exists(Path.Combine(dir["run"], "final", "model.safetensors")));
        // Released at the end: the run directory can be trained again.
        Assert.Equal(0, Cli("train", cfg, "--overwrite").Code);
    }

    [Fact]
    public void Generate_with_a_missing_or_bad_model_directory_fails_in_one_line()
    {
        using var dir = new TempDir();
        var missing = Cli("generate", "--model", dir["nosuch"]);
        Assert.Equal(2, missing.Code);
        AssertOneErrorLine(missing.Err);
        Directory.CreateDirectory(dir["empty"]);
        var empty = Cli("generate", "--model", dir["empty"]);
        Assert.Equal(2, empty.Code);
        Assert.Contains("config.json", empty.Err);
        AssertOneErrorLine(empty.Err);
        dir.Write("bad/config.json", "{\"vocab_size\": 257}");
        dir.Write("bad/model.safetensors", "not safetensors at all");
        var bad = Cli("generate", "--model", dir["bad"]);
        Assert.Equal(1, bad.Code);
        Assert.Contains("config.json", bad.Err);
        AssertOneErrorLine(bad.Err);
        dir.Write("bad/config.json", DataForge.Training.Trainer.HfConfig(new DataForge.Training.ModelOptions { ContextLength = 8, NLayers = 1, DModel = 8, NHeads = 2 }, 257, 256));
        var weights = Cli("generate", "--model", dir["bad"]);
        Assert.Equal(1, weights.Code);
        Assert.Contains("model.safetensors", weights.Err);
        AssertOneErrorLine(weights.Err);
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
