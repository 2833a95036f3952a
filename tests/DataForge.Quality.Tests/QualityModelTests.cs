using System.Text;
using DataForge.Quality.Features;
using DataForge.Quality.Model;
using DataForge.Tests;
using Microsoft.ML;
using Microsoft.ML.Data;

namespace DataForge.Quality.Tests;

public class QualityModelTests
{
    static readonly QualityTrainOptions Small = new() { Featurizer = new FeaturizerSettings { HashBits = 16 }, Seed = 7 };

    [Fact]
    public void Fast_scoring_equals_MLNET_prediction_from_the_saved_zip()
    {
        using var dir = new TempDir();
        var (pos, neg) = QualityData.Make(300, 1);
        var r = QualityTrainer.Train(pos, neg, Small with { Featurizer = Small.Featurizer with { CharMin = 3, CharMax = 4 } }, dir["m.zip"]);
        Assert.True(r.Evaluation.Auc > 0.9, $"auc {r.Evaluation.Auc}");

        var model = QualityModel.Load(dir["m.zip"]);
        var ml = new MLContext(1);
        var loaded = ml.Model.Load(dir["m.zip"], out _);
        var (testPos, testNeg) = QualityData.Make(100, 99);
        var docs = testPos.Concat(testNeg).ToList();
        var features = QualityTrainer.Featurize(docs, model.Settings);
        var view = ml.Data.LoadFromEnumerable(features.Select(f => new QualityExample { Features = f }), QualityTrainer.Schema(model.Settings.Dimension));
        var predicted = ml.Data.CreateEnumerable<QualityPrediction>(loaded.Transform(view), reuseRowObject: false).ToList();
        var fast = QualityScorer.ScoreAll(model, docs);
        Assert.Equal(docs.Count, predicted.Count);
        for (int i = 0; i < docs.Count; i++)
        {
            var f = features[i];
            // Same sum in another order: float rounding only.
            Assert.True(Math.Abs(predicted[i].Score - model.RawScore(f.GetIndices(), f.GetValues())) <= 1e-4 * Math.Max(1, Math.Abs(predicted[i].Score)));
            Assert.True(Math.Abs(predicted[i].Probability - fast[i]) <= 1e-5, $"doc {i}: ML.NET {predicted[i].Probability}, DataForge {fast[i]}");
        }
        Assert.Contains(fast, p => p > 0.9);
        Assert.Contains(fast, p => p < 0.1);
    }

    [Fact]
    public void Training_is_deterministic_for_a_seed()
    {
        using var dir = new TempDir();
        var (pos, neg) = QualityData.Make(200, 2);
        QualityTrainer.Train(pos, neg, Small, dir["a.zip"]);
        QualityTrainer.Train(pos, neg, Small, dir["b.zip"]);
        var a = QualityModel.Load(dir["a.zip"]);
        var b = QualityModel.Load(dir["b.zip"]);
        Assert.Equal(a.Weights, b.Weights);
        Assert.Equal(a.Bias, b.Bias);
    }

    [Fact]
    public void Balances_classes_and_holds_out_a_stratified_split()
    {
        using var dir = new TempDir();
        var (pos, neg) = QualityData.Make(300, 3);
        var r = QualityTrainer.Train(pos.Take(120).ToList(), neg, Small with { Holdout = 0.25 }, dir["m.zip"]);
        Assert.Equal(30, r.Evaluation.Positives);
        Assert.Equal(30, r.Evaluation.Negatives);
        Assert.Equal(180, r.TrainDocuments);
        var lbfgs = QualityTrainer.Train(pos, neg, Small with { Trainer = "lbfgs" }, dir["l.zip"]);
        Assert.True(lbfgs.Evaluation.Auc > 0.9);
    }

