using System.Text;
using System.Text.Json;
using System.Text.RegularExpressions;
using DataForge.Tests;
using DataForge.Tokenization;

namespace DataForge.Tokenization.Tests;

public sealed class HfTokenizerJsonTests
{
    const string Mixed =
        "The model scored 42.5% on 1,234 tasks in 2024; 北京是中国的首都，上海有2400万人口。使用Python编程很有趣！\n" +
        "def add(a, b):\n    return a + b  # sum of 3 and 4 is 7\n\tif (x >= 10) { y = x * 2; }\n" +
        "It's what they'd said, wasn't it? 他说：“我们123个人。” Ünïcödé naïve café — 1000000 cats.\r\n  end " +
        "这是一个非常非常非常非常非常长的没有标点符号的中文句子用来测试分词器的上限处理";

    static IEnumerable<string> Corpus()
    {
        string[] parts =
        [
            "The quick brown fox jumps over the lazy dog. ", "It's raining, isn't it? They'd say so. ", "北京是中国的首都。", "使用Python编程很有趣。",
            "def add(a, b):\n    return a + b\n", "x = 12345 + 678;\n", "上海是一个大城市，有很多人。", "naïve café résumé ",
        ];
        for (int i = 0; i < 200; i++) yield return string.Concat(Enumerable.Range(0, 5).Select(j => parts[(i * 7 + j * 3) % parts.Length]));
    }

    [Theory]
    [InlineData("gpt4")]
    [InlineData("default")]
    public void Tokenizer_json_read_by_an_independent_reader_gives_DataForges_ids(string pattern)
    {
        using var dir = new TempDir();
        var trainer = new BpeTrainer(new BpeTrainerOptions
        {
            VocabSize = 600, Threads = 1, Pattern = pattern == "gpt4" ? ByteLevel.Gpt4Pattern : ByteLevel.DefaultPattern,
        });
        trainer.AddAll(Corpus());
        var model = trainer.Train();
        ByteBpeFiles.Write(model, dir.Path);
        var ours = TextTokenizer.Load(dir.Path);
        var theirs = new TokenizerJsonReader(File.ReadAllText(Path.Combine(dir.Path, HfTokenizerFiles.TokenizerJson)));
        foreach (var text in Corpus().Take(20).Append(Mixed).Append("  spaces   and\n\n\nnewlines\t\t"))
            Assert.Equal(ours.Encode(text), theirs.Encode(text));
        Assert.Equal(ours.EndOfTextId, theirs.Added[TextTokenizer.EndOfText]);

        var config = JsonDocument.Parse(File.ReadAllText(Path.Combine(dir.Path, HfTokenizerFiles.TokenizerConfigJson))).RootElement;
        Assert.Equal(TextTokenizer.EndOfText, config.GetProperty("eos_token").GetString());
        Assert.False(config.GetProperty("add_bos_token").GetBoolean());
    }

    [Fact]
    public void Portable_default_pattern_splits_as_the_default_pattern()
    {
        var a = ByteLevel.Compile(ByteLevel.DefaultPattern);
        var b = ByteLevel.Compile(ByteLevel.DefaultPatternPortable);
        foreach (var text in Corpus().Take(30).Append(Mixed).Append("㐀㐁豈更Latin混合text\u4E00\u9FFF\u3400\u4DBF\uF900\uFAFFx"))
            Assert.Equal(a.Matches(text).Select(m => m.Value), b.Matches(text).Select(m => m.Value));
    }

    /// <summary>
    /// A minimal reader of tokenizers' tokenizer.json, written from the format: the Split pre-tokenizer (regex, isolated
    /// pieces), GPT-2's byte-to-unicode table, and BPE that merges the lowest-ranked adjacent pair first (a whole piece
    /// that is a vocabulary entry is one token when ignore_merges is set).
    /// </summary>
    sealed class TokenizerJsonReader
    {
        readonly Regex _split;
        readonly Dictionary<string, int> _vocab = new(StringComparer.Ordinal);
        readonly Dictionary<(string, string), int> _ranks = [];
        readonly bool _ignoreMerges;
        readonly char[] _byteToChar = new char[256];
        public Dictionary<string, int> Added { get; } = new(StringComparer.Ordinal);

        public TokenizerJsonReader(string json)
        {
            var root = JsonDocument.Parse(json).RootElement;
            var pre = root.GetProperty("pre_tokenizer");
            Assert.Equal("Sequence", pre.GetProperty("type").GetString());
            var steps = pre.GetProperty("pretokenizers").EnumerateArray().ToList();
            Assert.Equal("Split", steps[0].GetProperty("type").GetString());
            Assert.Equal("Isolated", steps[0].GetProperty("behavior").GetString());
            Assert.Equal("ByteLevel", steps[1].GetProperty("type").GetString());
            Assert.False(steps[1].GetProperty("use_regex").GetBoolean());
            _split = new Regex(steps[0].GetProperty("pattern").GetProperty("Regex").GetString()!);
            var m = root.GetProperty("model");
            Assert.Equal("BPE", m.GetProperty("type").GetString());
            _ignoreMerges = m.GetProperty("ignore_merges").GetBoolean();
            foreach (var p in m.GetProperty("vocab").EnumerateObject()) _vocab[p.Name] = p.Value.GetInt32();
            int rank = 0;
            foreach (var pair in m.GetProperty("merges").EnumerateArray()) _ranks[(pair[0].GetString()!, pair[1].GetString()!)] = rank++;
            foreach (var t in root.GetProperty("added_tokens").EnumerateArray()) Added[t.GetProperty("content").GetString()!] = t.GetProperty("id").GetInt32();
            // GPT-2: printable Latin-1 bytes map to themselves, the others to 256, 257, ... in byte order.
            int n = 0;
            for (int b = 0; b < 256; b++)
                _byteToChar[b] = b is >= '!' and <= '~' or >= 0xA1 and <= 0xAC or >= 0xAE and <= 0xFF ? (char)b : (char)(256 + n++);
        }

        public int[] Encode(string text)
        {
            var ids = new List<int>();
            int at = 0;
            foreach (Match match in _split.Matches(text))
            {
                if (match.Index > at) Piece(text[at..match.Index], ids);
                Piece(match.Value, ids);
                at = match.Index + match.Length;
            }
            if (at < text.Length) Piece(text[at..], ids);
            return [.. ids];
        }

        void Piece(string piece, List<int> ids)
        {
            string word = new(Encoding.UTF8.GetBytes(piece).Select(b => _byteToChar[b]).ToArray());
            if (_ignoreMerges && _vocab.TryGetValue(word, out int whole)) { ids.Add(whole); return; }
            var symbols = word.Select(c => c.ToString()).ToList();
            while (symbols.Count > 1)
            {
                int best = int.MaxValue;
                (string, string) bestPair = default;
                for (int i = 0; i + 1 < symbols.Count; i++)
                    if (_ranks.TryGetValue((symbols[i], symbols[i + 1]), out int r) && r < best) { best = r; bestPair = (symbols[i], symbols[i + 1]); }
                if (best == int.MaxValue) break;
                var merged = new List<string>();
                for (int i = 0; i < symbols.Count; i++)
                {
                    if (i + 1 < symbols.Count && (symbols[i], symbols[i + 1]) == bestPair) { merged.Add(symbols[i] + symbols[i + 1]); i++; }
                    else merged.Add(symbols[i]);
                }
                symbols = merged;
            }
            foreach (var s in symbols) ids.Add(_vocab[s]);
        }
    }
}
