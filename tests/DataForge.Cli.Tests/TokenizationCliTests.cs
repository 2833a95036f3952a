using System.Text;
using System.Text.Json;
using DataForge.Cli;

namespace DataForge.Tests;

public class TokenizationCliTests
{
    static (int Code, string Out, string Err) Cli(params string[] args)
    {
        var o = new StringWriter();
        var e = new StringWriter();
        int code = DataForgeCli.Run(args, o, e);
        return (code, o.ToString(), e.ToString());
    }

    internal static string Corpus(TempDir dir, string name, int n, int seed)
    {
        var rng = new Random(seed);
        string[] words = ["the", "river", "model", "learns", "from", "clean", "text", "数据", "模型", "and", "tokens"];
        var sb = new StringBuilder();
        for (int i = 0; i < n; i++)
        {
            var t = string.Join(' ', Enumerable.Range(0, rng.Next(5, 40)).Select(_ => words[rng.Next(words.Length)])) + ".";
            sb.Append(JsonSerializer.Serialize(new { id = $"{name}{i}", text = t })).Append('\n');
        }
        return dir.Write(name + ".jsonl", sb.ToString());
    }

    [Fact]
    public void Tokenizer_train_refuses_slurm_options_that_do_not_fit()
    {
        using var dir = new TempDir();
        string input = Corpus(dir, "c", 20, 1);
        string[] train = ["tokenizer", "train", "--input", input, "--vocab-size", "300"];
        var wait = Cli([.. train, "--out", dir["a"], "--wait"]);
        Assert.Equal(2, wait.Code);
        Assert.Contains("--wait and --resume apply to the Slurm executor", wait.Err);
        string bad = dir.Write("exec.json", "{\"type\": \"slurm\",\n \"tasks\": 0}");
        var config = Cli([.. train, "--out", dir["b"], "--executor-config", bad]);
        Assert.Equal(2, config.Code);
        Assert.Contains("exec.json:2:", config.Err);
        Assert.Contains("$.tasks: expected an integer >= 1", config.Err);
        dir.Write("exec.json", "{\"type\": \"slurm\",\n \"time\": \"soon\"}");
        var time = Cli([.. train, "--out", dir["b"], "--executor-config", bad]);
        Assert.Equal(2, time.Code);
        Assert.Contains("$.time: expected a Slurm time limit", time.Err);
        var threads = Cli([.. train, "--out", dir["c"], "--executor", "slurm", "--threads", "2"]);
        Assert.Equal(2, threads.Code);
        Assert.Contains("--threads applies to the local executor", threads.Err);
        var missing = Cli([.. train, "--out", dir["d"], "--executor-config", dir["none.json"]]);
        Assert.Equal(2, missing.Code);
        Assert.Contains("none.json", missing.Err);
        Assert.False(Directory.Exists(dir["b"]) || Directory.Exists(dir["c"]), "a refused start leaves no output directory");
    }

    [Fact]
    public void Tokenizer_train_writes_a_loadable_tokenizer()
    {
        using var dir = new TempDir();
        string input = Corpus(dir, "c", 300, 1);
        var (code, output, err) = Cli("tokenizer", "train", "--input", input, "--vocab-size", "400", "--out", dir["tok"]);
        Assert.True(code == 0, err);
        Assert.Contains("<|endoftext|>", output);
        Assert.True(File.Exists(dir["tok/vocab.json"]) && File.Exists(dir["tok/merges.txt"]));
        var (c2, o2, _) = Cli("tokenizer", "encode", "-t", dir["tok"], "the river model");
        Assert.Equal(0, c2);
        Assert.Contains("[the][ river][ model]", o2);
        Assert.Equal(2, Cli("tokenizer", "train", "--input", input, "--vocab-size", "100", "--out", dir["x"]).Code);
    }

    [Fact]
    public void Tokenizer_train_on_empty_input_names_the_input_and_leaves_nothing()
    {
        using var dir = new TempDir();
        string empty = dir.Write("empty.txt", "");
        var (code, _, err) = Cli("tokenizer", "train", "--input", empty, "--vocab-size", "300", "--out", dir["tok"]);
        Assert.Equal(1, code);
        Assert.Contains(empty, err);
        Assert.Contains("no text", err);
        TrainCliTests.AssertOneErrorLine(err);
        Assert.False(Directory.Exists(dir["tok"]));
    }