    [Fact]
    public void Evaluation_metrics_by_hand()
    {
        // Scores 0.9(+) 0.8(-) 0.7(+) 0.6(+) 0.4(-) 0.3(-) 0.2(+) 0.1(-) 0.05(-) 0.01(-)
        float[] s = [0.9f, 0.8f, 0.7f, 0.6f, 0.4f, 0.3f, 0.2f, 0.1f, 0.05f, 0.01f];
        bool[] y = [true, false, true, true, false, false, true, false, false, false];
        var e = Evaluation.Compute(s, y);
        // Pairs (pos, neg) ranked correctly: 0.9 beats 6, 0.7 beats 5, 0.6 beats 5, 0.2 beats 3 = 19 of 24.
        Assert.Equal(19.0 / 24, e.Auc, 9);
        Assert.Equal(0.9, e.Top10.Threshold, 6);
        Assert.Equal(1.0, e.Top10.Precision);
        Assert.Equal(0.25, e.Top10.Recall);
        Assert.Equal(0.8, e.Top20.Threshold, 6);
        Assert.Equal(0.5, e.Top20.Precision);
        Assert.Equal(0.75, e.AtHalf.Recall);
        Assert.Equal(0.75, e.AtHalf.Precision);
        Assert.Equal(0.75, e.AtHalf.F1, 9);
        // Ties share their rank.
        Assert.Equal(0.5, Evaluation.Compute([0.5f, 0.5f], [true, false]).Auc);
    }

    [Fact]
    public void Featurizer_normalises_case_and_digits_and_L2_normalises()
    {
        var f = new HashedFeaturizer(new FeaturizerSettings { HashBits = 18 });
        int[] i1 = [], i2 = [];
        float[] v1 = [], v2 = [];
        int n1 = f.Featurize("The Year 1999 was GOOD."u8, ref i1, ref v1);
        var a = (i1[..n1], v1[..n1]);
        int n2 = f.Featurize("the year 2024 was good ."u8, ref i2, ref v2);
        Assert.Equal(a.Item1, i2[..n2]);
        Assert.Equal(a.Item2, v2[..n2]);
        for (int k = 1; k < n1; k++) Assert.True(i1[k] > i1[k - 1]);
        Assert.Equal(1.0, a.Item2.Sum(v => (double)v * v), 5);
        int n3 = f.Featurize("the year was good."u8, ref i2, ref v2);
        Assert.NotEqual(a.Item1, i2[..n3]);
        // Bigrams: word order matters.
        int n4 = f.Featurize("good was year the."u8, ref i2, ref v2);
        var bag = new HashedFeaturizer(new FeaturizerSettings { HashBits = 18, WordNgrams = 1 });
        int[] i5 = [];
        float[] v5 = [];
        Assert.NotEqual(0, f.Featurize("a b c"u8, ref i2, ref v2));
        Assert.True(n4 > bag.Featurize("good was year the."u8, ref i5, ref v5));
        Assert.Equal(1, f.Featurize(""u8, ref i2, ref v2)); // only the length bucket
    }

    [Fact]
    public void Corrupt_or_foreign_model_files_are_clear_errors()
    {
        using var dir = new TempDir();
        dir.Write("x.zip", "not a zip");
        Assert.Throws<InvalidDataException>(() => QualityModel.Load(dir["x.zip"]));
        using (var z = System.IO.Compression.ZipFile.Open(dir["empty.zip"], System.IO.Compression.ZipArchiveMode.Create)) z.CreateEntry("a.txt");
        var ex = Assert.Throws<InvalidDataException>(() => QualityModel.Load(dir["empty.zip"]));
        Assert.Contains("quality train", ex.Message, StringComparison.Ordinal);
        Assert.Throws<FileNotFoundException>(() => QualityModel.Load(dir["missing.zip"]));
    }

    [Fact]
    public void Reads_jsonl_and_plain_text_with_located_errors()
    {
        using var dir = new TempDir();
        dir.Write("a.jsonl", "{\"text\":\"one\"}\n\n{\"text\":\"two\"}\n");
        dir.Write("b.txt", "three\nfour\n");
        var docs = LabelledText.Read([dir["a.jsonl"], dir["b.txt"]]).Select(Encoding.UTF8.GetString).ToList();
        Assert.Equal(["one", "two", "three", "four"], docs);
        dir.Write("bad.jsonl", "{\"text\":\"ok\"}\n{\"txt\":1}\n");
        var ex = Assert.Throws<DataForge.Execution.InputException>(() => LabelledText.Read([dir["bad.jsonl"]]).ToList());
        Assert.Contains("bad.jsonl:2", ex.Message, StringComparison.Ordinal);
    }
}
