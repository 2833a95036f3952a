using DataForge.Determinism;
using System.Diagnostics;
using DataForge.Quality.Features;
using Microsoft.ML;
using Microsoft.ML.Calibrators;
using Microsoft.ML.Data;
using Microsoft.ML.Trainers;

namespace DataForge.Quality.Model;

/// <summary>Options of <c>dataforge quality train</c>.</summary>
public sealed record QualityTrainOptions
{
    public FeaturizerSettings Featurizer { get; init; } = new();
    public int Seed { get; init; } = 42;
    /// <summary>Fraction of the balanced data held out for evaluation.</summary>
    public double Holdout { get; init; } = 0.1;
    /// <summary>At most this many documents per class (after balancing); 0 = no cap.</summary>
    public int MaxPerClass { get; init; }
    /// <summary>"sdca" (SDCA logistic regression) or "lbfgs" (L-BFGS logistic regression).</summary>
    public string Trainer { get; init; } = "sdca";
    /// <summary>L2 regularisation; null = the trainer's default (SDCA tunes it from the data).</summary>
    public float? L2 { get; init; }
    /// <summary>Passes over the data (SDCA) / iterations (L-BFGS); null = the trainer's default.</summary>
    public int? Iterations { get; init; }

    public void Validate()
    {
        Featurizer.Validate();
        if (Holdout is <= 0 or >= 1) throw new ArgumentException($"holdout must be between 0 and 1 (exclusive), got {Holdout}");
        if (MaxPerClass < 0) throw new ArgumentException($"max-per-class must be >= 0, got {MaxPerClass}");
        if (Trainer is not ("sdca" or "lbfgs")) throw new ArgumentException($"trainer must be sdca or lbfgs, got '{Trainer}'");
        if (L2 is < 0) throw new ArgumentException($"l2 must be >= 0, got {L2}");
        if (Iterations is < 1) throw new ArgumentException($"iterations must be >= 1, got {Iterations}");
    }
}

/// <summary>What training produced: the model, its held-out evaluation and timings.</summary>
public sealed record QualityTrainResult(QualityModel Model, Evaluation Evaluation, int TrainDocuments, int HeldOutDocuments,
    int PositivesRead, int NegativesRead, double FeaturizeSeconds, double TrainSeconds);

/// <summary>One labelled sparse example in ML.NET's terms.</summary>
public sealed class QualityExample
{
    public bool Label { get; set; }
    public VBuffer<float> Features { get; set; }
}

/// <summary>ML.NET's prediction columns for <see cref="QualityExample"/>.</summary>
public sealed class QualityPrediction
{
    public float Score { get; set; }
    public float Probability { get; set; }
}

/// <summary>
/// Trains the quality classifier: featurise (in parallel, deterministic), balance the classes by seeded
/// down-sampling, hold out a seeded stratified split, fit ML.NET's logistic regression (single-threaded so
/// the result is reproducible), evaluate on the held-out part, and save ML.NET's zip plus DataForge's entries.
/// </summary>
public static class QualityTrainer
{
    public static SchemaDefinition Schema(int dimension)
    {
        var sd = SchemaDefinition.Create(typeof(QualityExample));
        sd[nameof(QualityExample.Features)].ColumnType = new VectorDataViewType(NumberDataViewType.Single, dimension);
        return sd;
    }

    /// <summary>Sparse features of every document (parallel; results in input order).</summary>
    public static VBuffer<float>[] Featurize(IReadOnlyList<byte[]> docs, FeaturizerSettings settings)
    {
        var result = new VBuffer<float>[docs.Count];
        using var pool = new FeaturizerPool(settings);
        Parallel.For(0, docs.Count, () => (new int[256], new float[256]), (i, _, buf) =>
        {
            var (idx, val) = buf;
            int n = pool.Get().Featurize(docs[i], ref idx, ref val);
            result[i] = new VBuffer<float>(settings.Dimension, n, val[..n], idx[..n]);
            return (idx, val);
        }, _ => { });
        return result;
    }

    static List<int> Shuffled(int n, SubtractiveRandom rng)
    {
        var l = Enumerable.Range(0, n).ToList();
        for (int i = n - 1; i > 0; i--)
        {
            int j = rng.Next(i + 1);
            (l[i], l[j]) = (l[j], l[i]);
        }
        return l;
    }