    [Fact]
    public void Tokenizer_train_owns_its_output_directory()
    {
        using var dir = new TempDir();
        string input = Corpus(dir, "c", 50, 4);
        string[] Train(params string[] extra) => ["tokenizer", "train", "--input", input, "--vocab-size", "300", "--out", dir["tok"], .. extra];
        // A directory with someone else's files is refused, with or without --overwrite, and kept.
        string mine = dir.Write("tok/notes.txt", "mine");
        Assert.Equal(2, Cli(Train()).Code);
        var refused = Cli(Train("--overwrite"));
        Assert.Equal(2, refused.Code);
        TrainCliTests.AssertOneErrorLine(refused.Err);
        Assert.True(File.Exists(mine));
        File.Delete(mine);
        Assert.Equal(0, Cli(Train()).Code);
        Assert.Equal("tokenizer", DataForge.Execution.OutputDirectory.KindOf(dir["tok"]));
        Assert.Equal(2, Cli(Train()).Code);                 // its own previous output needs --overwrite
        var (code, _, err) = Cli(Train("--overwrite"));
        Assert.True(code == 0, err);
        Assert.Contains("--overwrite: removing the previous tokenizer output", err);
        // An output directory that holds the input is refused before anything is touched.
        string inside = dir.Write("tok2/in.txt", "some text to learn from");
        var overlap = Cli("tokenizer", "train", "--input", inside, "--vocab-size", "300", "--out", dir["tok2"]);
        Assert.Equal(2, overlap.Code);
        Assert.Contains("contains the input", overlap.Err);
        // While another writer holds the lock, a second is refused with exit code 3.
        using (DataForge.Execution.OutputLock.Acquire(dir["tok"], "tokenizer train"))
        {
            var busy = Cli(Train("--overwrite"));
            Assert.Equal(3, busy.Code);
            TrainCliTests.AssertOneErrorLine(busy.Err);
        }
        Assert.True(File.Exists(dir["tok/vocab.json"]));
    }

    [Fact]
    public void Mix_command_writes_phases_or_fails_on_a_shortfall()
    {
        using var dir = new TempDir();
        Corpus(dir, "a", 200, 2);
        Corpus(dir, "b", 100, 3);
        string Mix(string onShortfall, double epochs) => dir.Write("mix.json", $$"""
            { "$schema": "../schemas/mix.schema.json", "tokenizer": "cl100k_base", "output": {{JsonSerializer.Serialize(dir["out"])}},
              "on_shortfall": "{{onShortfall}}",
              "sources": [ { "name": "a", "path": {{JsonSerializer.Serialize(dir["a.jsonl"])}}, "max_epochs": 3 },
                           { "name": "b", "path": {{JsonSerializer.Serialize(dir["b.jsonl"])}}, "max_epochs": {{epochs}} } ],
              "phases": [ { "name": "stable", "tokens": 6000, "weights": { "a": 0.5, "b": 0.5 } } ] }
            """);
        var (code, output, err) = Cli("mix", Mix("fail", 3));
        Assert.True(code == 0, err);
        Assert.Contains("stable/", output);
        Assert.True(File.Exists(Path.Combine(dir["out"], "stable", "train.bin")));
        Assert.True(File.Exists(Path.Combine(dir["out"], "mix_report.json")));
        Assert.Equal(0, Cli("validate", dir["mix.json"]).Code);

        var before = File.ReadAllBytes(Path.Combine(dir["out"], "stable", "train.bin"));
        var (c2, _, e2) = Cli("mix", Mix("fail", 0.5), "--overwrite");
        Assert.Equal(1, c2);
        Assert.Contains("source 'b' falls short by", e2);
        // A replacement that fails leaves the earlier mix as it was, finished.
        Assert.Equal(before, File.ReadAllBytes(Path.Combine(dir["out"], "stable", "train.bin")));
        Assert.True(File.Exists(Path.Combine(dir["out"], "_SUCCESS")));
        Assert.False(Directory.Exists(Path.Combine(dir["out"], "_work")));
        var (c3, o3, _) = Cli("mix", Mix("redistribute", 0.5), "--overwrite");
        Assert.Equal(0, c3);
        Assert.Contains("note: b capped", o3);
    }

    [Fact]
    public void Shipped_mix_example_validates_and_its_schema_is_generated()
    {
        Assert.Contains("mix.schema.json", SchemaCommand.Generate().Keys);
        string cwd = Directory.GetCurrentDirectory();
        Directory.SetCurrentDirectory(CliTests.RepoRoot);
        try
        {
            var (code, output, err) = Cli("validate", "pipelines/mix.json");
            Assert.True(code == 0, err);
            Assert.Contains("mix 'track2-mix'", output);
        }
        finally { Directory.SetCurrentDirectory(cwd); }
    }
}
