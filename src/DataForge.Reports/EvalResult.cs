using System.Globalization;
using DataForge.Configuration;

namespace DataForge.Reports;

/// <summary>One metric of one task in an evaluation; <see cref="Stderr"/> and <see cref="Seconds"/> are NaN when not given.</summary>
public sealed record EvalScore(string Task, string Kind, string Metric, double Value, double Stderr, long? N, double Seconds)
{
    /// <summary>"task/metric": the name a score goes by in comparisons and in metrics.jsonl's "tasks" object.</summary>
    public string Key => $"{Task}/{Metric}";
}

/// <summary>Size and speed of the model on the machine that evaluated it; a field not given is null or NaN.</summary>
public sealed record EdgeMetrics(long? Parameters, long? Bytes, double PeakRssMb, double PrefillTokensPerSecond, double DecodeTokensPerSecond);

/// <summary>
/// An <c>eval.json</c> as written by <c>dataforge eval</c> (docs/formats.md#evaluation-results-evaljson).
/// The optional fields (stderr, n, seconds, edge and its fields, the model's path and name) may be absent or null.
/// </summary>
public sealed record EvalResult(string File, string? Model, string? ModelName, string? TasksFile, double Seconds,
    IReadOnlyList<EvalScore> Scores, EdgeMetrics? Edge)
{
    /// <summary>Reads an eval.json; anything malformed is an <see cref="InvalidDataException"/> saying file:line:col, JSON path and what was expected.</summary>
    public static EvalResult Read(string path)
    {
        JsonNodeP root;
        try { root = JsonTree.Parse(System.IO.File.ReadAllBytes(path), path); }
        catch (JsonSyntaxException ex) { throw new InvalidDataException(ex.Message, ex); }
        var r = new FieldReader(path);
        r.Expect(root, JsonKind.Object, "a JSON object with \"tasks\"");
        var tasks = root["tasks"] ?? throw r.Missing(root, "tasks", "an array of task results");
        r.Expect(tasks, JsonKind.Array, "an array of task results");
        var scores = tasks.Items!.Select(t =>
        {
            r.Expect(t, JsonKind.Object, "a task result object (name, kind, metric, value, stderr, n, seconds)");
            return new EvalScore(r.String(t, "name"), r.OptString(t, "kind") ?? "", r.String(t, "metric"), r.Number(t, "value"),
                r.OptNumber(t, "stderr"), r.OptWhole(t, "n"), r.OptNumber(t, "seconds"));
        }).ToList();
        EdgeMetrics? edge = null;
        if (root["edge"] is { Kind: not JsonKind.Null } e)
        {
            r.Expect(e, JsonKind.Object, "an object of edge measurements");
            edge = new EdgeMetrics(r.OptWhole(e, "parameters"), r.OptWhole(e, "bytes"), r.OptNumber(e, "peak_rss_mb"),
                r.OptNumber(e, "prefill_tokens_per_s"), r.OptNumber(e, "decode_tokens_per_s"));
        }
        return new EvalResult(path, r.OptString(root, "model"), r.OptString(root, "model_name"), r.OptString(root, "tasks_file"),
            r.OptNumber(root, "seconds"), scores, edge);
    }

    /// <summary>Typed access to the fields of a positioned JSON tree, with errors that point at the offending value.</summary>
    sealed class FieldReader(string file)
    {
        public void Expect(JsonNodeP node, JsonKind kind, string what)
        {
            if (node.Kind != kind) throw At(node, $"expected {what}, found {node.KindName}");
        }

        public InvalidDataException Missing(JsonNodeP obj, string key, string what) =>
            new($"{file}:{obj.Line}:{obj.Column}: {JsonTree.PathOf(obj.Path, key)}: missing; expected {what}");

        InvalidDataException At(JsonNodeP node, string message) => new($"{file}:{node.Line}:{node.Column}: {node.Path}: {message}");

        public string String(JsonNodeP obj, string key) =>
            OptString(obj, key) ?? throw Missing(obj, key, "a string");

        public string? OptString(JsonNodeP obj, string key)
        {
            var v = obj[key];
            if (v is null || v.Kind == JsonKind.Null) return null;
            if (v.Kind != JsonKind.String) throw At(v, $"expected a string, found {v.KindName}");
            return v.Text;
        }

        public double Number(JsonNodeP obj, string key)
        {
            var v = obj[key];
            if (v is null || v.Kind == JsonKind.Null) throw Missing(obj, key, "a number");
            return OptNumber(obj, key);
        }

        public double OptNumber(JsonNodeP obj, string key)
        {
            var v = obj[key];
            if (v is null || v.Kind == JsonKind.Null) return double.NaN;
            if (v.Kind != JsonKind.Number) throw At(v, $"expected a number or null, found {v.KindName}");
            return double.Parse(v.Text!, NumberStyles.Float, CultureInfo.InvariantCulture);
        }

        public long? OptWhole(JsonNodeP obj, string key)
        {
            double d = OptNumber(obj, key);
            if (double.IsNaN(d)) return null;
            // Counts are whole numbers; 1.5e7 is accepted, 2.5 is not.
            if (d != Math.Floor(d) || Math.Abs(d) > 9e15) throw At(obj[key]!, $"expected a whole number, found {obj[key]!.Text}");
            return (long)d;
        }
    }
}
