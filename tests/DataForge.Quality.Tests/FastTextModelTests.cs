using System.Text;
using DataForge.Quality.FastText;
using DataForge.Tests;

namespace DataForge.Quality.Tests;

public class FastTextModelTests
{
    static (List<string> Docs, string File) TestDocs(TempDir dir, int n)
    {
        var rng = new Random(77);
        var docs = new List<string> { "", "   ", "__label__hq", "__label__unknown word", "the theory", "zzz yyy" };
        for (int i = 0; i < n; i++) docs.Add(FastTextCli.Document(rng, rng.Next(2), unseen: i % 3 == 0));
        return (docs, dir.Write("test.txt", string.Join("\n", docs) + "\n"));
    }

    void CompareWithCli(string[] trainArgs, string[] labels)
    {
        using var dir = new TempDir();
        string train = FastTextCli.TrainingFile(dir["train.txt"], 600, 5, labels);
        string prefix = dir["model"];
        FastTextCli.Run(["supervised", "-input", train, "-output", prefix, "-thread", "1", "-seed", "3", "-verbose", "0", .. trainArgs]);
        var model = FastTextModel.Load(prefix + ".bin");
        var (docs, file) = TestDocs(dir, 300);
        var expected = FastTextCli.PredictProb(prefix + ".bin", file);
        Assert.Equal(docs.Count, expected.Count);
        var scratch = new FastTextModel.Scratch();
        var probs = new float[model.Labels.Count];
        double maxDiff = 0;
        int compared = 0;
        for (int i = 0; i < docs.Count; i++)
        {
            bool any = model.Predict(Encoding.UTF8.GetBytes(docs[i]), probs, scratch);
            if (expected[i].Count == 0) { Assert.False(any, $"doc {i}"); continue; }
            Assert.True(any);
            for (int l = 0; l < model.Labels.Count; l++)
            {
                double d = Math.Abs(probs[l] - expected[i][model.Labels[l]]);
                maxDiff = Math.Max(maxDiff, d);
                Assert.True(d <= 1e-4, $"doc {i} '{docs[i]}' label {model.Labels[l]}: DataForge {probs[l]}, fastText {expected[i][model.Labels[l]]}");
            }
            compared++;
        }
        Assert.True(compared > 250);
        // The scores must vary (a broken model that always says 0.5 would pass a loose comparison).
        Assert.Contains(expected, e => e.Values.Max() > 0.8);
    }

    [Fact]
    public void Softmax_with_word_bigrams_matches_predict_prob()
        => CompareWithCli(["-wordNgrams", "2", "-epoch", "10", "-dim", "16", "-bucket", "50000"], ["__label__hq", "__label__cc"]);

    [Fact]
    public void Character_ngrams_match_predict_prob()
        => CompareWithCli(["-wordNgrams", "2", "-minn", "2", "-maxn", "4", "-lr", "0.5", "-epoch", "20", "-dim", "12", "-bucket", "30000"], ["__label__hq", "__label__cc"]);

    [Fact]
    public void One_vs_all_with_three_labels_matches_predict_prob()
        => CompareWithCli(["-wordNgrams", "3", "-loss", "ova", "-epoch", "10", "-dim", "8", "-bucket", "20000"], ["__label__hq", "__label__cc", "__label__spam"]);

    [Fact]
    public void Unigram_model_without_buckets_matches_predict_prob()
        => CompareWithCli(["-epoch", "5", "-dim", "10"], ["__label__hq", "__label__cc"]);

    [Fact]
    public void Hash_sign_extends_bytes_like_fastText()
    {
        Assert.Equal(2166136261u, FastTextModel.Hash([]));
        // 'a' = 0x61: (2166136261 ^ 0x61) * 16777619 mod 2^32
        Assert.Equal(unchecked((2166136261u ^ 0x61u) * 16777619u), FastTextModel.Hash("a"u8));
        Assert.Equal(unchecked((2166136261u ^ 0xFFFFFFC3u) * 16777619u), FastTextModel.Hash([0xC3]));
    }

    [Fact]
    public void Quantized_and_truncated_models_fail_clearly()
    {
        using var dir = new TempDir();
        string train = FastTextCli.TrainingFile(dir["train.txt"], 300, 1, ["__label__hq", "__label__cc"]);
        FastTextCli.Run("supervised", "-input", train, "-output", dir["m"], "-thread", "1", "-epoch", "2", "-dim", "8", "-verbose", "0");
        FastTextCli.Run("quantize", "-output", dir["m"], "-input", train, "-thread", "1", "-verbose", "0");
        var ex = Assert.Throws<NotSupportedException>(() => FastTextModel.Load(dir["m.ftz"]));
        Assert.Contains("quantized", ex.Message, StringComparison.Ordinal);
        var bytes = File.ReadAllBytes(dir["m.bin"]);
        dir.Write("cut.bin", bytes[..(bytes.Length / 2)]);
        var cut = Assert.Throws<InvalidDataException>(() => FastTextModel.Load(dir["cut.bin"]));
        Assert.Contains("cut.bin", cut.Message, StringComparison.Ordinal);
        dir.Write("junk.bin", "not a model at all");
        Assert.Throws<InvalidDataException>(() => FastTextModel.Load(dir["junk.bin"]));
    }
}
