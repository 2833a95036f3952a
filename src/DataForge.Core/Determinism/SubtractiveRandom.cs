namespace DataForge.Determinism;

/// <summary>
/// Knuth's subtractive generator (seeded as Numerical Recipes' ran3), written out here so its sequence is
/// DataForge's own: it is the sequence a seeded System.Random gives in .NET today, which trained quality
/// models were sampled with, but that sequence is not a .NET contract. New code uses <see cref="SplitMix64"/>.
/// </summary>
public sealed class SubtractiveRandom
{
    const int Big = int.MaxValue;
    const int SeedBase = 161803398;
    readonly int[] _state = new int[56];
    int _next, _nextP = 21;

    public SubtractiveRandom(int seed)
    {
        int subtraction = seed == int.MinValue ? int.MaxValue : Math.Abs(seed);
        int mj = SeedBase - subtraction;
        _state[55] = mj;
        int mk = 1, ii = 0;
        for (int i = 1; i < 55; i++)
        {
            if ((ii += 21) >= 55) ii -= 55;
            _state[ii] = mk;
            mk = mj - mk;
            if (mk < 0) mk += Big;
            mj = _state[ii];
        }
        for (int k = 1; k < 5; k++)
            for (int i = 1; i < 56; i++)
            {
                int n = i + 30;
                if (n >= 55) n -= 55;
                _state[i] -= _state[1 + n];
                if (_state[i] < 0) _state[i] += Big;
            }
    }

    int Sample()
    {
        if (++_next >= 56) _next = 1;
        if (++_nextP >= 56) _nextP = 1;
        int r = _state[_next] - _state[_nextP];
        if (r == Big) r--;
        if (r < 0) r += Big;
        _state[_next] = r;
        return r;
    }

    /// <summary>A value in [0, <paramref name="maxValue"/>).</summary>
    public int Next(int maxValue)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(maxValue);
        return (int)(Sample() * (1.0 / Big) * maxValue);
    }

    /// <summary>A double in [0, 1).</summary>
    public double NextDouble() => Sample() * (1.0 / Big);
}
