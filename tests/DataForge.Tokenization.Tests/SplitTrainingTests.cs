using System.Text;
using System.Text.Json;
using DataForge.Tests;

namespace DataForge.Tokenization.Tests;

/// <summary>
/// Tokenizer training split into count tasks and a merge (what the Slurm jobs of <c>tokenizer train
/// --executor slurm</c> run), in process: the tokenizer equals the one trained in one process.
/// </summary>
public class SplitTrainingTests
{
    static readonly string[] Files = ["tokenizer.json", "vocab.json", "merges.txt", "tokenizer_config.json", "dataforge_tokenizer.json"];

    /// <summary>Five input files: plain text of different word mixes (one with a tab-separated table, one empty) and a JSONL shard.</summary>
    static List<string> Inputs(TempDir dir)
    {
        var files = new List<string>
        {
            dir.Write("in/a.txt", string.Concat(TokenizerTests.Sentences(200, 1))),
            dir.Write("in/b.txt", string.Concat(TokenizerTests.Samples) + string.Concat(TokenizerTests.Sentences(150, 2))),
            dir.Write("in/c.txt", ""),
            dir.Write("in/d.txt", string.Join("\n", Enumerable.Range(0, 300).Select(i => $"row{i % 17}\t{i * 7919 % 1000}\tvalue_{i % 5}"))),
            dir.Write("in/e.jsonl", string.Join("\n", TokenizerTests.Sentences(120, 3).Select(s => JsonSerializer.Serialize(new { text = s + " naïve café 数据" }))) + "\n"),
        };
        return files;
    }

    static TokenizerTrainRequest Request(List<string> files) => new(files, 420, 2, ["<|pad|>"], ByteLevel.DefaultPattern);

    static string TrainLocally(TempDir dir, TokenizerTrainRequest request)
    {
        var trainer = new BpeTrainer(request.Options(2));
        trainer.AddAll(BpeTrainer.ReadTexts(request.Inputs));
        ByteBpeFiles.Write(trainer.Train(), dir["local"]);
        return dir["local"];
    }

    [Theory]
    [InlineData(1)]
    [InlineData(3)]
    public void Counting_in_tasks_and_merging_equals_local_training(int tasks)
    {
        using var dir = new TempDir();
        var request = Request(Inputs(dir));
        string local = TrainLocally(dir, request);
        string split = dir["split"];
        // Tasks in reverse order: when each runs does not matter.
        for (int t = tasks - 1; t >= 0; t--) SlurmTokenizerTrain.Count(request, split, t, tasks, threads: 1, log: null);
        Assert.Equal(tasks, Directory.GetFiles(SlurmTokenizerTrain.CountsDir(split)).Length);
        var model = SlurmTokenizerTrain.Merge(request, split, tasks, threads: 1, log: null);
        Assert.True(model.Merges.Count > 50, $"only {model.Merges.Count} merges: the test data trains too little");
        foreach (var f in Files)
            Assert.True(File.ReadAllBytes(Path.Combine(local, f)).AsSpan().SequenceEqual(File.ReadAllBytes(Path.Combine(split, f))), $"{f} differs with {tasks} task(s)");
        Assert.True(File.Exists(Path.Combine(split, "_SUCCESS")));
        Assert.False(Directory.Exists(SlurmTokenizerTrain.CountsDir(split)), "the count files are removed once the tokenizer is written");
    }

    [Fact]
    public void Files_are_dealt_to_tasks_round_robin()
    {
        string[] files = ["f0", "f1", "f2", "f3", "f4"];
        Assert.Equal(["f0", "f3"], SlurmTokenizerTrain.FilesOf(files, 0, 3));
        Assert.Equal(["f1", "f4"], SlurmTokenizerTrain.FilesOf(files, 1, 3));
        Assert.Equal(["f2"], SlurmTokenizerTrain.FilesOf(files, 2, 3));
    }

    [Fact]
    public void The_merge_names_a_missing_count_file()
    {
        using var dir = new TempDir();
        var request = Request(Inputs(dir));
        SlurmTokenizerTrain.Count(request, dir["out"], 0, 2, 1, null);
        var ex = Assert.Throws<InvalidOperationException>(() => SlurmTokenizerTrain.Merge(request, dir["out"], 2, 1, null));
        Assert.Contains("task-0001-of-0002.counts", ex.Message);
        Assert.Contains("task 1", ex.Message);
    }

    [Fact]
    public void Merging_counts_of_empty_inputs_is_an_error_naming_them()
    {
        using var dir = new TempDir();
        var request = Request([dir.Write("in/empty1.txt", ""), dir.Write("in/empty2.txt", "")]);
        for (int t = 0; t < 2; t++) SlurmTokenizerTrain.Count(request, dir["out"], t, 2, 1, null);
        var ex = Assert.Throws<DataForge.Execution.InputException>(() => SlurmTokenizerTrain.Merge(request, dir["out"], 2, 1, null));
        Assert.Contains("empty1.txt (and 1 more --input files)", ex.Message);
        Assert.Contains("no text to train a tokenizer on", ex.Message);
        Assert.False(File.Exists(dir["out/_SUCCESS"]));
    }

    [Fact]
    public void Count_files_round_trip_every_word_and_are_the_same_bytes_for_the_same_counts()
    {
        using var dir = new TempDir();
        // A lone surrogate (a text block cut inside a surrogate pair) is kept apart from U+FFFD, as in one process.
        var words = new SortedDictionary<string, long>(StringComparer.Ordinal)
        {
            ["the"] = 12, [" naïve"] = 3, ["数据"] = 5, ["x\uD83D"] = 1, ["x\uFFFD"] = 2, ["\U0001F600"] = 40_000_000_000,
        };
        BpeCounts.Write(dir["a.counts"], words, 1234);
        var back = BpeCounts.Read(dir["a.counts"], out long pre);
        Assert.Equal(1234, pre);
        Assert.Equal(words.ToList(), back);
        Assert.Equal(1234, BpeCounts.PreTokens(dir["a.counts"]));
        BpeCounts.Write(dir["b.counts"], back, 1234);
        Assert.Equal(File.ReadAllBytes(dir["a.counts"]), File.ReadAllBytes(dir["b.counts"]));
        Assert.Empty(Directory.GetFiles(dir.Path, "*.tmp-*"));

        Assert.Throws<ArgumentException>(() => BpeCounts.Write(dir["c.counts"], [new("b", 1), new("a", 1)], 2));
        var bytes = File.ReadAllBytes(dir["a.counts"]);
        File.WriteAllBytes(dir["cut.counts"], bytes[..^10]);
        var ex = Assert.Throws<InvalidDataException>(() => BpeCounts.Read(dir["cut.counts"], out _));
        Assert.Contains("cut.counts", ex.Message);
    }

    [Fact]
    public void The_request_round_trips()
    {
        using var dir = new TempDir();
        var request = new TokenizerTrainRequest(["/data/a.txt", "/data/b.jsonl"], 1000, 3, ["<|pad|>", "<|sep|>"], ByteLevel.Gpt4Pattern);
        File.WriteAllBytes(dir["r.json"], request.ToJson());
        var back = TokenizerTrainRequest.Read(dir["r.json"]);
        Assert.Equal(request.ToJson(), back.ToJson());
        Assert.Equal(1000, back.VocabSize);
        Assert.Equal(["<|pad|>", "<|sep|>"], back.SpecialTokens);
        File.WriteAllText(dir["bad.json"], "{\"inputs\": []}");
        Assert.Contains("bad.json", Assert.Throws<InvalidDataException>(() => TokenizerTrainRequest.Read(dir["bad.json"])).Message);
    }
}