    public static QualityTrainResult Train(IReadOnlyList<byte[]> positives, IReadOnlyList<byte[]> negatives, QualityTrainOptions o, string outPath, Action<string>? log = null)
    {
        o.Validate();
        if (positives.Count < 2 || negatives.Count < 2) throw new ArgumentException($"need at least 2 positive and 2 negative documents, got {positives.Count} and {negatives.Count}");
        var sw = Stopwatch.StartNew();
        int perClass = Math.Min(positives.Count, negatives.Count);
        if (o.MaxPerClass > 0) perClass = Math.Min(perClass, o.MaxPerClass);
        // Which documents are sampled and held out (and so the model) follows this generator's sequence, the one
        // quality models have always been trained with; SplitMix64 would change every trained model.
        var rng = new SubtractiveRandom(o.Seed);
        var posIdx = Shuffled(positives.Count, rng).Take(perClass).ToList();
        var negIdx = Shuffled(negatives.Count, rng).Take(perClass).ToList();
        int held = Math.Max(1, (int)Math.Round(perClass * o.Holdout));
        if (held >= perClass) throw new ArgumentException($"hold-out of {held} leaves nothing to train on ({perClass} documents per class)");
        log?.Invoke($"balanced: {perClass} documents per class (read {positives.Count} positive, {negatives.Count} negative); holding out {held} per class");

        var trainDocs = new List<byte[]>(2 * (perClass - held));
        var trainLabels = new List<bool>();
        var testDocs = new List<byte[]>(2 * held);
        var testLabels = new List<bool>();
        for (int k = 0; k < perClass; k++)
        {
            bool test = k < held;
            (test ? testDocs : trainDocs).Add(positives[posIdx[k]]);
            (test ? testLabels : trainLabels).Add(true);
            (test ? testDocs : trainDocs).Add(negatives[negIdx[k]]);
            (test ? testLabels : trainLabels).Add(false);
        }
        // Interleave classes in a seeded random order (SDCA also shuffles, but the input order should not matter).
        var order = Shuffled(trainDocs.Count, rng);
        var trainFeatures = Featurize(trainDocs, o.Featurizer);
        double featurizeSeconds = sw.Elapsed.TotalSeconds;
        var examples = order.Select(i => new QualityExample { Label = trainLabels[i], Features = trainFeatures[i] }).ToList();

        sw.Restart();
        var ml = new MLContext(o.Seed);
        var data = ml.Data.LoadFromEnumerable(examples, Schema(o.Featurizer.Dimension));
        var transformer = Fit(ml, data, o);
        double trainSeconds = sw.Elapsed.TotalSeconds;
        log?.Invoke($"trained {o.Trainer} on {examples.Count} documents in {trainSeconds:F1}s (featurised in {featurizeSeconds:F1}s)");

        var linear = transformer.Model.SubModel;
        var weights = new float[o.Featurizer.Dimension];
        linear.Weights.ToArray().CopyTo(weights, 0);
        var model = new QualityModel(o.Featurizer, weights, linear.Bias, transformer.Model.Calibrator.Slope, transformer.Model.Calibrator.Offset);

        string? dir = Path.GetDirectoryName(Path.GetFullPath(outPath));
        if (dir is not null) Directory.CreateDirectory(dir);
        string tmp = outPath + ".tmp";
        ml.Model.Save(transformer, data.Schema, tmp);
        model.AppendTo(tmp);
        File.Move(tmp, outPath, true);

        var eval = Evaluate(model, testDocs, testLabels);
        return new QualityTrainResult(model, eval, examples.Count, testDocs.Count, positives.Count, negatives.Count, featurizeSeconds, trainSeconds);
    }

    static BinaryPredictionTransformer<CalibratedModelParametersBase<LinearBinaryModelParameters, PlattCalibrator>> Fit(MLContext ml, IDataView data, QualityTrainOptions o)
    {
        if (o.Trainer == "lbfgs")
        {
            var lo = new LbfgsLogisticRegressionBinaryTrainer.Options
            {
                LabelColumnName = nameof(QualityExample.Label),
                FeatureColumnName = nameof(QualityExample.Features),
                NumberOfThreads = 1,
            };
            if (o.L2 is { } l2) lo.L2Regularization = l2;
            if (o.Iterations is { } it) lo.MaximumNumberOfIterations = it;
            return ml.BinaryClassification.Trainers.LbfgsLogisticRegression(lo).Fit(data);
        }
        var so = new SdcaLogisticRegressionBinaryTrainer.Options
        {
            LabelColumnName = nameof(QualityExample.Label),
            FeatureColumnName = nameof(QualityExample.Features),
            NumberOfThreads = 1,
            L2Regularization = o.L2,
            MaximumNumberOfIterations = o.Iterations,
        };
        return ml.BinaryClassification.Trainers.SdcaLogisticRegression(so).Fit(data);
    }

    /// <summary>Scores labelled documents with the fast path and evaluates them.</summary>
    public static Evaluation Evaluate(QualityModel model, IReadOnlyList<byte[]> docs, IReadOnlyList<bool> labels)
        => Evaluation.Compute(QualityScorer.ScoreAll(model, docs), labels);
}

/// <summary>Batch scoring with a <see cref="QualityModel"/> (parallel over documents, deterministic results).</summary>
public static class QualityScorer
{
    public static float[] ScoreAll(QualityModel model, IReadOnlyList<byte[]> docs)
    {
        var scores = new float[docs.Count];
        using var pool = new FeaturizerPool(model.Settings);
        Parallel.For(0, docs.Count, () => (new int[256], new float[256]), (i, _, buf) =>
        {
            var (idx, val) = buf;
            scores[i] = model.Score(docs[i], pool.Get(), ref idx, ref val);
            return (idx, val);
        }, _ => { });
        return scores;
    }
}
