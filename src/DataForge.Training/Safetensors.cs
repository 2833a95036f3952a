using System.Buffers.Binary;
using System.Text;
using System.Text.Json;

namespace DataForge.Training;

/// <summary>One tensor for a safetensors file: dtype name (F32, BF16, I64 ...), shape and raw little-endian bytes.</summary>
public sealed record SafeTensor(string DType, long[] Shape, byte[] Data);

/// <summary>
/// safetensors (docs/reference.md#safetensors): u64 LE header length N, N bytes of JSON padded with spaces to a multiple of 8,
/// then the tensor data, offsets relative to the data start. Tensors are written in name order.
/// </summary>
public static class Safetensors
{
    public static void Write(string path, IReadOnlyDictionary<string, SafeTensor> tensors, IReadOnlyDictionary<string, string>? metadata = null)
    {
        var names = tensors.Keys.OrderBy(k => k, StringComparer.Ordinal).ToList();
        using var ms = new MemoryStream();
        using (var w = new Utf8JsonWriter(ms))
        {
            w.WriteStartObject();
            long offset = 0;
            foreach (var n in names)
            {
                var t = tensors[n];
                w.WriteStartObject(n);
                w.WriteString("dtype", t.DType);
                w.WriteStartArray("shape");
                foreach (long d in t.Shape) w.WriteNumberValue(d);
                w.WriteEndArray();
                w.WriteStartArray("data_offsets");
                w.WriteNumberValue(offset);
                w.WriteNumberValue(offset + t.Data.LongLength);
                w.WriteEndArray();
                w.WriteEndObject();
                offset += t.Data.LongLength;
            }
            w.WriteStartObject("__metadata__");
            w.WriteString("format", "pt");
            if (metadata != null)
                foreach (var (k, v) in metadata.OrderBy(kv => kv.Key, StringComparer.Ordinal)) w.WriteString(k, v);
            w.WriteEndObject();
            w.WriteEndObject();
        }
        int len = (int)ms.Length;
        int padded = (len + 7) / 8 * 8;
        string tmp = path + ".tmp";
        using (var f = new FileStream(tmp, FileMode.Create, FileAccess.Write, FileShare.None, 1 << 20))
        {
            Span<byte> head = stackalloc byte[8];
            BinaryPrimitives.WriteUInt64LittleEndian(head, (ulong)padded);
            f.Write(head);
            f.Write(ms.GetBuffer(), 0, len);
            for (int i = len; i < padded; i++) f.WriteByte((byte)' ');
            foreach (var n in names) f.Write(tensors[n].Data);
        }
        File.Move(tmp, path, true);
    }

    public static Dictionary<string, SafeTensor> Read(string path)
    {
        byte[] all = File.ReadAllBytes(path);
        if (all.Length < 8) throw new InvalidDataException($"{path}: too short for a safetensors file");
        ulong header = BinaryPrimitives.ReadUInt64LittleEndian(all);
        if (header < 2 || header > (ulong)all.Length - 8) throw new InvalidDataException($"{path}: not a safetensors file (header length {header} exceeds the file's {all.Length} bytes)");
        long n = (long)header;
        try { return ReadTensors(path, all, n); }
        catch (Exception ex) when (ex is JsonException or KeyNotFoundException or InvalidOperationException)
        {
            throw new InvalidDataException($"{path}: not a safetensors file (its header is not the expected JSON): {ex.Message}", ex);
        }
    }

    static Dictionary<string, SafeTensor> ReadTensors(string path, byte[] all, long n)
    {
        var result = new Dictionary<string, SafeTensor>(StringComparer.Ordinal);
        using var doc = JsonDocument.Parse(all.AsMemory(8, (int)n));
        long dataStart = 8 + n;
        foreach (var p in doc.RootElement.EnumerateObject())
        {
            if (p.Name == "__metadata__") continue;
            var shape = p.Value.GetProperty("shape").EnumerateArray().Select(e => e.GetInt64()).ToArray();
            var off = p.Value.GetProperty("data_offsets").EnumerateArray().Select(e => e.GetInt64()).ToArray();
            if (off.Length != 2 || off[0] < 0 || off[1] < off[0] || dataStart + off[1] > all.Length)
                throw new InvalidDataException($"{path}: tensor {p.Name}: bad data_offsets");
            result[p.Name] = new SafeTensor(p.Value.GetProperty("dtype").GetString()!, shape, all.AsSpan((int)(dataStart + off[0]), (int)(off[1] - off[0])).ToArray());
        }
        return result;
    }
}
