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
