using ScottPlot;

namespace DataForge.Reports.Charts;

/// <summary>The report's figures, drawn with ScottPlot and returned as inline SVG.</summary>
public static class Chart
{
    const int Width = 900, Height = 380;

    /// <summary>Vertical bars with a label under each.</summary>
    public static string Bars(string title, IReadOnlyList<string> labels, IReadOnlyList<double> values, string yLabel, int? height = null)
    {
        var plot = NewPlot(title);
        var bars = plot.Add.Bars(values.ToArray());
        bars.Color = Colors.SteelBlue;
        plot.Axes.Bottom.SetTicks(Enumerable.Range(0, labels.Count).Select(i => (double)i).ToArray(), labels.ToArray());
        plot.Axes.Margins(bottom: 0);
        plot.YLabel(yLabel);
        return plot.GetSvgHtml(Width, height ?? Height);
    }

    /// <summary>Horizontal bars (long labels such as drop reasons read better this way).</summary>
    public static string HorizontalBars(string title, IReadOnlyList<string> labels, IReadOnlyList<double> values, string xLabel, bool emphasis = false)
    {
        var plot = NewPlot(title);
        var bars = plot.Add.Bars(values.ToArray());
        bars.Horizontal = true;
        bars.Color = emphasis ? Colors.IndianRed : Colors.SteelBlue;
        plot.Axes.Left.SetTicks(Enumerable.Range(0, labels.Count).Select(i => (double)i).ToArray(), labels.ToArray());
        plot.Axes.Margins(left: 0);
        plot.XLabel(xLabel);
        return plot.GetSvgHtml(Width, Math.Max(200, 60 + 28 * labels.Count));
    }

    /// <summary>Series colours of grouped bars: SteelBlue first like every other bar chart; IndianRed is kept for emphasis.</summary>
    static readonly Color[] Palette = [Colors.SteelBlue, Colors.DarkOrange, Colors.SeaGreen, Colors.MediumPurple, Colors.GoldenRod,
        Colors.SlateGray, Colors.Orchid, Colors.Teal, Colors.Sienna, Colors.DodgerBlue];

    /// <summary>
    /// Horizontal bars in groups, first group on top: one group per label, one bar per series in the series' colour,
    /// with a legend and, where given, error bars. A NaN value draws no bar (that series lacks that label).
    /// </summary>
    public static string GroupedHorizontalBars(string title, IReadOnlyList<string> groups,
        IReadOnlyList<(string Name, IReadOnlyList<double> Values, IReadOnlyList<double> Errors)> series, string xLabel)
    {
        var plot = NewPlot(title);
        int stride = series.Count + 1; // one empty slot between groups
        double Position(int group, int s) => (groups.Count - 1 - group) * stride + (series.Count - 1 - s);
        for (int s = 0; s < series.Count; s++)
        {
            var (name, values, errors) = series[s];
            var bars = Enumerable.Range(0, groups.Count).Where(g => double.IsFinite(values[g])).Select(g => new Bar
            {
                Position = Position(g, s),
                Value = values[g],
                Error = double.IsFinite(errors[g]) ? errors[g] : 0,
                FillColor = Palette[s % Palette.Length],
                Orientation = Orientation.Horizontal,
            }).ToList();
            var plottable = plot.Add.Bars(bars);
            plottable.LegendText = name;
        }
        plot.Axes.Left.SetTicks(Enumerable.Range(0, groups.Count).Select(g => Position(g, 0) - (series.Count - 1) / 2.0).ToArray(), groups.ToArray());
        plot.Axes.Margins(left: 0);
        plot.XLabel(xLabel);
        plot.ShowLegend(Edge.Right);
        return plot.GetSvgHtml(Width, Math.Max(240, 80 + 16 * groups.Count * stride));
    }

    /// <summary>One or more lines over a shared x axis; NaN values leave gaps out.</summary>
    public static string Lines(string title, string xLabel, string yLabel, params (string Name, IReadOnlyList<double> X, IReadOnlyList<double> Y)[] series)
    {
        var plot = NewPlot(title);
        foreach (var (name, xs, ys) in series)
        {
            var pts = xs.Zip(ys).Where(p => double.IsFinite(p.First) && double.IsFinite(p.Second)).ToArray();
            if (pts.Length == 0) continue;
            var line = plot.Add.ScatterLine(pts.Select(p => p.First).ToArray(), pts.Select(p => p.Second).ToArray());
            if (series.Length > 1) line.LegendText = name;
            line.LineWidth = 2;
            line.MarkerSize = pts.Length < 40 ? 5 : 0;
        }
        if (series.Length > 1) plot.ShowLegend();
        plot.XLabel(xLabel);
        plot.YLabel(yLabel);
        return plot.GetSvgHtml(Width, Height);
    }

    static Plot NewPlot(string title)
    {
        var plot = new Plot();
        plot.Title(title);
        return plot;
    }
}
