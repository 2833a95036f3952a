using System.Runtime.InteropServices;
using Apache.Arrow;
using Apache.Arrow.Types;

namespace DataForge.Documents;

/// <summary>
/// Appends UTF-8 values into one contiguous buffer and builds an Arrow <see cref="StringArray"/>
/// without copying; text stages write their output straight into <see cref="Reserve"/>.
/// </summary>
public sealed class Utf8ColumnBuilder
{
    byte[] _data;
    int _dataLength;
    int[] _offsets;
    byte[]? _validity;
    int _nullCount;

    public Utf8ColumnBuilder(int capacityRows = 1024, int capacityBytes = 1 << 16)
    {
        _data = PooledBuffer.Rent(Math.Max(16, capacityBytes));
        _offsets = new int[Math.Max(4, capacityRows + 1)];
    }

    public int Count { get; private set; }
    public int ByteLength => _dataLength;

    public void Append(ReadOnlySpan<byte> value)
    {
        EnsureNotBuilt();
        EnsureData(value.Length);
        value.CopyTo(_data.AsSpan(_dataLength));
        _dataLength += value.Length;
        EndRow();
    }

    public void Append(string value)
    {
        int max = System.Text.Encoding.UTF8.GetMaxByteCount(value.Length);
        EnsureData(max);
        _dataLength += System.Text.Encoding.UTF8.GetBytes(value, _data.AsSpan(_dataLength));
        EndRow();
    }

    /// <summary>Space for a value of at most <paramref name="maxBytes"/>; finish with <see cref="Commit"/>.</summary>
    public Span<byte> Reserve(int maxBytes)
    {
        EnsureData(maxBytes);
        return _data.AsSpan(_dataLength, maxBytes);
    }

    public void Commit(int written)
    {
        _dataLength += written;
        EndRow();
    }

    public void AppendNull()
    {
        if (_validity is null)
        {
            _validity = new byte[Math.Max(8, _offsets.Length / 8 + 1)];
            for (int i = 0; i < Count; i++) _validity[i >> 3] |= (byte)(1 << (i & 7));
        }
        _nullCount++;
        EnsureRow();
        _offsets[Count + 1] = _dataLength;
        Count++;
    }

    void EndRow()
    {
        EnsureRow();
        if (_validity is not null) _validity[Count >> 3] |= (byte)(1 << (Count & 7));
        _offsets[Count + 1] = _dataLength;
        Count++;
    }

    void EnsureRow()
    {
        if (Count + 2 > _offsets.Length) System.Array.Resize(ref _offsets, _offsets.Length * 2);
        if (_validity is not null && (Count >> 3) + 1 >= _validity.Length) System.Array.Resize(ref _validity, _validity.Length * 2);
    }

    void EnsureData(int extra)
    {
        long need = (long)_dataLength + extra;
        if (need > System.Array.MaxLength) throw new InvalidOperationException("a batch column exceeds 2 GB; lower batch_bytes");
        if (need <= _data.Length) return;
        long size = Math.Max(need, Math.Min(System.Array.MaxLength, (long)_data.Length * 2));
        var bigger = PooledBuffer.Rent((int)size);
        _data.AsSpan(0, _dataLength).CopyTo(bigger);
        PooledBuffer.Return(_data);
        _data = bigger;
    }

    void EnsureNotBuilt()
    {
        if (_built) throw new InvalidOperationException("a column builder cannot be used after Build()");
    }

    bool _built;

    public StringArray Build()
    {
        EnsureNotBuilt();
        _built = true;
        var offsets = new ArrowBuffer(MemoryMarshal.AsBytes(_offsets.AsSpan(0, Count + 1)).ToArray());
        // The rented data array now belongs to the column; it goes back to the pool when the batch is disposed.
        var owner = new PooledBuffer(_data, _dataLength);
        var data = new ArrowBuffer(owner.Memory);
        var validity = _validity is null ? ArrowBuffer.Empty : new ArrowBuffer(_validity.AsMemory(0, (Count + 7) / 8));
        _data = [];
        var array = new StringArray(Count, offsets, data, validity, _nullCount);
        PooledBuffer.Attach(array, owner);
        return array;
    }
}

/// <summary>Builds a primitive Arrow column (float, double, int, long) of non-null values, plus optional nulls.</summary>
public sealed class PrimitiveColumnBuilder<T> where T : unmanaged
{
    T[] _values;
    byte[]? _validity;
    int _nullCount;

    public PrimitiveColumnBuilder(int capacity = 1024) => _values = new T[Math.Max(4, capacity)];

    public int Count { get; private set; }

    public void Append(T value)
    {
        Ensure();
        _values[Count] = value;
        if (_validity is not null) _validity[Count >> 3] |= (byte)(1 << (Count & 7));
        Count++;
    }

    public void AppendNull()
    {
        Ensure();
        if (_validity is null)
        {
            _validity = new byte[_values.Length / 8 + 1];
            for (int i = 0; i < Count; i++) _validity[i >> 3] |= (byte)(1 << (i & 7));
        }
        _nullCount++;
        Count++;
    }

    void Ensure()
    {
        if (Count < _values.Length) return;
        System.Array.Resize(ref _values, _values.Length * 2);
        if (_validity is not null) System.Array.Resize(ref _validity, _values.Length / 8 + 1);
    }

    public IArrowArray Build()
    {
        var data = new ArrowBuffer(MemoryMarshal.AsBytes(_values.AsSpan(0, Count)).ToArray());
        var validity = _validity is null ? ArrowBuffer.Empty : new ArrowBuffer(_validity.AsMemory(0, (Count + 7) / 8));
        IArrowType type = typeof(T) == typeof(float) ? FloatType.Default
            : typeof(T) == typeof(double) ? DoubleType.Default
            : typeof(T) == typeof(int) ? Int32Type.Default
            : typeof(T) == typeof(long) ? Int64Type.Default
            : throw new NotSupportedException(typeof(T).Name);
        var arrayData = new Apache.Arrow.ArrayData(type, Count, _nullCount, 0, [validity, data]);
        return ArrowArrayFactory.BuildArray(arrayData);
    }
}
