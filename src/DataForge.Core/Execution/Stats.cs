using System.Text.Json;

namespace DataForge.Execution;

/// <summary>Counters of one stage (for one partition, or merged over the run).</summary>
public sealed class StageStats
{
    public required string Name { get; init; }
    public required string Type { get; init; }
    public long In { get; set; }
    public long Out { get; set; }
    /// <summary>Documents an expand stage created beyond one per kept input (out - (in - dropped)).</summary>
    public long Added { get; set; }
    public long Rejected { get; set; }
    public SortedDictionary<string, long> Dropped { get; } = new(StringComparer.Ordinal);
    /// <summary>Stage-specific counters (for example PII replacements).</summary>
    public SortedDictionary<string, long> Counters { get; } = new(StringComparer.Ordinal);
    /// <summary>Named value distributions (quality scores, cluster sizes, lengths) for the report.</summary>
    public SortedDictionary<string, Histogram> Histograms { get; } = new(StringComparer.Ordinal);
    public long InBytes { get; set; }
    public long OutBytes { get; set; }
    public double Seconds { get; set; }

    public long DroppedTotal => Dropped.Values.Sum();

    public void AddDrop(string reason, long n = 1)
    {
        Dropped.TryGetValue(reason, out long c);
        Dropped[reason] = c + n;
    }

    public void AddCounter(string name, long n)
    {
        Counters.TryGetValue(name, out long c);
        Counters[name] = c + n;
    }

    /// <summary>Adds a value to the named histogram, creating it with these bin edges on first use.</summary>
    public void Observe(string histogram, double value, double[] edges)
    {
        if (!Histograms.TryGetValue(histogram, out var h)) Histograms[histogram] = h = new Histogram(edges);
        h.Add(value);
    }

    public void Merge(StageStats other)
    {
        In += other.In; Out += other.Out; Added += other.Added; Rejected += other.Rejected;
        InBytes += other.InBytes; OutBytes += other.OutBytes; Seconds += other.Seconds;
        foreach (var (k, v) in other.Dropped) AddDrop(k, v);
        foreach (var (k, v) in other.Counters) AddCounter(k, v);
        foreach (var (k, h) in other.Histograms)
        {
            if (!Histograms.TryGetValue(k, out var mine)) Histograms[k] = mine = new Histogram(h.Edges);
            mine.Merge(h);
        }
    }

    public void Write(Utf8JsonWriter w, bool includeTiming = true)
    {
        w.WriteStartObject();
        w.WriteString("name", Name);
        w.WriteString("type", Type);
        w.WriteNumber("in", In);
        w.WriteNumber("out", Out);
        if (Added != 0) w.WriteNumber("added", Added);
        w.WriteStartObject("dropped");
        foreach (var (k, v) in Dropped) w.WriteNumber(k, v);
        w.WriteEndObject();
        w.WriteNumber("rejected", Rejected);
        w.WriteNumber("in_bytes", InBytes);
        w.WriteNumber("out_bytes", OutBytes);
        if (Counters.Count > 0)
        {
            w.WriteStartObject("counters");
            foreach (var (k, v) in Counters) w.WriteNumber(k, v);
            w.WriteEndObject();
        }
        if (Histograms.Count > 0)
        {
            w.WriteStartObject("histograms");
            foreach (var (k, h) in Histograms) { w.WritePropertyName(k); h.Write(w); }
            w.WriteEndObject();
        }
        if (includeTiming) w.WriteNumber("seconds", Math.Round(Seconds, 3));
        w.WriteEndObject();
    }

