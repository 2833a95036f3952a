using System.Buffers.Binary;
using System.Text;

namespace DataForge.Deploy;

/// <summary>Value types of GGUF metadata (ggml's docs/gguf.md).</summary>
public enum GgufType : uint
{
    UInt8 = 0, Int8 = 1, UInt16 = 2, Int16 = 3, UInt32 = 4, Int32 = 5, Float32 = 6, Bool = 7, String = 8, Array = 9, UInt64 = 10, Int64 = 11, Float64 = 12,
}

/// <summary>The ggml tensor types an exported or quantised file may hold (ggml.h numbering).</summary>
public enum GgmlType : uint
{
    F32 = 0, F16 = 1, Q4_0 = 2, Q4_1 = 3, Q5_0 = 6, Q5_1 = 7, Q8_0 = 8, Q8_1 = 9, Q2_K = 10, Q3_K = 11, Q4_K = 12, Q5_K = 13, Q6_K = 14, Q8_K = 15,
    BF16 = 30,
}

/// <summary>One metadata value: its GGUF type and the value (for arrays: the element type and a list).</summary>
public sealed record GgufValue(GgufType Type, object Value, GgufType ElementType = GgufType.UInt8)
{
    public static GgufValue Str(string s) => new(GgufType.String, s);
    public static GgufValue U32(uint v) => new(GgufType.UInt32, v);
    public static GgufValue I32(int v) => new(GgufType.Int32, v);
    public static GgufValue F32(float v) => new(GgufType.Float32, v);
    public static GgufValue Bool(bool v) => new(GgufType.Bool, v);
    public static GgufValue Strings(IReadOnlyList<string> v) => new(GgufType.Array, v, GgufType.String);
    public static GgufValue Int32s(IReadOnlyList<int> v) => new(GgufType.Array, v, GgufType.Int32);

    public override string ToString() => Value switch
    {
        IReadOnlyList<string> s => $"[{s.Count} strings]",
        System.Collections.ICollection c => $"[{c.Count} {ElementType}]",
        float f => f.ToString("R", System.Globalization.CultureInfo.InvariantCulture),
        _ => Convert.ToString(Value, System.Globalization.CultureInfo.InvariantCulture) ?? "",
    };
}

/// <summary>A tensor's entry in the tensor table: dimensions in ggml order (ne[0], the contiguous one, first), type, and offset in the data section.</summary>
public sealed record GgufTensorInfo(string Name, long[] Dims, GgmlType Type, ulong Offset)
{
    public long Elements => Dims.Aggregate(1L, (a, b) => a * b);
}

/// <summary>A tensor to write: name, ggml dimensions, type, and its bytes in that type.</summary>
public sealed record GgufTensor(string Name, long[] Dims, GgmlType Type, byte[] Data);

/// <summary>
/// GGUF version 3 files: "GGUF", version, tensor count, metadata count, the metadata key/value pairs, the tensor
/// table (name, dimensions, type, offset), padding to the alignment, then each tensor's data at its (aligned) offset.
/// Little-endian throughout; strings are a u64 byte length and UTF-8 bytes.
/// </summary>
public static class Gguf
{
    public const uint Magic = 0x46554747; // "GGUF" read as a little-endian u32
    public const uint Version = 3;
    public const int DefaultAlignment = 32;

    /// <summary>Writes a GGUF v3 file atomically (a temporary file renamed over the target).</summary>
    public static void Write(string path, IReadOnlyList<KeyValuePair<string, GgufValue>> metadata, IReadOnlyList<GgufTensor> tensors)
    {
        int alignment = DefaultAlignment;
        foreach (var (k, v) in metadata)
            if (k == "general.alignment") alignment = checked((int)(uint)v.Value);
        string tmp = path + ".tmp";
        using (var f = new FileStream(tmp, FileMode.Create, FileAccess.Write, FileShare.None, 1 << 20))
        using (var w = new BinaryWriter(f, Encoding.UTF8, leaveOpen: true))
        {
            w.Write(Magic);
            w.Write(Version);
            w.Write((ulong)tensors.Count);
            w.Write((ulong)metadata.Count);
            foreach (var (k, v) in metadata)
            {
                WriteString(w, k);
                w.Write((uint)v.Type);
                WriteValue(w, v.Type, v.Value, v.ElementType);
            }
            ulong offset = 0;
            foreach (var t in tensors)
            {
                long expected = ByteSize(t.Type, t.Dims);
                if (t.Data.Length != expected) throw new ArgumentException($"tensor {t.Name}: {t.Data.Length} bytes, {t.Type} [{string.Join(", ", t.Dims)}] needs {expected}");
                WriteString(w, t.Name);
                w.Write((uint)t.Dims.Length);
                foreach (long d in t.Dims) w.Write((ulong)d);
                w.Write((uint)t.Type);
                w.Write(offset);
                offset = Align(offset + (ulong)t.Data.Length, alignment);
            }
            Pad(w, alignment);
            foreach (var t in tensors)
            {
                w.Write(t.Data);
                Pad(w, alignment);
            }
        }
        File.Move(tmp, path, overwrite: true);
    }

