using System.Runtime.InteropServices;

namespace DataForge.Determinism;

/// <summary>
/// How a uniform integer below n is drawn from one 64-bit output. The three give different values for the
/// same output; each stays because stored outputs depend on it (which one a caller uses is part of its format).
/// </summary>
public enum BoundedDraw
{
    /// <summary>Top 32 bits times n, top 32 bits of the product (generated synthetic data).</summary>
    MultiplyHigh,
    /// <summary>Top 53 bits as a double in [0, 1) times n (mix shuffles).</summary>
    ScaledDouble,
    /// <summary>The output modulo n (training window order).</summary>
    Modulo,
}

/// <summary>
/// SplitMix64, the one seeded generator: small, fast, and its whole state is one number (checkpoints save it).
/// Everything whose output must repeat uses it, because System.Random's sequence is not a .NET contract.
/// Seeds for it come from <see cref="Seeds"/>.
/// </summary>
public struct SplitMix64(ulong state)
{
    /// <summary>The increment (2^64 / golden ratio, odd).</summary>
    public const ulong Gamma = 0x9E3779B97F4A7C15UL;

    public ulong State = state;

    /// <summary>The output function: a bijective 64-bit mix (also a good hash finaliser).</summary>
    public static ulong Finalize(ulong z)
    {
        z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9UL;
        z = (z ^ (z >> 27)) * 0x94D049BB133111EBUL;
        return z ^ (z >> 31);
    }

    public ulong Next()
    {
        State += Gamma;
        return Finalize(State);
    }

    /// <summary>Uniform in [0, 1) from the top 53 bits.</summary>
    public double NextDouble() => (Next() >> 11) * (1.0 / (1UL << 53));

    /// <summary>Uniform integer in [0, n) by <see cref="BoundedDraw.MultiplyHigh"/>.</summary>
    public int NextInt(int n)
    {
        if (n <= 0) throw new ArgumentOutOfRangeException(nameof(n));
        return (int)(((Next() >> 32) * (ulong)n) >> 32);
    }

    /// <summary>Uniform integer in [0, n) by <see cref="BoundedDraw.ScaledDouble"/>.</summary>
    public int NextIntScaled(int n) => (int)((Next() >> 11) * (double)n / (1UL << 53));

    /// <summary>Integer in [0, n) by <see cref="BoundedDraw.Modulo"/>.</summary>
    public int NextIntModulo(int n) => (int)(Next() % (ulong)n);

    public int NextInt(int n, BoundedDraw draw) => draw switch
    {
        BoundedDraw.MultiplyHigh => NextInt(n),
        BoundedDraw.ScaledDouble => NextIntScaled(n),
        BoundedDraw.Modulo => NextIntModulo(n),
        _ => throw new ArgumentOutOfRangeException(nameof(draw)),
    };

    /// <summary>Uniform integer in [lo, hi] (inclusive), by <see cref="BoundedDraw.MultiplyHigh"/>.</summary>
    public int Range(int lo, int hi) => lo + NextInt(hi - lo + 1);

    /// <summary>True with probability percent / 100.</summary>
    public bool Chance(int percent) => NextInt(100) < percent;

    public T Pick<T>(IReadOnlyList<T> items) => items[NextInt(items.Count)];

    /// <summary>
    /// The seeded shuffle: Fisher-Yates from the last position down, position i swapping with an index drawn
    /// below i + 1 by <paramref name="draw"/>.
    /// </summary>
    public void Shuffle<T>(Span<T> items, BoundedDraw draw)
    {
        for (int i = items.Length - 1; i > 0; i--)
        {
            int j = NextInt(i + 1, draw);
            (items[i], items[j]) = (items[j], items[i]);
        }
    }

    public void Shuffle<T>(List<T> items, BoundedDraw draw) => Shuffle(CollectionsMarshal.AsSpan(items), draw);
}
