namespace DataForge.Text;

/// <summary>
/// A reusable open-addressing hash table from 64-bit keys to counts, cleared in O(1) by a generation
/// stamp: the n-gram rules run several counting passes per document, and a general Dictionary
/// spends most of that time on bucket bookkeeping. A slot is one struct, so a probe touches one
/// cache line.
/// </summary>
public sealed class UInt64Counter
{
    struct Slot
    {
        public ulong Key;
        public int Count;
        public int First;
        public uint Stamp;
    }

    Slot[] _slots = new Slot[1024];
    uint _generation = 1;
    int _mask = 1023;
    int _bits = 10;

    /// <summary>Empties the table, sized for about <paramref name="expected"/> keys.</summary>
    public void Reset(int expected)
    {
        int want = 1024;
        while (want < expected * 2) want <<= 1;
        if (want > _slots.Length)
        {
            _slots = new Slot[want];
            _mask = want - 1;
            _bits = System.Numerics.BitOperations.Log2((uint)want);
            _generation = 1;
            return;
        }
        if (++_generation == 0)
        {
            Array.Clear(_slots);
            _generation = 1;
        }
    }

    /// <summary>Adds one to <paramref name="key"/>'s count; returns the new count and the position of its first occurrence.</summary>
    public int Increment(ulong key, int position, out int first)
    {
        // Fibonacci hashing: one multiply spreads the key's bits into the high bits used as the slot.
        int i = (int)((key * 0x9E3779B97F4A7C15UL) >> (64 - _bits));
        var slots = _slots;
        while (true)
        {
            ref var s = ref slots[i];
            if (s.Stamp != _generation)
            {
                s.Stamp = _generation;
                s.Key = key;
                s.Count = 1;
                s.First = position;
                first = position;
                return 1;
            }
            if (s.Key == key)
            {
                first = s.First;
                return ++s.Count;
            }
            i = (i + 1) & _mask;
        }
    }

    /// <summary>Adds the key; false if it was already there.</summary>
    public bool Add(ulong key) => Increment(key, 0, out _) == 1;
}
