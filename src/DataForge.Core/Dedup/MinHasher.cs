using System.IO.Hashing;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;
using DataForge.Determinism;

namespace DataForge.Dedup;

/// <summary>
/// MinHash signatures as docs/reference.md#minhash defines them: shingles are word n-grams of the normalised text
/// (<see cref="DedupNormalizer"/>), each hashed with xxhash64 (seed 0) over its UTF-8 bytes (words
/// joined by one space); permutation i maps a shingle hash h to <c>(h*a_i + b_i) mod (2^61-1)</c>
/// with a 64-bit wrapping multiply and add; the signature keeps the minimum per permutation. The
/// a_i (in [1, 2^61-2]) and b_i (in [0, 2^61-2]) come from a SplitMix64 stream started at the seed,
/// drawn in the order a_0, b_0, a_1, b_1, .... A text with fewer words than the n-gram size has one
/// shingle (all its words); a text without words has no signature. Thread-safe; computing a
/// signature allocates nothing (shingle hashes go to a per-thread buffer; each group of 8 permutations
/// then runs over all of them with its minimum kept in a register).
/// </summary>
public sealed class MinHasher
{
    public const ulong Prime = (1UL << 61) - 1;

    readonly ulong[] _a, _b;

    public MinHasher(int nGrams, int buckets, int hashesPerBucket, ulong seed)
    {
        NGrams = nGrams;
        Buckets = buckets;
        HashesPerBucket = hashesPerBucket;
        Count = buckets * hashesPerBucket;
        int padded = (Count + 7) / 8 * 8;
        _a = new ulong[padded];
        _b = new ulong[padded];
        var rng = new SplitMix64(seed);
        for (int i = 0; i < Count; i++)
        {
            _a[i] = 1 + rng.Next() % (Prime - 1);
            _b[i] = rng.Next() % Prime;
        }
        // Padding lanes compute garbage that is never read.
        for (int i = Count; i < padded; i++) _a[i] = 1;
    }

    public int NGrams { get; }
    public int Buckets { get; }
    public int HashesPerBucket { get; }
    /// <summary>Permutations: buckets x hashes per bucket.</summary>
    public int Count { get; }
    /// <summary>Length a signature buffer needs (Count rounded up to a multiple of 8).</summary>
    public int BufferLength => _a.Length;

    /// <summary>Permutation <paramref name="i"/> of shingle hash <paramref name="h"/>.</summary>
    public ulong Permute(int i, ulong h) => unchecked(h * _a[i] + _b[i]) % Prime;

    /// <summary>
    /// Signature of normalised text (single spaces between words) into <paramref name="signature"/>
    /// (at least <see cref="BufferLength"/> long). Returns the number of shingles; 0 means no words.
    /// </summary>
    public int Signature(ReadOnlySpan<byte> normalized, Span<ulong> signature)
    {
        if (signature.Length < BufferLength) throw new ArgumentException($"signature buffer needs {BufferLength} values", nameof(signature));
        var sig = signature[..BufferLength];
        sig.Fill(ulong.MaxValue);
        if (normalized.IsEmpty) return 0;
        // Shingle hashes first (into a per-thread buffer), then each group of permutations over all of them.
        var hashes = _hashes ??= new ulong[1024];
        int n = NGrams;
        Span<int> starts = n <= 64 ? stackalloc int[n] : new int[n];
        int words = 0, shingles = 0, pos = 0;
        while (pos < normalized.Length)
        {
            int end = normalized[pos..].IndexOf((byte)' ');
            end = end < 0 ? normalized.Length : pos + end;
            starts[words % n] = pos;
            words++;
            if (words >= n)
            {
                if (shingles == hashes.Length) _hashes = hashes = GrowHashes(hashes);
                hashes[shingles++] = XxHash64.HashToUInt64(normalized[starts[words % n]..end]);
            }
            pos = end + 1;
        }
        if (shingles == 0) hashes[shingles++] = XxHash64.HashToUInt64(normalized);
        Permute(hashes.AsSpan(0, shingles), sig);
        return shingles;
    }

    [ThreadStatic] static ulong[]? _hashes;

    static ulong[] GrowHashes(ulong[] h)
    {
        Array.Resize(ref h, h.Length * 2);
        return h;
    }

    void Permute(ReadOnlySpan<ulong> hashes, Span<ulong> sig)
    {
        if (Vector512.IsHardwareAccelerated)
        {
            var p = Vector512.Create(Prime);
            for (int g = 0; g < _a.Length; g += 8)
            {
                var a = Vector512.Create(_a.AsSpan(g, 8));
                var b = Vector512.Create(_b.AsSpan(g, 8));
                var acc = Vector512.Create(ulong.MaxValue);
                foreach (ulong h in hashes)
                {
                    var x = Vector512.Create(h) * a + b;
                    x = (x & p) + (x >> 61);
                    acc = Vector512.Min(acc, Vector512.ConditionalSelect(Vector512.GreaterThanOrEqual(x, p), x - p, x));
                }
                acc.CopyTo(sig.Slice(g, 8));
            }
        }
        else if (Vector256.IsHardwareAccelerated)
        {
            var p = Vector256.Create(Prime);
            for (int g = 0; g < _a.Length; g += 4)
            {
                var a = Vector256.Create(_a.AsSpan(g, 4));
                var b = Vector256.Create(_b.AsSpan(g, 4));
                var acc = Vector256.Create(ulong.MaxValue);
                foreach (ulong h in hashes)
                {
                    var x = Vector256.Create(h) * a + b;
                    x = (x & p) + (x >> 61);
                    acc = Vector256.Min(acc, Vector256.ConditionalSelect(Vector256.GreaterThanOrEqual(x, p), x - p, x));
                }
                acc.CopyTo(sig.Slice(g, 4));
            }
        }
        else
        {
            for (int i = 0; i < _a.Length; i++)
            {
                ulong min = ulong.MaxValue;
                foreach (ulong h in hashes) min = Math.Min(min, unchecked(h * _a[i] + _b[i]) % Prime);
                sig[i] = min;
            }
        }
    }

    /// <summary>Hash of bucket (band) <paramref name="bucket"/>: xxhash64 of its values' little-endian bytes.</summary>
    public ulong BandHash(ReadOnlySpan<ulong> signature, int bucket)
        => XxHash64.HashToUInt64(MemoryMarshal.AsBytes(signature.Slice(bucket * HashesPerBucket, HashesPerBucket)));

    /// <summary>True when the two signatures agree on all values of at least one bucket (an LSH candidate pair).</summary>
    public bool Candidates(ReadOnlySpan<ulong> x, ReadOnlySpan<ulong> y)
    {
        for (int b = 0; b < Buckets; b++)
            if (x.Slice(b * HashesPerBucket, HashesPerBucket).SequenceEqual(y.Slice(b * HashesPerBucket, HashesPerBucket))) return true;
        return false;
    }

    /// <summary>Probability that two texts with Jaccard similarity <paramref name="s"/> become candidates: 1-(1-s^r)^b.</summary>
    public double MatchProbability(double s) => 1 - Math.Pow(1 - Math.Pow(s, HashesPerBucket), Buckets);
}
