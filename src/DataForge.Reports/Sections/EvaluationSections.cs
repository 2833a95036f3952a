using System.Globalization;
using DataForge.Reports.Charts;
using DataForge.Reports.Html;

namespace DataForge.Reports.Sections;

/// <summary>Task scores and edge measurements of evaluated models (eval.json), and a comparison when there are several.</summary>
public static class EvaluationSections
{
    /// <summary>One model's scores and, when measured, its size and speed.</summary>
    public static void Add(HtmlPage page, string prefix, string modelName, EvalResult r)
    {
        page.Section(prefix + "evaluation", $"Evaluation {modelName}");
        var about = new List<string>();
        if (r.Model is { Length: > 0 }) about.Add($"model {r.Model}");
        if (r.TasksFile is { Length: > 0 }) about.Add($"tasks from {r.TasksFile}");
        if (double.IsFinite(r.Seconds)) about.Add($"{r.Seconds.ToString("0.#", CultureInfo.InvariantCulture)} s in all");
        string text = string.Join("; ", about);
        if (text.Length > 0) page.Paragraph(char.ToUpperInvariant(text[0]) + text[1..] + ".");
        if (r.Scores.Count == 0) page.Paragraph("The evaluation lists no task.");
        else page.Table(["task", "kind", "metric", "value ± stderr", "n", "seconds"],
            r.Scores.Select(s => (IReadOnlyList<object?>)[s.Task, s.Kind, s.Metric, new WithError(s.Value, s.Stderr), s.N, s.Seconds]));
        if (r.Edge is { } e)
            page.Paragraph("On the machine that ran the evaluation:")
                .Table(["parameters", "size on disk (MB)", "peak RSS (MB)", "prefill tokens/s", "decode tokens/s"],
                    [[e.Parameters, e.Bytes is { } b ? b / 1e6 : double.NaN, e.PeakRssMb, e.PrefillTokensPerSecond, e.DecodeTokensPerSecond]]);
        else page.Paragraph("No edge measurements (size, memory, speed) in this evaluation.");
        page.EndSection();
    }

    /// <summary>
    /// Models x tasks: one row per model, one column per task/metric, the best value of each column in bold,
    /// and a grouped bar chart of the same values.
    /// </summary>
    public static void Compare(HtmlPage page, IReadOnlyList<(string Name, EvalResult Result)> models)
    {
        // Columns in the order they first appear: the order of the tasks file, which groups related tasks.
        var columns = models.SelectMany(m => m.Result.Scores).GroupBy(s => s.Key).Select(g => g.First()).ToList();
        // A task/metric given twice in one file counts once, as its first value.
        var scores = models.Select(m => m.Result.Scores.GroupBy(s => s.Key).ToDictionary(g => g.Key, g => g.First())).ToList();
        double Value(int model, EvalScore column) => scores[model].TryGetValue(column.Key, out var s) ? s.Value : double.NaN;
        double Error(int model, EvalScore column) => scores[model].TryGetValue(column.Key, out var s) ? s.Stderr : double.NaN;

        var best = columns.Select(c =>
        {
            var values = Enumerable.Range(0, models.Count).Select(m => Value(m, c)).Where(double.IsFinite).ToList();
            // "Best" of a single model is no comparison: nothing is bold then.
            return values.Count < 2 ? double.NaN : LowerIsBetter(c.Kind, c.Metric) ? values.Min() : values.Max();
        }).ToList();

        page.Section("eval-comparison", "Models x tasks");
        if (columns.Count == 0) page.Paragraph("No evaluated model lists a task.");
        else
        {
            page.Paragraph("Best value of each column in bold. Higher is better, except for perplexity, bits-per-byte, loss and NLL metrics "
                           + "(and every metric of a perplexity task), where lower is better.")
                .Table(["model", .. columns.Select(c => c.Key)], models.Select((m, i) => (IReadOnlyList<object?>)[m.Name,
                    .. columns.Select((c, j) => Value(i, c) is var v && v == best[j] ? new Strong(v) : (object)v)]))
                .Figure(Chart.GroupedHorizontalBars("Scores per task/metric", columns.Select(c => c.Key).ToList(),
                        models.Select((m, i) => (m.Name, (IReadOnlyList<double>)columns.Select(c => Value(i, c)).ToList(),
                            (IReadOnlyList<double>)columns.Select(c => Error(i, c)).ToList())).ToList(), "value"),
                    "Each task/metric across models, with ± one standard error where given. Metrics differ in scale and direction: see the table.");
        }
        page.EndSection();
    }

    static readonly string[] LowerBetterNames = ["perplexity", "ppl", "bits_per_byte", "bpb", "loss", "nll"];

    /// <summary>Whether a smaller value of this metric is the better one (perplexity, bits per byte, loss, NLL).</summary>
    public static bool LowerIsBetter(string kind, string metric) =>
        kind.Equals("perplexity", StringComparison.OrdinalIgnoreCase)
        || LowerBetterNames.Any(n => metric.Contains(n, StringComparison.OrdinalIgnoreCase));
}
