namespace DataForge.Text;

/// <summary>
/// A reusable open-addressing hash table from 64-bit keys to counts, cleared in O(1) by a generation
/// stamp: the n-gram rules run several counting passes per document, and a general Dictionary
/// spends most of that time on bucket bookkeeping.
/// </summary>
public sealed class UInt64Counter
{
    ulong[] _keys = new ulong[1024];
    int[] _values = new int[1024];
    int[] _first = new int[1024];
    uint[] _stamp = new uint[1024];
    uint _generation = 1;
    int _mask = 1023;
    int _bits = 10;

    /// <summary>Empties the table, sized for about <paramref name="expected"/> keys.</summary>
    public void Reset(int expected)
    {
        int want = 1;
        while (want < expected * 2) want <<= 1;
        if (want > _keys.Length)
        {
            _keys = new ulong[want];
            _values = new int[want];
            _first = new int[want];
            _stamp = new uint[want];
            _mask = want - 1;
            _bits = System.Numerics.BitOperations.Log2((uint)want);
            _generation = 1;
            return;
        }
        if (++_generation == 0)
        {
            Array.Clear(_stamp);
            _generation = 1;
        }
    }

    /// <summary>Adds one to <paramref name="key"/>'s count; returns the new count and the position of its first occurrence.</summary>
    public int Increment(ulong key, int position, out int first)
    {
        int i = (int)Mix(key);
        while (true)
        {
            if (_stamp[i] != _generation)
            {
                _stamp[i] = _generation;
                _keys[i] = key;
                _values[i] = 1;
                _first[i] = position;
                first = position;
                return 1;
            }
            if (_keys[i] == key)
            {
                first = _first[i];
                return ++_values[i];
            }
            i = (i + 1) & _mask;
        }
    }

    /// <summary>Adds the key; false if it was already there.</summary>
    public bool Add(ulong key) => Increment(key, 0, out _) == 1;

    // Fibonacci hashing: one multiply spreads the key's bits into the high bits used as the slot.
    ulong Mix(ulong h) => (h * 0x9E3779B97F4A7C15UL) >> (64 - _bits);
}
