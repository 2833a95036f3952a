using System.IO.Compression;
using System.Runtime.InteropServices;
using System.Text.Json;
using DataForge.Quality.Features;

namespace DataForge.Quality.Model;

/// <summary>
/// A trained quality classifier: featuriser settings plus the linear model and Platt calibrator ML.NET learned.
/// The model zip is ML.NET's own (loadable with <c>MLContext.Model.Load</c>, input column <c>Features</c>) with two
/// DataForge entries added: <c>dataforge/featurizer.json</c> and <c>dataforge/linear.bin</c> (weights, bias, calibrator),
/// so batch scoring is a sparse dot product without ML.NET's per-row machinery.
/// </summary>
public sealed class QualityModel
{
    public const string SettingsEntry = "dataforge/featurizer.json";
    public const string WeightsEntry = "dataforge/linear.bin";
    const int FormatVersion = 1;

    public QualityModel(FeaturizerSettings settings, float[] weights, float bias, double slope, double offset)
    {
        if (weights.Length != settings.Dimension) throw new ArgumentException($"{weights.Length} weights for a {settings.Dimension}-dimensional feature space");
        Settings = settings;
        Weights = weights;
        Bias = bias;
        Slope = slope;
        Offset = offset;
    }

    public FeaturizerSettings Settings { get; }
    public float[] Weights { get; }
    public float Bias { get; }
    /// <summary>Platt calibration: P = 1 / (1 + exp(Slope * score + Offset)), as ML.NET's PlattCalibrator.</summary>
    public double Slope { get; }
    public double Offset { get; }

    /// <summary>The linear score (ML.NET's <c>Score</c> column) of a sparse feature vector.</summary>
    public float RawScore(ReadOnlySpan<int> indices, ReadOnlySpan<float> values)
    {
        float s = 0;
        var w = Weights;
        for (int k = 0; k < indices.Length; k++) s += w[indices[k]] * values[k];
        return s + Bias;
    }

    public float Calibrate(float score) => float.IsNaN(score) ? score : (float)(1 / (1 + Math.Exp(Slope * score + Offset)));

    /// <summary>Probability that the document is high quality.</summary>
    public float Score(ReadOnlySpan<byte> text, HashedFeaturizer featurizer, ref int[] indices, ref float[] values)
    {
        int n = featurizer.Featurize(text, ref indices, ref values);
        return Calibrate(RawScore(indices.AsSpan(0, n), values.AsSpan(0, n)));
    }

    /// <summary>Adds the DataForge entries to an ML.NET model zip.</summary>
    public void AppendTo(string zipPath)
    {
        using var zip = ZipFile.Open(zipPath, ZipArchiveMode.Update);
        zip.GetEntry(SettingsEntry)?.Delete();
        zip.GetEntry(WeightsEntry)?.Delete();
        using (var s = zip.CreateEntry(SettingsEntry, CompressionLevel.Optimal).Open())
            JsonSerializer.Serialize(s, new SavedSettings(FormatVersion, Settings));
        using var w = new BinaryWriter(zip.CreateEntry(WeightsEntry, CompressionLevel.Optimal).Open());
        w.Write(FormatVersion);
        w.Write(Weights.Length);
        w.Write(MemoryMarshal.AsBytes(Weights.AsSpan()));
        w.Write(Bias);
        w.Write(Slope);
        w.Write(Offset);
    }

    sealed record SavedSettings(int Version, FeaturizerSettings Featurizer);

    static ZipArchive OpenZip(string path)
    {
        try
        {
            return ZipFile.OpenRead(path);
        }
        catch (InvalidDataException ex)
        {
            throw new InvalidDataException($"{path}: not a model zip ({ex.Message})", ex);
        }
    }

    /// <summary>Loads the DataForge entries of a model zip written by <c>dataforge quality train</c>.</summary>
    public static QualityModel Load(string zipPath)
    {
        if (!File.Exists(zipPath)) throw new FileNotFoundException($"quality model not found: {zipPath}", zipPath);
        try
        {
            using var zip = OpenZip(zipPath);
            var se = zip.GetEntry(SettingsEntry) ?? throw new InvalidDataException($"{zipPath}: no {SettingsEntry} entry; is this a model written by 'dataforge quality train'?");
            var we = zip.GetEntry(WeightsEntry) ?? throw new InvalidDataException($"{zipPath}: no {WeightsEntry} entry; is this a model written by 'dataforge quality train'?");
            SavedSettings saved;
            using (var s = se.Open())
                saved = JsonSerializer.Deserialize<SavedSettings>(s) ?? throw new InvalidDataException($"{zipPath}: empty {SettingsEntry}");
            if (saved.Version != FormatVersion) throw new InvalidDataException($"{zipPath}: model format version {saved.Version}, expected {FormatVersion}");
            saved.Featurizer.Validate();
            using var r = new BinaryReader(we.Open());
            if (r.ReadInt32() != FormatVersion) throw new InvalidDataException($"{zipPath}: {WeightsEntry} has an unknown format version");
            int n = r.ReadInt32();
            if (n != saved.Featurizer.Dimension) throw new InvalidDataException($"{zipPath}: {n} weights, featuriser expects {saved.Featurizer.Dimension}");
            var weights = new float[n];
            r.BaseStream.ReadExactly(MemoryMarshal.AsBytes(weights.AsSpan()));
            float bias = r.ReadSingle();
            double slope = r.ReadDouble(), offset = r.ReadDouble();
            return new QualityModel(saved.Featurizer, weights, bias, slope, offset);
        }
        catch (Exception ex) when (ex is EndOfStreamException or JsonException or ArgumentException)
        {
            throw new InvalidDataException($"{zipPath}: corrupt quality model: {ex.Message}", ex);
        }
    }
}