    static ulong Align(ulong x, int a) => (x + (ulong)a - 1) / (ulong)a * (ulong)a;

    static void Pad(BinaryWriter w, int alignment)
    {
        long pos = w.BaseStream.Position;
        long target = (long)Align((ulong)pos, alignment);
        for (; pos < target; pos++) w.Write((byte)0);
    }

    static void WriteString(BinaryWriter w, string s)
    {
        var b = Encoding.UTF8.GetBytes(s);
        w.Write((ulong)b.Length);
        w.Write(b);
    }

    static void WriteValue(BinaryWriter w, GgufType type, object value, GgufType element)
    {
        switch (type)
        {
            case GgufType.UInt8: w.Write((byte)value); break;
            case GgufType.Int8: w.Write((sbyte)value); break;
            case GgufType.UInt16: w.Write((ushort)value); break;
            case GgufType.Int16: w.Write((short)value); break;
            case GgufType.UInt32: w.Write((uint)value); break;
            case GgufType.Int32: w.Write((int)value); break;
            case GgufType.Float32: w.Write((float)value); break;
            case GgufType.Bool: w.Write((bool)value ? (byte)1 : (byte)0); break;
            case GgufType.String: WriteString(w, (string)value); break;
            case GgufType.UInt64: w.Write((ulong)value); break;
            case GgufType.Int64: w.Write((long)value); break;
            case GgufType.Float64: w.Write((double)value); break;
            case GgufType.Array:
                var items = (System.Collections.IList)value;
                w.Write((uint)element);
                w.Write((ulong)items.Count);
                foreach (var item in items) WriteValue(w, element, item!, GgufType.UInt8);
                break;
            default: throw new ArgumentException($"GGUF value type {type}");
        }
    }

    /// <summary>Elements per block and bytes per block of a ggml type.</summary>
    public static (int Block, int Bytes) BlockSize(GgmlType type) => type switch
    {
        GgmlType.F32 => (1, 4),
        GgmlType.F16 or GgmlType.BF16 => (1, 2),
        GgmlType.Q4_0 => (32, 18),
        GgmlType.Q4_1 => (32, 20),
        GgmlType.Q5_0 => (32, 22),
        GgmlType.Q5_1 => (32, 24),
        GgmlType.Q8_0 => (32, 34),
        GgmlType.Q8_1 => (32, 36),
        GgmlType.Q2_K => (256, 84),
        GgmlType.Q3_K => (256, 110),
        GgmlType.Q4_K => (256, 144),
        GgmlType.Q5_K => (256, 176),
        GgmlType.Q6_K => (256, 210),
        GgmlType.Q8_K => (256, 292),
        _ => throw new InvalidDataException($"ggml type {(uint)type} is not one DataForge reads"),
    };

    /// <summary>Bytes of a tensor of this type and these dimensions (rows of ne[0] elements, whole blocks).</summary>
    public static long ByteSize(GgmlType type, long[] dims)
    {
        var (block, bytes) = BlockSize(type);
        long rows = dims.Skip(1).Aggregate(1L, (a, b) => a * b);
        if (dims.Length == 0 || dims[0] % block != 0) throw new ArgumentException($"{type} needs rows of a multiple of {block} elements, got ne[0] = {(dims.Length == 0 ? 0 : dims[0])}");
        return dims[0] / block * bytes * rows;
    }
}

/// <summary>A GGUF file's header, metadata and tensor table, read from the format's definition (no tensor data is loaded).</summary>
public sealed class GgufFile
{
    public required uint Version { get; init; }
    public required IReadOnlyList<KeyValuePair<string, GgufValue>> Metadata { get; init; }
    public required IReadOnlyList<GgufTensorInfo> Tensors { get; init; }
    /// <summary>File offset of the data section (tensor offsets are relative to it).</summary>
    public required long DataOffset { get; init; }
    public required string Path { get; init; }

    public GgufValue this[string key] => Metadata.FirstOrDefault(kv => kv.Key == key).Value
        ?? throw new KeyNotFoundException($"{Path}: no metadata key {key}");
    public bool Has(string key) => Metadata.Any(kv => kv.Key == key);

    /// <summary>The raw bytes of one tensor.</summary>
    public byte[] ReadTensor(string name)
    {
        var t = Tensors.FirstOrDefault(x => x.Name == name) ?? throw new KeyNotFoundException($"{Path}: no tensor {name}");
        var data = new byte[Gguf.ByteSize(t.Type, t.Dims)];
        using var f = File.OpenRead(Path);
        f.Position = DataOffset + (long)t.Offset;
        f.ReadExactly(data);
        return data;
    }

