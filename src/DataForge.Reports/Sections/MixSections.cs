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
    /// Reads mix_report.json as written by <c>dataforge mix</c> (docs/mixing.md): per phase its <c>entries</c>
    /// (source, bucket, available/requested/realised tokens, epochs), with each key's cap from <c>sources</c>.
    /// </summary>
    public static (List<MixRow> Rows, List<string> Notes) Read(string path)
    {
        using var doc = JsonDocument.Parse(File.ReadAllBytes(path));
        var root = doc.RootElement;
        if (!root.TryGetProperty("phases", out var phases) || phases.ValueKind != JsonValueKind.Array)
            throw new InvalidDataException($"{path}: $.phases: expected an array of phases");
        var caps = new Dictionary<(string, string), double>();
        if (root.TryGetProperty("sources", out var sources) && sources.ValueKind == JsonValueKind.Array)
            foreach (var s in sources.EnumerateArray())
                caps[(Str(s, "source") ?? "", Str(s, "bucket") ?? "")] = Num(s, "max_epochs");
        var rows = new List<MixRow>();
        int pi = 0;
        foreach (var phase in phases.EnumerateArray())
        {
            string name = Str(phase, "name") ?? $"phase {pi}";
            if (!phase.TryGetProperty("entries", out var entries) || entries.ValueKind != JsonValueKind.Array)
                throw new InvalidDataException($"{path}: $.phases[{pi}].entries: expected an array");
            foreach (var e in entries.EnumerateArray())
            {
                string source = Str(e, "source") ?? "?", bucket = Str(e, "bucket") ?? "";
                rows.Add(new MixRow(name, source, bucket, Num(e, "available_tokens"), Num(e, "requested_tokens"), Num(e, "realised_tokens"),
                    Num(e, "epochs"), caps.GetValueOrDefault((source, bucket), double.NaN)));
            }
            pi++;
        }
        var notes = root.TryGetProperty("notes", out var n) && n.ValueKind == JsonValueKind.Array
            ? n.EnumerateArray().Where(x => x.ValueKind == JsonValueKind.String).Select(x => x.GetString()!).ToList()
            : [];
        return (rows, notes);
    }

    public static void Add(HtmlPage page, string prefix, string runName, string path)
    {
        var (rows, notes) = Read(path);
        page.Section(prefix + "mixture", $"Mixture {runName}: proportions and epochs");
        foreach (var note in notes) page.Paragraph(note);
        foreach (var phase in rows.GroupBy(r => r.Phase))
        {
            var list = phase.ToList();
            double total = list.Sum(r => r.Realised);
            var labels = list.Select(r => r.Bucket.Length > 0 ? $"{r.Source}/{r.Bucket}" : r.Source).ToList();
            page.Figure(Chart.HorizontalBars($"Phase {phase.Key}: share of tokens", labels, list.Select(r => total > 0 ? 100 * r.Realised / total : 0).ToList(), "% of phase tokens"),
                    $"Realised token share per source in phase {phase.Key} ({total:N0} tokens).")
                .Figure(Chart.HorizontalBars($"Phase {phase.Key}: epochs per source", labels, list.Select(r => double.IsFinite(r.Epochs) ? r.Epochs : 0).ToList(), "epochs"),
                    "How many times each source's tokens were used in this phase (repetition; max_epochs caps the sum over phases).")
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
