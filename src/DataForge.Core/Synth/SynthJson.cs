using System.Buffers;
using System.Numerics;
using System.Text.Encodings.Web;
using System.Text.Json;

namespace DataForge.Synth;

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
