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

    public void Merge(StageStats other)
    {
        In += other.In; Out += other.Out; Added += other.Added; Rejected += other.Rejected;
        InBytes += other.InBytes; OutBytes += other.OutBytes; Seconds += other.Seconds;
        foreach (var (k, v) in other.Dropped) AddDrop(k, v);
        foreach (var (k, v) in other.Counters) AddCounter(k, v);
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
        return s;
    }
}

/// <summary>One output file, as recorded in manifest.json.</summary>
public sealed record ShardInfo(string File, long Rows, long Bytes, string XxHash64);
