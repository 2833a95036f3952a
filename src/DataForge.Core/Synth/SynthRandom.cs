using System.Buffers;
using System.Numerics;
using System.Text.Encodings.Web;
using System.Text.Json;

namespace DataForge.Synth;

/// <summary>
/// Small deterministic generator (SplitMix64), seeded from a (seed, index) pair so that every item
/// depends only on the seed and its own index, never on partitioning or thread timing.
/// </summary>
public struct SynthRandom
{
    ulong _state;

    public SynthRandom(ulong seed, ulong index) => _state = Mix(seed ^ Mix(index + 0x9E3779B97F4A7C15UL));

    public SynthRandom(ulong seed, string key) : this(seed, Hash(key)) { }

    public static ulong Mix(ulong z)
    {
        z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9UL;
        z = (z ^ (z >> 27)) * 0x94D049BB133111EBUL;
        return z ^ (z >> 31);
    }

    /// <summary>FNV-1a over UTF-16 code units (stable across runs and platforms).</summary>
    public static ulong Hash(string s)
    {
        ulong h = 0xcbf29ce484222325UL;
        foreach (char c in s) { h ^= c; h *= 0x100000001b3UL; }
        return h;
    }

    public ulong NextULong()
    {
        _state += 0x9E3779B97F4A7C15UL;
        return Mix(_state);
    }

    /// <summary>Uniform integer in [0, n).</summary>
    public int Next(int n)
    {
        if (n <= 0) throw new ArgumentOutOfRangeException(nameof(n));
        return (int)(((NextULong() >> 32) * (ulong)n) >> 32);
    }

    /// <summary>Uniform integer in [lo, hi] (inclusive).</summary>
    public int Range(int lo, int hi) => lo + Next(hi - lo + 1);

    public bool Chance(int percent) => Next(100) < percent;

    public T Pick<T>(IReadOnlyList<T> items) => items[Next(items.Count)];

    public void Shuffle<T>(IList<T> items)
    {
        for (int i = items.Count - 1; i > 0; i--)
        {
            int j = Next(i + 1);
            (items[i], items[j]) = (items[j], items[i]);
        }
    }
}

/// <summary>JSON writing for generated items: non-ASCII kept readable, deterministic.</summary>
public static class SynthJson
{
    public static readonly JsonWriterOptions Options = new() { Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping };

    /// <summary>Writes an object with <paramref name="body"/> and returns its UTF-8 bytes.</summary>
    public static byte[] Object(Action<Utf8JsonWriter> body)
    {
        var buf = new ArrayBufferWriter<byte>(256);
        using (var w = new Utf8JsonWriter(buf, Options))
        {
            w.WriteStartObject();
            body(w);
            w.WriteEndObject();
        }
        return buf.WrittenSpan.ToArray();
    }

    /// <summary>Compact JSON of a value tree built from lists, dictionaries (insertion order), strings, BigIntegers, longs and ints.</summary>
    public static void WriteValue(Utf8JsonWriter w, object? v)
    {
        switch (v)
        {
            case null: w.WriteNullValue(); break;
            case string s: w.WriteStringValue(s); break;
            case bool b: w.WriteBooleanValue(b); break;
            case int i: w.WriteNumberValue(i); break;
            case long l: w.WriteNumberValue(l); break;
            case BigInteger bi: w.WriteRawValue(bi.ToString(System.Globalization.CultureInfo.InvariantCulture)); break;
            case IEnumerable<KeyValuePair<string, object?>> d:
                w.WriteStartObject();
                foreach (var (k, x) in d) { w.WritePropertyName(k); WriteValue(w, x); }
                w.WriteEndObject();
                break;
            case System.Collections.IEnumerable e:
                w.WriteStartArray();
                foreach (var x in e) WriteValue(w, x);
                w.WriteEndArray();
                break;
            default: throw new ArgumentException($"cannot write {v.GetType().Name} as JSON");
        }
    }
}
