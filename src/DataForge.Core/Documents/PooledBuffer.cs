using System.Buffers;
using System.Runtime.CompilerServices;
using Apache.Arrow;

namespace DataForge.Documents;

/// <summary>
/// Owns a rented array behind an Arrow buffer. Disposal returns the array to the pool exactly once,
/// however many batches share the column, so the executor can dispose every batch of a chain.
/// Reusing batch memory avoids the page faults of fresh multi-megabyte arrays per batch.
/// </summary>
public sealed class PooledBuffer : IMemoryOwner<byte>
{
    byte[]? _array;
    readonly int _length;

    public PooledBuffer(byte[] array, int length)
    {
        _array = array;
        _length = length;
    }

    public Memory<byte> Memory => (_array ?? throw new ObjectDisposedException(nameof(PooledBuffer), "a document batch was used after it was released")).AsMemory(0, _length);

    public void Dispose()
    {
        var a = Interlocked.Exchange(ref _array, null);
        if (a is not null) Return(a);
    }

    /// <summary>Gives an array from <see cref="Rent"/> back (to the pool when it came from there).</summary>
    public static void Return(byte[] array)
    {
        if (array.Length <= LargestPooled) ArrayPool<byte>.Shared.Return(array);
    }

    /// <summary>
    /// Arrays above this size (one huge document) are not pooled: the pool would keep every one of them
    /// for the rest of the run, so one 200 MB line cost its size several times over; unpooled, the
    /// garbage collector takes them back.
    /// </summary>
    const int LargestPooled = 64 << 20;

    public static byte[] Rent(int minimum)
        => minimum > LargestPooled ? GC.AllocateUninitializedArray<byte>(minimum) : ArrayPool<byte>.Shared.Rent(minimum);

    // Arrow keeps its owner-taking buffer constructor internal, so owners are found per column.
    static readonly ConditionalWeakTable<IArrowArray, PooledBuffer> Owners = new();

    /// <summary>Records that <paramref name="array"/>'s values live in <paramref name="owner"/>.</summary>
    public static void Attach(IArrowArray array, PooledBuffer owner) => Owners.AddOrUpdate(array, owner);

    /// <summary>Returns the pooled memory behind <paramref name="array"/>, if any (idempotent).</summary>
    public static void Release(IArrowArray array)
    {
        if (Owners.TryGetValue(array, out var owner))
        {
            owner.Dispose();
            Owners.Remove(array);
        }
    }
}
