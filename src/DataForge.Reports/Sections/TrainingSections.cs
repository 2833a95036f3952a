using System.Text.Json;
using DataForge.Reports.Charts;
using DataForge.Reports.Html;

namespace DataForge.Reports.Sections;

/// <summary>One line of a training run's <c>metrics.jsonl</c> (docs/formats.md#training-run-directory).</summary>
/// <remarks><see cref="Tasks"/>: on evaluation lines of a run with <c>eval.tasks</c>, "task/metric" to value.</remarks>
public sealed record MetricsLine(long Step, long Tokens, double Lr, double Loss, double GradNorm, double TokensPerSecond, string Phase, double ValLoss,
    IReadOnlyDictionary<string, double> Tasks)
{
    /// <summary>Reads metrics.jsonl; a malformed line is an error naming the file and line.</summary>
    public static List<MetricsLine> ReadAll(string path)
    {
        var lines = new List<MetricsLine>();
        int n = 0;
        foreach (var line in File.ReadLines(path))
        {
            n++;
            if (string.IsNullOrWhiteSpace(line)) continue;
            try
            {
                using var doc = JsonDocument.Parse(line);
                var e = doc.RootElement;
                lines.Add(new MetricsLine(
                    e.GetProperty("step").GetInt64(),
                    Long(e, "tokens"), Num(e, "lr"), Num(e, "loss"), Num(e, "grad_norm"), Num(e, "tokens_per_s"),
                    e.TryGetProperty("phase", out var p) && p.ValueKind == JsonValueKind.String ? p.GetString()! : "",
                    Num(e, "val_loss"), TaskValues(e, path, n)));
            }
            catch (Exception ex) when (ex is JsonException or KeyNotFoundException or InvalidOperationException)
            {
                throw new InvalidDataException($"{path}:{n}: expected a JSON object with at least \"step\": {ex.Message}", ex);
            }
        }
        return lines;
    }

    static readonly IReadOnlyDictionary<string, double> NoTasks = new Dictionary<string, double>();

    /// <summary>The "tasks" object of an evaluation line; a null value (a task that could not be scored) is left out.</summary>
    static IReadOnlyDictionary<string, double> TaskValues(JsonElement e, string path, int line)
    {
        if (!e.TryGetProperty("tasks", out var tasks) || tasks.ValueKind == JsonValueKind.Null) return NoTasks;
        if (tasks.ValueKind != JsonValueKind.Object)
            throw new InvalidDataException($"{path}:{line}: \"tasks\": expected an object mapping \"task/metric\" to a number, found {tasks.ValueKind}");
        var values = new Dictionary<string, double>();
        foreach (var p in tasks.EnumerateObject())
        {
            if (p.Value.ValueKind == JsonValueKind.Number) values[p.Name] = p.Value.GetDouble();
            else if (p.Value.ValueKind != JsonValueKind.Null)
                throw new InvalidDataException($"{path}:{line}: \"tasks\".\"{p.Name}\": expected a number or null, found {p.Value.ValueKind}");
        }
        return values;
    }

    static double Num(JsonElement e, string name) =>
        e.TryGetProperty(name, out var v) && v.ValueKind == JsonValueKind.Number ? v.GetDouble() : double.NaN;

    static long Long(JsonElement e, string name) =>
        e.TryGetProperty(name, out var v) && v.ValueKind == JsonValueKind.Number ? v.GetInt64() : 0;
}

