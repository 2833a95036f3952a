using System.Text;
using DataForge.Determinism;
using DataForge.Tests;
using DataForge.Tokenization;
using DataForge.Training;

namespace DataForge.Deploy.Tests;

/// <summary>A byte-level BPE for mixed text and a model trained on it for a few steps (one per test class).</summary>
public sealed class DeployFixture : IDisposable
{
    public TempDir Dir { get; } = new();
    /// <summary>The run's final/ directory: model.safetensors, config.json and the tokenizer files.</summary>
    public string Final { get; }
    public string TokenizerDir { get; }
    public string HeldOut { get; }

    /// <summary>English, Chinese, digits and code, as the tests' token-id comparisons use.</summary>
    public const string MixedText =
        "The model scored 42.5% on 1,234 tasks in 2024; 北京是中国的首都，上海有2400万人口。使用Python编程很有趣！\n" +
        "def add(a, b):\n    return a + b  # sum of 3 and 4 is 7\n\tif (x >= 10) { y = x * 2; }\n" +
        "It's what they'd said, wasn't it? 他说：“我们123个人。” Ünïcödé naïve café — 1000000 cats.\r\n  end " +
        "这是一个非常非常非常非常非常长的没有标点符号的中文句子用来测试分词器";

    static readonly string[] English =
    [
        "The quick brown fox jumps over the lazy dog.", "A stitch in time saves nine.", "All that glitters is not gold.",
        "The early bird catches the worm.", "It's raining cats and dogs, isn't it?", "They'd said we'll see what you've got.",
    ];
    static readonly string[] Chinese = ["北京是中国的首都。", "我们今天学习编程。", "上海是一个大城市，有很多人。", "他喜欢读书和写字。", "使用Python编程很有趣。"];
    static readonly string[] Code = ["def add(a, b):\n    return a + b\n", "for i in range(10):\n    print(i * 2)\n", "if (x >= 10) { y = x * 2; }\n"];

    public static string Corpus(ulong seed, int docs)
    {
        var rng = new SplitMix64(seed);
        var sb = new StringBuilder();
        for (int d = 0; d < docs; d++)
        {
            for (int s = 0; s < 6; s++)
            {
                ulong pick = rng.Next() % 4;
                string part = pick switch
                {
                    0 => English[rng.Next() % (ulong)English.Length],
                    1 => Chinese[rng.Next() % (ulong)Chinese.Length],
                    2 => Code[rng.Next() % (ulong)Code.Length],
                    _ => $"{rng.Next() % 100000} + {rng.Next() % 1000} = ?",
                };
                sb.Append(part).Append(' ');
            }
            sb.Append('\u0001'); // document separator, replaced by end-of-text
        }
        return sb.ToString();
    }

    public DeployFixture()
    {
        TokenizerDir = Dir["tok"];
        var trainer = new BpeTrainer(new BpeTrainerOptions { VocabSize = 512, Pattern = ByteLevel.Gpt4Pattern, Threads = 1 });
        string train = Corpus(1, 300);
        trainer.AddAll(train.Split('\u0001').Append(MixedText));
        var bpe = trainer.Train();
        ByteBpeFiles.Write(bpe, TokenizerDir);
        var tok = TextTokenizer.Load(TokenizerDir);
        string data = Dir["data"];
        Directory.CreateDirectory(data);
        WriteTokens(Path.Combine(data, "train.bin"), tok, train);
        HeldOut = Corpus(2, 40).Replace('\u0001', '\n');
        WriteTokens(Path.Combine(data, "val.bin"), tok, Corpus(2, 40));
        File.WriteAllText(Path.Combine(data, "tokens.json"),
            $"{{\"tokenizer\": {Json(TokenizerDir)}, \"vocab_size\": {tok.VocabSize}, \"eot_id\": {tok.EndOfTextId}, \"dtype\": \"uint16\"}}");
        var o = TrainOptions.Parse(Encoding.UTF8.GetBytes(TrainJson(Dir["run"], data, "\"qkv_bias\": false")), "train.json");
        Trainer.Run(o, new TrainRunOptions { LoadCodec = d => new Codec(TextTokenizer.Load(d)) });
        Final = Path.Combine(Dir["run"], "final");
    }

    public static string TrainJson(string output, string data, string extra, int steps = 40) => $$"""
        {
          "output": {{Json(output)}}, "steps": {{steps}}, "threads": 1, "precision": "fp32", "seed": 7,
          "model": {"context_length": 64, "n_layers": 2, "d_model": 64, "n_heads": 2, "mlp": "swiglu", "norm": "rmsnorm", {{extra}}},
          "optimizer": {"lr": 0.01, "min_lr": 0.001, "weight_decay": 0.01},
          "schedule": {"type": "wsd", "warmup_steps": 5},
          "batch": {"micro_batch": 8},
          "phases": [{"name": "main", "sources": [{"path": {{Json(data)}}}]}],
          "eval": {"every": 0, "batches": 2, "log_every": 10, "checkpoint_every": 0, "sample_prompts": []}
        }
        """;

    static void WriteTokens(string path, TextTokenizer tok, string text)
    {
        using var f = File.Create(path);
        foreach (var doc in text.Split('\u0001', StringSplitOptions.RemoveEmptyEntries))
            foreach (int id in tok.Encode(doc).Append(tok.EndOfTextId))
            {
                f.WriteByte((byte)id);
                f.WriteByte((byte)(id >> 8));
            }
    }

    public static string Json(string s) => System.Text.Json.JsonSerializer.Serialize(s);

    public void Dispose() => Dir.Dispose();
}

/// <summary>The DataForge tokenizer as the trainer's codec.</summary>
public sealed class Codec(TextTokenizer tokenizer) : ITextCodec
{
    public TextTokenizer Tokenizer => tokenizer;
    public int[] Encode(string text) => tokenizer.Encode(text);
    public string Decode(IReadOnlyList<int> ids) => tokenizer.Decode(ids.ToArray());
    public void ExportTo(string dir) => tokenizer.ExportTo(dir);
}
