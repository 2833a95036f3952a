using System.IO.Hashing;
using System.Text;

namespace DataForge.Determinism;

/// <summary>
/// Deriving seeds (and seeded per-document decisions) from a seed and a label, so that each use gets its own
/// independent stream that depends only on the configuration, never on order, partitioning or threads.
/// <see cref="Derive(ulong, string)"/> is the derivation to use. The others are older algorithms kept bit-exact
/// because existing outputs depend on them: <see cref="DeriveForIndex"/> and <see cref="DeriveForKey"/> seed
/// synthetic items and per-document synthesis; <see cref="DeriveChained"/> seeds training (data order, picker,
/// dropout).
/// </summary>
public static class Seeds
{
    /// <summary>xxHash64 of the label's UTF-8 bytes with the seed as hash seed (mix shuffles and interleaving).</summary>
    public static ulong Derive(ulong seed, string label) => Derive(seed, Encoding.UTF8.GetBytes(label));

    /// <summary>
    /// xxHash64 of the bytes with the seed as hash seed. Compared with a threshold it is a seeded per-document
    /// decision (sample, keep_fraction, validation split) that depends only on the document id.
    /// </summary>
    public static ulong Derive(ulong seed, ReadOnlySpan<byte> label) => XxHash64.HashToUInt64(label, (long)seed);

    /// <summary>Generated item <paramref name="index"/>: SplitMix64-finalised index folded into the seed.</summary>
    public static ulong DeriveForIndex(ulong seed, ulong index)
        => SplitMix64.Finalize(seed ^ SplitMix64.Finalize(index + SplitMix64.Gamma));

    /// <summary><see cref="DeriveForIndex"/> with the index taken from a string key (a document id) by <see cref="Fnv1a"/>.</summary>
    public static ulong DeriveForKey(ulong seed, string key) => DeriveForIndex(seed, Fnv1a(key));

    /// <summary>
    /// Chains parts through SplitMix64 started at a fixed constant (the digits of pi): each part is XORed into the
    /// state, and the state restarts from the running output.
    /// </summary>
    public static ulong DeriveChained(params ReadOnlySpan<ulong> parts)
    {
        var r = new SplitMix64(0x243F6A8885A308D3UL);
        ulong h = 0;
        foreach (var p in parts) { r.State ^= p; h ^= r.Next(); r.State = h; }
        return h;
    }

    /// <summary>FNV-1a (64-bit) over UTF-16 code units: stable across runs and platforms, unlike string.GetHashCode.</summary>
    public static ulong Fnv1a(string s)
    {
        ulong h = 0xcbf29ce484222325UL;
        foreach (char c in s) { h ^= c; h *= 0x100000001b3UL; }
        return h;
    }
}
