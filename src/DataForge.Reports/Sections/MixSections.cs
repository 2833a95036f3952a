using System.Text.Json;
using DataForge.Reports.Charts;
using DataForge.Reports.Html;

namespace DataForge.Reports.Sections;

/// <summary>One row of a mixture: a source (and bucket) within a phase.</summary>
public sealed record MixRow(string Phase, string Source, string Bucket, double Available, double Requested, double Realised, double Epochs, double MaxEpochs);

/// <summary>Mixture proportions and epochs per source, from <c>mix_report.json</c>.</summary>
public static class MixSections
{
    /// <summary>
    /// Reads mix_report.json: <c>{"phases": [{"name", "sources": [{"source", "bucket", "tokens_available",
    /// "tokens_requested", "tokens_realised", "epochs", "max_epochs"}]}]}</c> (docs/mixing.md).
    /// </summary>
    public static List<MixRow> Read(string path)
    {
        using var doc = JsonDocument.Parse(File.ReadAllBytes(path));
        var rows = new List<MixRow>();
        if (!doc.RootElement.TryGetProperty("phases", out var phases) || phases.ValueKind != JsonValueKind.Array)
            throw new InvalidDataException($"{path}: expected a \"phases\" array");
        int pi = 0;
        foreach (var phase in phases.EnumerateArray())
        {
            string name = Str(phase, "name") ?? Str(phase, "phase") ?? $"phase {pi}";
            if (!phase.TryGetProperty("sources", out var sources) || sources.ValueKind != JsonValueKind.Array)
                throw new InvalidDataException($"{path}: $.phases[{pi}]: expected a \"sources\" array");
            foreach (var s in sources.EnumerateArray())
                rows.Add(new MixRow(name, Str(s, "source") ?? Str(s, "name") ?? "?", Str(s, "bucket") ?? "",
                    Num(s, "tokens_available"), Num(s, "tokens_requested"), Num(s, "tokens_realised"), Num(s, "epochs"), Num(s, "max_epochs")));
            pi++;
        }
        return rows;
    }

    public static void Add(HtmlPage page, string prefix, string runName, string path)
    {
        var rows = Read(path);
        page.Section(prefix + "mixture", $"Mixture {runName}: proportions and epochs");
        foreach (var phase in rows.GroupBy(r => r.Phase))
        {
            var list = phase.ToList();
            double total = list.Sum(r => r.Realised);
            var labels = list.Select(r => r.Bucket.Length > 0 ? $"{r.Source}/{r.Bucket}" : r.Source).ToList();
            page.Figure(Chart.HorizontalBars($"Phase {phase.Key}: share of tokens", labels, list.Select(r => total > 0 ? 100 * r.Realised / total : 0).ToList(), "% of phase tokens"),
                    $"Realised token share per source in phase {phase.Key} ({total:N0} tokens).")
                .Figure(Chart.HorizontalBars($"Phase {phase.Key}: epochs per source", labels, list.Select(r => double.IsFinite(r.Epochs) ? r.Epochs : 0).ToList(), "epochs"),
                    "How many times each source's tokens were used (repetition; capped by max_epochs).")
                .Table(["source", "bucket", "tokens available", "requested", "realised", "share %", "epochs", "max epochs"],
                    list.Select(r => (IReadOnlyList<object?>)[r.Source, r.Bucket, r.Available, r.Requested, r.Realised,
                        total > 0 ? 100 * r.Realised / total : double.NaN, r.Epochs, r.MaxEpochs]));
        }
        if (rows.Count == 0) page.Paragraph("The mixture report lists no source.");
        page.EndSection();
    }

    static string? Str(JsonElement e, string name) =>
        e.TryGetProperty(name, out var v) && v.ValueKind == JsonValueKind.String ? v.GetString() : null;

    static double Num(JsonElement e, string name) =>
        e.TryGetProperty(name, out var v) && v.ValueKind == JsonValueKind.Number ? v.GetDouble() : double.NaN;
}
