using System.Text;
using DataForge.Tests;

namespace DataForge.Tokenization.Tests;

public class TokenizerTests
{
    internal static readonly string[] Samples =
    [
        "The quick brown fox jumps over the lazy dog. It's 2024, and we're training 1234567 tokens!",
        "数据清洗是预训练的关键步骤。我们使用Python编程，并且统计了词频。",
        "Ünïcödé façade — naïve café; emoji 😀👍🏽 and 🇫🇷 flags.",
        "Combining: e\u0301 a\u0308 n\u0303\u0323 and control \u0001\u0007\t\r\n\u001f end",
        "def f(x):\n    return x ** 2  # square\n\n\n",
        "ሰላም ዓለም · Привет мир · مرحبا بالعالم · नमस्ते दुनिया · 𝒜𝒷𝒸 𐍈 \U0001F9EA",
    ];

    /// <summary>A tokenizer trained on the samples and some generated English (shared by tests).</summary>
    internal static TextTokenizer Trained(TempDir dir, int vocab = 600)
    {
        var trainer = new BpeTrainer(new BpeTrainerOptions { VocabSize = vocab, MinFrequency = 2, SpecialTokens = ["<|pad|>"] });
        trainer.AddAll(Samples.Concat(Sentences(300, 7)));
        var model = trainer.Train();
        ByteBpeFiles.Write(model, dir["tok"]);
        return TextTokenizer.Load(dir["tok"]);
    }

    internal static IEnumerable<string> Sentences(int n, int seed)
    {
        var rng = new Random(seed);
        string[] words = ["the", "model", "reads", "a", "corpus", "of", "clean", "text", "and", "learns", "to", "predict", "tokens", "quickly", "数据", "模型", "训练"];
        for (int i = 0; i < n; i++)
        {
            var sb = new StringBuilder();
            int len = rng.Next(4, 30);
            for (int w = 0; w < len; w++) sb.Append(w == 0 ? "" : " ").Append(words[rng.Next(words.Length)]);
            sb.Append(rng.Next(3) == 0 ? ".\n\n" : ". ");
            yield return sb.ToString();
        }
    }

    [Theory]
    [InlineData("o200k_base", 200019)]
    [InlineData("cl100k_base", 100277)]
    public void Tiktoken_encodings_load_and_round_trip(string name, int vocab)
    {
        var t = TextTokenizer.Load(name);
        Assert.Equal(name, t.Spec);
        Assert.Equal(vocab, t.VocabSize);
        Assert.Equal(name == "o200k_base" ? 199999 : 100257, t.EndOfTextId);
        Assert.True(t.NeedsUInt32);
        foreach (var s in Samples) Assert.Equal(s, t.Decode(t.Encode(s)));
        Assert.Equal(t.Encode(Samples[0]).Length, t.CountTokens(Samples[0]));
        Assert.Equal([9906, 1917], TextTokenizer.Load("cl100k_base").Encode("Hello world"));
        using var dir = new TempDir();
        t.ExportTo(dir["export"]);
        Assert.Equal(t.Encode(Samples[2]), TextTokenizer.Load(dir["export"]).Encode(Samples[2]));
    }

    [Fact]
    public void Trained_tokenizer_loads_round_trips_and_exports()
    {
        using var dir = new TempDir();
        var t = Trained(dir);
        // Merging stopped early (every pair rarer than min_frequency 2); ids stay contiguous.
        Assert.InRange(t.VocabSize, 300, 600);
        Assert.Equal(t.VocabSize - 2, t.EndOfTextId);
        Assert.False(t.NeedsUInt32);
        foreach (var s in Samples) Assert.Equal(s, t.Decode(t.Encode(s)));
        // Learnt merges: a frequent word is one token, and tokens are fewer than bytes.
        Assert.Single(t.Encode(" model"));
        string english = string.Concat(Sentences(50, 99));
        Assert.True(t.Encode(english).Length < Encoding.UTF8.GetByteCount(english) / 2);
        // The special-token text inside a document is plain text, never the end-of-text id.
        Assert.DoesNotContain(t.EndOfTextId, t.Encode("a <|endoftext|> b"));
        Assert.Equal("a <|endoftext|> b", t.Decode(t.Encode("a <|endoftext|> b")));

        t.ExportTo(dir["copy"]);
        var again = TextTokenizer.Load(dir["copy"]);
        Assert.Equal(t.Encode(english), again.Encode(english));
        // vocab.json + merges.txt alone load through Microsoft.ML.Tokenizers' BpeTokenizer and agree.
        Directory.CreateDirectory(dir["hf"]);
        File.Copy(dir["tok/vocab.json"], dir["hf/vocab.json"]);
        File.Copy(dir["tok/merges.txt"], dir["hf/merges.txt"]);
        var hf = TextTokenizer.Load(dir["hf"]);
        Assert.Equal(t.EndOfTextId, hf.EndOfTextId);
        Assert.Equal(english, hf.Decode(hf.Encode(english)));
    }

