using System.Text.Json;

namespace DataForge.Quality.Model;

/// <summary>Precision, recall and F1 of "positive when probability &gt;= threshold".</summary>
public sealed record ThresholdMetrics(double Threshold, double KeptFraction, double Precision, double Recall, double F1);

/// <summary>Binary-classifier evaluation on labelled scores: AUC and P/R/F1 at 0.5 and at the top-10% / top-20% thresholds.</summary>
public sealed record Evaluation(long Positives, long Negatives, double Auc, ThresholdMetrics AtHalf, ThresholdMetrics Top10, ThresholdMetrics Top20)
{
    public static Evaluation Compute(IReadOnlyList<float> scores, IReadOnlyList<bool> labels)
    {
        if (scores.Count != labels.Count) throw new ArgumentException("scores and labels differ in length");
        int n = scores.Count;
        long pos = labels.Count(l => l), neg = n - pos;
        var order = Enumerable.Range(0, n).OrderBy(i => scores[i]).ThenBy(i => i).ToArray();
        // AUC = (sum of positive ranks - pos(pos+1)/2) / (pos*neg), ties get their average rank.
        double rankSum = 0;
        for (int a = 0; a < n;)
        {
            int b = a;
            while (b + 1 < n && scores[order[b + 1]] == scores[order[a]]) b++;
            double avg = (a + b) / 2.0 + 1;
            for (int k = a; k <= b; k++) if (labels[order[k]]) rankSum += avg;
            a = b + 1;
        }
        double auc = pos == 0 || neg == 0 ? double.NaN : (rankSum - pos * (pos + 1) / 2.0) / ((double)pos * neg);
        return new Evaluation(pos, neg, auc, At(0.5, scores, labels, pos), Top(0.1, order, scores, labels, pos), Top(0.2, order, scores, labels, pos));
    }

    /// <summary>The threshold keeping the top <paramref name="fraction"/>: the score of the ceil(fraction*n)-th highest document.</summary>
    static ThresholdMetrics Top(double fraction, int[] ascending, IReadOnlyList<float> scores, IReadOnlyList<bool> labels, long pos)
    {
        int n = ascending.Length;
        if (n == 0) return new ThresholdMetrics(double.NaN, 0, 0, 0, 0);
        int k = Math.Max(1, (int)Math.Ceiling(fraction * n));
        return At(scores[ascending[n - k]], scores, labels, pos);
    }

    static ThresholdMetrics At(double threshold, IReadOnlyList<float> scores, IReadOnlyList<bool> labels, long pos)
    {
        long kept = 0, tp = 0;
        for (int i = 0; i < scores.Count; i++)
            if (scores[i] >= threshold) { kept++; if (labels[i]) tp++; }
        double p = kept == 0 ? 0 : (double)tp / kept, r = pos == 0 ? 0 : (double)tp / pos;
        double f1 = p + r == 0 ? 0 : 2 * p * r / (p + r);
        return new ThresholdMetrics(threshold, scores.Count == 0 ? 0 : (double)kept / scores.Count, p, r, f1);
    }

    public void Write(Utf8JsonWriter w, IReadOnlyDictionary<string, object>? extra = null)
    {
        w.WriteStartObject();
        w.WriteNumber("auc", Math.Round(Auc, 6));
        w.WriteNumber("positives", Positives);
        w.WriteNumber("negatives", Negatives);
        WriteAt(w, "at_0.5", AtHalf);
        WriteAt(w, "top_10pct", Top10);
        WriteAt(w, "top_20pct", Top20);
        if (extra is not null)
            foreach (var (k, v) in extra)
            {
                w.WritePropertyName(k);
                JsonSerializer.Serialize(w, v);
            }
        w.WriteEndObject();
    }

    static void WriteAt(Utf8JsonWriter w, string name, ThresholdMetrics m)
    {
        w.WriteStartObject(name);
        w.WriteNumber("threshold", Math.Round(m.Threshold, 6));
        w.WriteNumber("kept_fraction", Math.Round(m.KeptFraction, 6));
        w.WriteNumber("precision", Math.Round(m.Precision, 6));
        w.WriteNumber("recall", Math.Round(m.Recall, 6));
        w.WriteNumber("f1", Math.Round(m.F1, 6));
        w.WriteEndObject();
    }

    public string ToJson(IReadOnlyDictionary<string, object>? extra = null)
    {
        using var ms = new MemoryStream();
        using (var w = new Utf8JsonWriter(ms, new JsonWriterOptions { Indented = true })) Write(w, extra);
        return System.Text.Encoding.UTF8.GetString(ms.ToArray());
    }
}