    public static GgufFile Read(string path)
    {
        using var f = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read, 1 << 16);
        using var r = new BinaryReader(f, Encoding.UTF8);
        string Where() => $"{path}: at byte {f.Position}";
        try
        {
            uint magic = r.ReadUInt32();
            if (magic != Gguf.Magic) throw new InvalidDataException($"{path}: not a GGUF file (the first four bytes are not \"GGUF\")");
            uint version = r.ReadUInt32();
            if (version is < 2 or > 3) throw new InvalidDataException($"{path}: GGUF version {version}, expected 2 or 3");
            ulong nTensors = r.ReadUInt64(), nKv = r.ReadUInt64();
            if (nTensors > 1_000_000 || nKv > 1_000_000) throw new InvalidDataException($"{Where()}: implausible counts ({nTensors} tensors, {nKv} metadata keys)");
            var meta = new List<KeyValuePair<string, GgufValue>>();
            for (ulong i = 0; i < nKv; i++)
            {
                string key = ReadString(r, path);
                var type = (GgufType)r.ReadUInt32();
                meta.Add(new(key, ReadValue(r, type, path, key)));
            }
            var tensors = new List<GgufTensorInfo>();
            for (ulong i = 0; i < nTensors; i++)
            {
                string name = ReadString(r, path);
                uint nd = r.ReadUInt32();
                if (nd is 0 or > 4) throw new InvalidDataException($"{Where()}: tensor {name} has {nd} dimensions (expected 1 to 4)");
                var dims = new long[nd];
                for (int d = 0; d < nd; d++) dims[d] = checked((long)r.ReadUInt64());
                var type = (GgmlType)r.ReadUInt32();
                ulong offset = r.ReadUInt64();
                tensors.Add(new GgufTensorInfo(name, dims, type, offset));
            }
            int alignment = meta.FirstOrDefault(kv => kv.Key == "general.alignment").Value is { Value: uint a } ? (int)a : Gguf.DefaultAlignment;
            long dataOffset = (f.Position + alignment - 1) / alignment * alignment;
            foreach (var t in tensors)
            {
                if (t.Offset % (ulong)alignment != 0) throw new InvalidDataException($"{path}: tensor {t.Name} offset {t.Offset} is not a multiple of the alignment {alignment}");
                if (dataOffset + (long)t.Offset + Gguf.ByteSize(t.Type, t.Dims) > f.Length)
                    throw new InvalidDataException($"{path}: tensor {t.Name} ends past the end of the file");
            }
            return new GgufFile { Version = version, Metadata = meta, Tensors = tensors, DataOffset = dataOffset, Path = path };
        }
        catch (EndOfStreamException)
        {
            throw new InvalidDataException($"{Where()}: the file ends inside the header");
        }
    }

    static string ReadString(BinaryReader r, string path)
    {
        ulong n = r.ReadUInt64();
        if (n > 1 << 24) throw new InvalidDataException($"{path}: at byte {r.BaseStream.Position}: string of {n} bytes");
        return Encoding.UTF8.GetString(r.ReadBytes((int)n));
    }

    static GgufValue ReadValue(BinaryReader r, GgufType type, string path, string key)
    {
        object Scalar(GgufType t) => t switch
        {
            GgufType.UInt8 => r.ReadByte(),
            GgufType.Int8 => r.ReadSByte(),
            GgufType.UInt16 => r.ReadUInt16(),
            GgufType.Int16 => r.ReadInt16(),
            GgufType.UInt32 => r.ReadUInt32(),
            GgufType.Int32 => r.ReadInt32(),
            GgufType.Float32 => r.ReadSingle(),
            GgufType.Bool => r.ReadByte() switch { 0 => false, 1 => true, var b => throw new InvalidDataException($"{path}: {key}: bool byte {b}") },
            GgufType.String => ReadString(r, path),
            GgufType.UInt64 => r.ReadUInt64(),
            GgufType.Int64 => r.ReadInt64(),
            GgufType.Float64 => r.ReadDouble(),
            _ => throw new InvalidDataException($"{path}: {key}: unknown value type {(uint)t}"),
        };
        if (type != GgufType.Array) return new GgufValue(type, Scalar(type));
        var element = (GgufType)r.ReadUInt32();
        ulong n = r.ReadUInt64();
        if (n > 1 << 26) throw new InvalidDataException($"{path}: {key}: array of {n} elements");
        if (element == GgufType.String)
        {
            var list = new List<string>((int)n);
            for (ulong i = 0; i < n; i++) list.Add(ReadString(r, path));
            return new GgufValue(GgufType.Array, list, element);
        }
        if (element == GgufType.Int32)
        {
            var list = new List<int>((int)n);
            for (ulong i = 0; i < n; i++) list.Add(r.ReadInt32());
            return new GgufValue(GgufType.Array, list, element);
        }
        var items = new List<object>((int)n);
        for (ulong i = 0; i < n; i++) items.Add(Scalar(element));
        return new GgufValue(GgufType.Array, items, element);
    }
}
