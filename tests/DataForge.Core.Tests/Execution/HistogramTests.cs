using System.Text.Json;
using DataForge.Execution;

namespace DataForge.Tests.Execution;

public class HistogramTests
{
    [Fact]
    public void Bins_are_closed_below_and_open_above_with_under_and_over()
    {
        var h = new Histogram([0, 0.5, 1]);
        foreach (var v in new[] { -0.1, 0, 0.49, 0.5, 0.99, 1, double.NaN }) h.Add(v);
        Assert.Equal([2L, 2L], h.Counts);
        Assert.Equal(2, h.Under);
        Assert.Equal(1, h.Over);
        Assert.Equal(7, h.Total);
    }

    [Fact]
    public void Stage_stats_merge_histograms_and_round_trip_through_json()
    {
        var a = new StageStats { Name = "q", Type = "quality_score" };
        var b = new StageStats { Name = "q", Type = "quality_score" };
        a.Observe("quality", 0.1, Histogram.UnitEdges(10));
        b.Observe("quality", 0.15, Histogram.UnitEdges(10));
        b.Observe("quality", 0.95, Histogram.UnitEdges(10));
        a.Merge(b);
        using var ms = new MemoryStream();
        using (var w = new Utf8JsonWriter(ms)) a.Write(w);
        var back = StageStats.Read(JsonDocument.Parse(ms.ToArray()).RootElement);
        var h = back.Histograms["quality"];
        Assert.Equal(2, h.Counts[1]);
        Assert.Equal(1, h.Counts[9]);
        Assert.Equal(3, h.Total);
    }

    [Fact]
    public void Edges_must_increase()
    {
        var ex = Assert.Throws<ArgumentException>(() => new Histogram([0, 1, 1]));
        Assert.Contains("edges[2]", ex.Message);
        Assert.Equal([1.0, 2, 4, 8], Histogram.PowerOfTwoEdges(5));
    }
}
