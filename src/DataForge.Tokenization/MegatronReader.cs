using System.Buffers.Binary;
using System.IO.Hashing;
using Microsoft.Win32.SafeHandles;

namespace DataForge.Tokenization;

/// <summary>Random access to the documents of a Megatron <c>PREFIX.bin/.idx</c> pair (docs/reference.md#token-shards).</summary>
public sealed class MegatronReader : IDisposable
{
    readonly SafeFileHandle _bin;
    readonly int[] _lengths;
    readonly long[] _offsets;
    readonly int _item;
    byte[] _buf = new byte[1 << 16];

    public MegatronReader(string prefix)
    {
        string idxPath = prefix + ".idx";
        var b = File.ReadAllBytes(idxPath);
        if (b.Length < 34 || !b.AsSpan(0, 9).SequenceEqual("MMIDIDX\0\0"u8))
            throw new InvalidDataException($"{idxPath}: not a Megatron index (bad magic)");
        byte dtype = b[17];
        _item = dtype switch
        {
            8 => 2,
            4 => 4,
            _ => throw new InvalidDataException($"{idxPath}: token dtype code {dtype} is not supported (expected 8 = uint16 or 4 = int32)"),
        };
        long n = (long)BinaryPrimitives.ReadUInt64LittleEndian(b.AsSpan(18));
        if (34 + n * 12 > b.Length) throw new InvalidDataException($"{idxPath}: truncated ({n} sequences announced)");
        _lengths = new int[n];
        _offsets = new long[n];
        for (long i = 0; i < n; i++)
        {
            _lengths[i] = BinaryPrimitives.ReadInt32LittleEndian(b.AsSpan((int)(34 + i * 4)));
            _offsets[i] = BinaryPrimitives.ReadInt64LittleEndian(b.AsSpan((int)(34 + n * 4 + i * 8)));
        }
        _bin = File.OpenHandle(prefix + ".bin", FileMode.Open, FileAccess.Read, FileShare.Read, FileOptions.RandomAccess);
    }

    public int Count => _lengths.Length;
    public int Length(int doc) => _lengths[doc];
    public long TotalTokens => _lengths.Sum(l => (long)l);

    /// <summary>The ids of a document (its final end-of-text id included); the span is valid until the next call.</summary>
    public ReadOnlySpan<int> Read(int doc, ref int[] ids)
    {
        int n = _lengths[doc];
        if (ids.Length < n) ids = new int[Math.Max(n, ids.Length * 2)];
        int bytes = n * _item;
        if (_buf.Length < bytes) _buf = new byte[Math.Max(bytes, _buf.Length * 2)];
        int got = RandomAccess.Read(_bin, _buf.AsSpan(0, bytes), _offsets[doc]);
        if (got != bytes) throw new InvalidDataException($"Megatron .bin is shorter than its index says (document {doc})");
        for (int i = 0; i < n; i++)
            ids[i] = _item == 2 ? BinaryPrimitives.ReadUInt16LittleEndian(_buf.AsSpan(i * 2)) : BinaryPrimitives.ReadInt32LittleEndian(_buf.AsSpan(i * 4));
        return ids.AsSpan(0, n);
    }

    public void Dispose() => _bin.Dispose();

    /// <summary>xxhash64 of a file (for manifests).</summary>
    public static string HashFile(string path)
    {
        var h = new XxHash64();
        using var s = File.OpenRead(path);
        h.Append(s);
        return Convert.ToHexStringLower(h.GetCurrentHash());
    }
}