    [Fact]
    public void Decode_encode_is_identity_on_random_unicode()
    {
        using var dir = new TempDir();
        var t = Trained(dir);
        var rng = new Random(12345);
        (int Lo, int Hi)[] ranges =
        [
            (0x00, 0x7F), (0x00, 0x1F), (0x80, 0x24F), (0x300, 0x36F), (0x370, 0x3FF), (0x400, 0x4FF), (0x590, 0x6FF),
            (0x900, 0x97F), (0x3040, 0x30FF), (0x4E00, 0x9FFF), (0xAC00, 0xD7A3), (0xFE00, 0xFE0F), (0x1F300, 0x1FAFF),
            (0x1D400, 0x1D7FF), (0x20000, 0x2A6DF), (0xE000, 0xF8FF), (0x2000, 0x206F),
        ];
        for (int iter = 0; iter < 400; iter++)
        {
            var sb = new StringBuilder();
            int n = rng.Next(0, 60);
            for (int i = 0; i < n; i++)
            {
                if (rng.Next(6) == 0) { sb.Append(" \n\t  \r\n"[rng.Next(7)]); continue; }
                var (lo, hi) = ranges[rng.Next(ranges.Length)];
                sb.Append(char.ConvertFromUtf32(rng.Next(lo, hi + 1)));
            }
            string s = sb.ToString();
            var ids = t.Encode(s);
            Assert.All(ids, id => Assert.InRange(id, 0, t.VocabSize - 1));
            Assert.Equal(s, t.Decode(ids));
        }
    }

    [Fact]
    public void Training_is_deterministic_and_respects_min_frequency()
    {
        BpeTrainer Make(int threads, long minFreq)
        {
            var tr = new BpeTrainer(new BpeTrainerOptions { VocabSize = 2000, MinFrequency = minFreq, Threads = threads });
            tr.AddAll(Sentences(500, 3));
            return tr;
        }
        var a = Make(1, 2).Train();
        var b = Make(2, 2).Train();
        Assert.Equal(a.Merges, b.Merges);
        // Few distinct words: merging stops early once every pair is rarer than min_frequency.
        Assert.True(a.Tokens.Count < 2000 - 1);
        var strict = Make(2, 50).Train();
        Assert.True(strict.Merges.Count < a.Merges.Count);
    }

    [Fact]
    public void Tiktoken_encodings_round_trip_random_unicode()
    {
        var t = TextTokenizer.Load("o200k_base");
        var rng = new Random(7);
        for (int iter = 0; iter < 200; iter++)
        {
            var sb = new StringBuilder();
            for (int i = rng.Next(0, 40); i > 0; i--)
            {
                int cp = rng.Next(4) switch { 0 => rng.Next(0, 0x80), 1 => rng.Next(0x300, 0x370), 2 => rng.Next(0x4E00, 0xA000), _ => rng.Next(0x1F300, 0x1FB00) };
                sb.Append(char.ConvertFromUtf32(cp));
            }
            Assert.Equal(sb.ToString(), t.Decode(t.Encode(sb.ToString())));
        }
    }

    [Fact]
    public void Training_on_chinese_learns_multi_character_tokens()
    {
        var rng = new Random(3);
        string[] words = ["数据", "模型", "训练", "清洗", "我们", "使用", "语言", "中文"];
        var texts = Enumerable.Range(0, 400).Select(_ => string.Concat(Enumerable.Range(0, rng.Next(3, 12)).Select(_ => words[rng.Next(words.Length)])) + "。");
        var trainer = new BpeTrainer(new BpeTrainerOptions { VocabSize = 400 });
        trainer.AddAll(texts);
        var t = TextTokenizer.FromByteBpe(trainer.Train(), "zh");
        Assert.Single(t.Encode("数据"));
        Assert.True(t.Encode("我们使用中文语言模型").Length <= 5);
    }

    [Fact]
    public void Chinese_runs_are_separate_pre_tokens()
    {
        var re = ByteLevel.Compile(ByteLevel.DefaultPattern);
        var parts = re.Matches("使用Python编程 hello").Select(m => m.Value).ToArray();
        Assert.Equal(["使用", "Python", "编程", " hello"], parts);
    }
}