/// <summary>Loss, validation loss, learning rate and throughput curves of a training run.</summary>
public static class TrainingSections
{
    public static void Add(HtmlPage page, string prefix, string runName, string runDir)
    {
        var metrics = MetricsLine.ReadAll(Path.Combine(runDir, "metrics.jsonl"));
        var train = metrics.Where(m => double.IsFinite(m.Loss)).ToList();
        var evals = metrics.Where(m => double.IsFinite(m.ValLoss)).ToList();

        string t = prefix.Length > 0 ? runName + ": " : "";
        page.Section(prefix + "training", $"Training run {runName}: summary");
        if (metrics.Count == 0) page.Paragraph("metrics.jsonl is empty: the run logged no step.");
        else
        {
            var last = metrics[^1];
            double finalVal = evals.Count > 0 ? evals[^1].ValLoss : double.NaN;
            var speeds = train.Select(m => m.TokensPerSecond).Where(double.IsFinite).ToList();
            page.Table(["steps", "tokens", "final train loss", "final val loss", "val perplexity", "median tokens/s", "phases"],
                [[last.Step, last.Tokens, train.Count > 0 ? train[^1].Loss : double.NaN, finalVal, Math.Exp(finalVal),
                  speeds.Count > 0 ? Median(speeds) : double.NaN, string.Join(" -> ", metrics.Select(m => m.Phase).Where(p => p.Length > 0).Distinct())]]);
        }
        page.EndSection();

        page.Section(prefix + "loss", t + "Loss curves");
        if (train.Count == 0) page.Paragraph("No training loss logged.");
        else page.Figure(Chart.Lines("Loss", "step", "cross-entropy (nats/token)",
                ("train loss", train.Select(m => (double)m.Step).ToList(), train.Select(m => m.Loss).ToList()),
                ("validation loss", evals.Select(m => (double)m.Step).ToList(), evals.Select(m => m.ValLoss).ToList())),
            "Training loss per logged step and validation loss at each evaluation.");
        page.EndSection();

        TaskCurves(page, prefix, t, metrics);

        // One logged quantity per step; Chart.Lines leaves out steps where it is missing.
        void Curve(string id, string title, string chartTitle, string yLabel, Func<MetricsLine, double> y, string caption, string missing)
        {
            page.Section(prefix + id, t + title);
            if (!train.Any(m => double.IsFinite(y(m)))) page.Paragraph(missing);
            else page.Figure(Chart.Lines(chartTitle, "step", yLabel, (id, train.Select(m => (double)m.Step).ToList(), train.Select(y).ToList())), caption);
            page.EndSection();
        }
        Curve("lr", "Learning rate", "Learning rate schedule", "learning rate", m => m.Lr,
            "Warmup, stable and decay phases of the schedule as realised.", "No learning rate logged.");
        Curve("throughput", "Training throughput", "Tokens per second", "tokens/s", m => m.TokensPerSecond,
            "Training throughput per logged step.", "No throughput logged.");

        string samples = Path.Combine(runDir, "samples.txt");
        if (File.Exists(samples))
        {
            string text = File.ReadAllText(samples);
            page.Section(prefix + "samples", t + "Generated samples").Preformatted(text.Length > 20_000 ? text[..20_000] + "\n..." : text).EndSection();
        }
    }

    /// <summary>Each task/metric scored during training (metrics.jsonl "tasks"), over steps; no section when none was.</summary>
    static void TaskCurves(HtmlPage page, string prefix, string t, List<MetricsLine> metrics)
    {
        // Keys in the order they were first logged: the order of the run's tasks file.
        var keys = metrics.SelectMany(m => m.Tasks.Keys).Distinct().ToList();
        if (keys.Count == 0) return;
        page.Section(prefix + "tasks", t + "Evaluation tasks during training");
        foreach (var key in keys)
        {
            var points = metrics.Where(m => m.Tasks.ContainsKey(key)).ToList();
            string metric = key[(key.LastIndexOf('/') + 1)..];
            page.Figure(Chart.Lines(key, "step", metric, (key, points.Select(m => (double)m.Step).ToList(), points.Select(m => m.Tasks[key]).ToList())),
                $"{key} at each evaluation of the run ({points.Count} points).");
        }
        page.EndSection();
    }

    static double Median(List<double> xs)
    {
        var s = xs.Order().ToList();
        return s.Count % 2 == 1 ? s[s.Count / 2] : (s[s.Count / 2 - 1] + s[s.Count / 2]) / 2;
    }
}