    public static StageStats Read(JsonElement e)
    {
        var s = new StageStats
        {
            Name = e.GetProperty("name").GetString()!,
            Type = e.GetProperty("type").GetString()!,
            In = e.GetProperty("in").GetInt64(),
            Out = e.GetProperty("out").GetInt64(),
            Rejected = e.GetProperty("rejected").GetInt64(),
            InBytes = e.GetProperty("in_bytes").GetInt64(),
            OutBytes = e.GetProperty("out_bytes").GetInt64(),
        };
        if (e.TryGetProperty("added", out var a)) s.Added = a.GetInt64();
        if (e.TryGetProperty("seconds", out var sec)) s.Seconds = sec.GetDouble();
        foreach (var p in e.GetProperty("dropped").EnumerateObject()) s.Dropped[p.Name] = p.Value.GetInt64();
        if (e.TryGetProperty("counters", out var c))
            foreach (var p in c.EnumerateObject()) s.Counters[p.Name] = p.Value.GetInt64();
        if (e.TryGetProperty("histograms", out var hs))
            foreach (var p in hs.EnumerateObject()) s.Histograms[p.Name] = Histogram.Read(p.Value);
        return s;
    }
}

/// <summary>
/// Counts of values per bin. Bin i holds edges[i] &lt;= v &lt; edges[i+1]; values below the first edge go to
/// <see cref="Under"/>, at or above the last to <see cref="Over"/>. Fixed edges make per-partition histograms mergeable.
/// </summary>
public sealed class Histogram
{
    public Histogram(double[] edges)
    {
        if (edges.Length < 2) throw new ArgumentException("a histogram needs at least two edges", nameof(edges));
        for (int i = 1; i < edges.Length; i++)
            if (!(edges[i] > edges[i - 1])) throw new ArgumentException($"histogram edges must increase: edges[{i}] = {edges[i]} after {edges[i - 1]}", nameof(edges));
        Edges = edges;
        Counts = new long[edges.Length - 1];
    }

    public double[] Edges { get; }
    public long[] Counts { get; }
    public long Under { get; private set; }
    public long Over { get; private set; }
    public long Total => Counts.Sum() + Under + Over;

    /// <summary>Edges 0, 1/n, ..., 1: the usual bins for probabilities.</summary>
    public static double[] UnitEdges(int bins) => Enumerable.Range(0, bins + 1).Select(i => (double)i / bins).ToArray();

    /// <summary>Edges 1, 2, 4, ... up to max: the usual bins for sizes and lengths.</summary>
    public static double[] PowerOfTwoEdges(double max)
    {
        var e = new List<double> { 1 };
        while (e[^1] < max) e.Add(e[^1] * 2);
        return [.. e];
    }

    public void Add(double v, long n = 1)
    {
        if (double.IsNaN(v) || v < Edges[0]) { Under += n; return; }
        if (v >= Edges[^1]) { Over += n; return; }
        int i = Array.BinarySearch(Edges, v);
        if (i < 0) i = ~i - 1;
        Counts[i] += n;
    }

    public void Merge(Histogram other)
    {
        if (!other.Edges.AsSpan().SequenceEqual(Edges)) throw new InvalidOperationException("histograms with different edges cannot be merged");
        for (int i = 0; i < Counts.Length; i++) Counts[i] += other.Counts[i];
        Under += other.Under;
        Over += other.Over;
    }

    public void Write(Utf8JsonWriter w)
    {
        w.WriteStartObject();
        w.WriteStartArray("edges");
        foreach (var e in Edges) w.WriteNumberValue(e);
        w.WriteEndArray();
        w.WriteStartArray("counts");
        foreach (var c in Counts) w.WriteNumberValue(c);
        w.WriteEndArray();
        w.WriteNumber("under", Under);
        w.WriteNumber("over", Over);
        w.WriteEndObject();
    }

    public static Histogram Read(JsonElement e)
    {
        var h = new Histogram(e.GetProperty("edges").EnumerateArray().Select(x => x.GetDouble()).ToArray());
        int i = 0;
        foreach (var c in e.GetProperty("counts").EnumerateArray()) h.Counts[i++] = c.GetInt64();
        h.Under = e.GetProperty("under").GetInt64();
        h.Over = e.GetProperty("over").GetInt64();
        return h;
    }
}
