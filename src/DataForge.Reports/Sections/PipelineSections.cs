using System.Globalization;
using DataForge.Execution;
using DataForge.Reports.Charts;
using DataForge.Reports.Html;

namespace DataForge.Reports.Sections;

/// <summary>What a pipeline run did: funnel, drop reasons, score and length distributions, dedup clusters, throughput.</summary>
public static class PipelineSections
{
    public static void Add(HtmlPage page, string prefix, string runName, RunStats stats)
    {
        Summary(page, prefix, runName, stats);
        Funnel(page, prefix, stats);
        Drops(page, prefix, stats);
        HistogramSection(page, prefix + "quality", "Quality scores", stats, IsQuality, "No quality-scoring stage in this run.");
        HistogramSection(page, prefix + "dedup", "Dedup cluster sizes", stats, IsCluster, "No dedup stage reported cluster sizes in this run.");
        Lengths(page, prefix, stats);
        HistogramSection(page, prefix + "distributions", "Other distributions", stats,
            n => !IsQuality(n) && !IsCluster(n) && n != "text_bytes", "No other distributions recorded.");
    }

    static bool IsQuality(string name) => name.Contains("quality", StringComparison.Ordinal) || name.Contains("score", StringComparison.Ordinal);
    static bool IsCluster(string name) => name.Contains("cluster", StringComparison.Ordinal);

    static void Summary(HtmlPage page, string prefix, string runName, RunStats s)
    {
        double mb = s.BytesIn / 1e6;
        page.Section(prefix + "summary", $"Pipeline {runName}: summary")
            .Table(["documents in", "added", "documents out", "dropped", "rejected", "MB in", "MB out", "seconds", "docs/s", "MB/s", "workers"],
            [[s.DocumentsIn, s.Added, s.DocumentsOut, s.Dropped, s.Rejected, mb, s.BytesOut / 1e6, s.Seconds,
              s.Seconds > 0 ? s.DocumentsIn / s.Seconds : double.NaN, s.Seconds > 0 ? mb / s.Seconds : double.NaN, s.Workers]])
            .Paragraph(s.Balanced
                ? "Accounting balances: every document that entered was kept, dropped with a reason, or rejected."
                : "WARNING: accounting does not balance.")
            .EndSection();
    }

    static void Funnel(HtmlPage page, string prefix, RunStats s)
    {
        // Horizontal bars, first stage on top: stage names stay readable however many there are.
        var top = s.Stages.AsEnumerable().Reverse().ToList();
        var labels = top.Select(st => st.Name).ToList();
        page.Section(prefix + "funnel", "Stage funnel")
            .Figure(Chart.HorizontalBars("Documents out of each stage", labels, top.Select(st => (double)st.Out).ToList(), "documents"),
                "Documents leaving each stage, in pipeline order from the top (sources first).")
            .Figure(Chart.HorizontalBars("MB out of each stage", labels, top.Select(st => st.OutBytes / 1e6).ToList(), "MB"),
                "Text bytes leaving each stage.")
            .Table(["stage", "type", "in", "out", "dropped", "added", "rejected", "MB in", "MB out", "seconds", "docs/s"],
                s.Stages.Select(st => (IReadOnlyList<object?>)[st.Name, st.Type, st.In, st.Out, st.DroppedTotal, st.Added, st.Rejected,
                    st.InBytes / 1e6, st.OutBytes / 1e6, st.Seconds, st.Seconds > 0 ? st.In / st.Seconds : double.NaN]))
            .EndSection();
    }

    static void Drops(HtmlPage page, string prefix, RunStats s)
    {
        var reasons = s.Stages.SelectMany(st => st.Dropped.Select(d => (Stage: st.Name, Reason: d.Key, Count: d.Value)))
            .OrderByDescending(d => d.Count).ThenBy(d => d.Reason, StringComparer.Ordinal).ToList();
        page.Section(prefix + "drops", "Drop reasons");
        if (reasons.Count == 0) page.Paragraph("No document was dropped.");
        else
        {
            var top = reasons.Take(25).Reverse().ToList();
            page.Figure(Chart.HorizontalBars("Documents dropped, by reason", top.Select(r => r.Reason).ToList(), top.Select(r => (double)r.Count).ToList(), "documents", emphasis: true),
                    reasons.Count > 25 ? $"The 25 most frequent of {reasons.Count} reasons." : "Every drop reason of the run.")
                .Table(["stage", "reason", "documents", "% of input"], reasons.Select(r => (IReadOnlyList<object?>)[r.Stage, r.Reason, r.Count,
                    s.DocumentsIn > 0 ? 100.0 * r.Count / s.DocumentsIn : double.NaN]));
        }
        var counters = s.Stages.SelectMany(st => st.Counters.Select(c => (IReadOnlyList<object?>)[st.Name, c.Key, c.Value])).ToList();
        if (counters.Count > 0) page.Paragraph("Stage counters:").Table(["stage", "counter", "value"], counters);
        page.EndSection();
    }

    static void Lengths(HtmlPage page, string prefix, RunStats s)
    {
        page.Section(prefix + "lengths", "Document lengths");
        var first = s.Stages.FirstOrDefault(st => st.Histograms.ContainsKey("text_bytes"));
        var last = s.Stages.LastOrDefault(st => st.Histograms.ContainsKey("text_bytes"));
        if (first is null || last is null) page.Paragraph("No length distribution recorded.");
        else
        {
            page.Figure(HistogramChart($"Length of documents read ({first.Name})", first.Histograms["text_bytes"], "UTF-8 bytes"),
                "Input documents by length (bins double in size).");
            if (!ReferenceEquals(first, last))
                page.Figure(HistogramChart($"Length of documents leaving the last stage ({last.Name})", last.Histograms["text_bytes"], "UTF-8 bytes"),
                    "Output documents by length.");
        }
        page.EndSection();
    }

    static void HistogramSection(HtmlPage page, string id, string title, RunStats s, Func<string, bool> select, string empty)
    {
        page.Section(id, title);
        bool any = false;
        foreach (var st in s.Stages)
            foreach (var (name, h) in st.Histograms)
            {
                if (!select(name)) continue;
                any = true;
                page.Figure(HistogramChart($"{name} ({st.Name})", h, name), $"{h.Total:N0} values; {h.Under:N0} below the first bin, {h.Over:N0} above the last.");
            }
        if (!any) page.Paragraph(empty);
        page.EndSection();
    }

    /// <summary>A histogram as bars labelled by their lower edge; empty outer bins are trimmed.</summary>
    public static string HistogramChart(string title, Histogram h, string xLabel)
    {
        int lo = 0, hi = h.Counts.Length - 1;
        while (lo < hi && h.Counts[lo] == 0) lo++;
        while (hi > lo && h.Counts[hi] == 0) hi--;
        var labels = new List<string>();
        var values = new List<double>();
        for (int i = lo; i <= hi; i++)
        {
            labels.Add(EdgeLabel(h.Edges[i]));
            values.Add(h.Counts[i]);
        }
        return Chart.Bars(title, labels, values, "count (" + xLabel + ")");
    }

    static string EdgeLabel(double e) =>
        e >= 1 << 20 ? (e / (1 << 20)).ToString("0.#", CultureInfo.InvariantCulture) + "M" :
        e >= 1 << 10 ? (e / (1 << 10)).ToString("0.#", CultureInfo.InvariantCulture) + "K" :
        e.ToString("0.###", CultureInfo.InvariantCulture);
}
