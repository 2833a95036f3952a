using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Text.Json;
using DataForge.Execution;

namespace DataForge.Dedup;

/// <summary>A 64-bit key and a location (who holds it); sorted by key, then location.</summary>
[StructLayout(LayoutKind.Sequential)]
public struct KeyLoc : IComparable<KeyLoc>
{
    public ulong Key;
    public ulong Loc;

    public KeyLoc(ulong key, ulong loc) { Key = key; Loc = loc; }

    public readonly int CompareTo(KeyLoc other)
    {
        int c = Key.CompareTo(other.Key);
        return c != 0 ? c : Loc.CompareTo(other.Loc);
    }
}

/// <summary>A 128-bit key and a location; sorted by key, then location.</summary>
[StructLayout(LayoutKind.Sequential)]
public struct Key128Loc : IComparable<Key128Loc>
{
    public ulong Hi;
    public ulong Lo;
    public ulong Loc;

    public Key128Loc(UInt128 key, ulong loc) { Hi = (ulong)(key >> 64); Lo = (ulong)key; Loc = loc; }

    public readonly int CompareTo(Key128Loc other)
    {
        int c = Hi.CompareTo(other.Hi);
        if (c != 0) return c;
        c = Lo.CompareTo(other.Lo);
        return c != 0 ? c : Loc.CompareTo(other.Loc);
    }

    public readonly bool SameKey(in Key128Loc other) => Hi == other.Hi && Lo == other.Lo;
}

/// <summary>Document locations packed in 64 bits: partition (upper 24 bits) and row (lower 40), so sorting follows input order.</summary>
public static class DocLoc
{
    public const int RowBits = 40;
    public static ulong Pack(int partition, long row)
    {
        if ((uint)partition >= 1u << 24) throw new InvalidOperationException($"dedup supports at most {1 << 24} partitions (got partition {partition})");
        return ((ulong)partition << RowBits) | (ulong)row;
    }
    public static int Partition(ulong loc) => (int)(loc >> RowBits);
    public static long Row(ulong loc) => (long)(loc & ((1UL << RowBits) - 1));
}

/// <summary>
/// An observer's spill: fixed-size records distributed over buckets, buffered in memory up to a
/// budget, then each bucket's buffer sorted and written as one run file
/// (<c>{prefix}-b{bucket}-p{partition}-r{run}.bin</c>). <see cref="Complete"/> writes the
/// partition's manifest last (atomically), so a partition counts only when all its runs exist;
/// a restarted partition first removes what an interrupted attempt left.
/// </summary>
public sealed class RunWriter<T> where T : unmanaged, IComparable<T>
{
    readonly string _dir, _prefix;
    readonly int _partition;
    readonly T[][] _buffers;
    readonly int[] _counts;
    readonly int _budget;
    int _total, _runs;

    public RunWriter(string dir, string prefix, int partition, int buckets, long budgetBytes = 24 << 20)
    {
        _dir = dir;
        _prefix = prefix;
        _partition = partition;
        _budget = (int)Math.Max(1024, budgetBytes / Unsafe.SizeOf<T>());
        _buffers = new T[buckets][];
        for (int b = 0; b < buckets; b++) _buffers[b] = new T[256];
        _counts = new int[buckets];
        foreach (var f in Directory.EnumerateFiles(dir, $"{prefix}-*-p{partition:D5}-*")) File.Delete(f);
        File.Delete(ManifestPath(dir, prefix, partition));
    }

    public void Add(int bucket, in T record)
    {
        ref var buf = ref _buffers[bucket];
        if (_counts[bucket] == buf.Length) Array.Resize(ref buf, buf.Length * 2);
        buf[_counts[bucket]++] = record;
        if (++_total >= _budget) Flush();
    }

    /// <summary>Writes the buffered records as runs now.</summary>
    public void Flush()
    {
        if (_total == 0) return;
        for (int b = 0; b < _buffers.Length; b++)
        {
            if (_counts[b] == 0) continue;
            var span = _buffers[b].AsSpan(0, _counts[b]);
            span.Sort();
            using (var fs = new FileStream(RunPath(_dir, _prefix, b, _partition, _runs), FileMode.Create, FileAccess.Write, FileShare.None, 1 << 16))
                fs.Write(MemoryMarshal.AsBytes(span));
            _counts[b] = 0;
            // Shrink buffers that grew large so an observer's memory stays near the budget.
            if (_buffers[b].Length > 4 * (_budget / _buffers.Length + 256)) _buffers[b] = new T[256];
        }
        _total = 0;
        _runs++;
    }

    /// <summary>Writes the remaining runs and the manifest (rows observed and stage-specific numbers).</summary>
    public void Complete(long rows, IReadOnlyDictionary<string, double>? extra = null)
    {
        Flush();
        JsonFiles.WriteAtomic(ManifestPath(_dir, _prefix, _partition), w =>
        {
            w.WriteStartObject();
            w.WriteNumber("rows", rows);
            w.WriteNumber("runs", _runs);
            if (extra is not null) foreach (var (k, v) in extra) w.WriteNumber(k, v);
            w.WriteEndObject();
        });
    }

    public static string RunPath(string dir, string prefix, int bucket, int partition, int run)
        => Path.Combine(dir, $"{prefix}-b{bucket:D3}-p{partition:D5}-r{run:D4}.bin");

    public static string ManifestPath(string dir, string prefix, int partition) => Path.Combine(dir, $"{prefix}-p{partition:D5}.json");
}

/// <summary>What observers recorded for one partition.</summary>
public sealed record PartitionManifest(long Rows, int Runs, IReadOnlyDictionary<string, double> Values)
{
    /// <summary>Reads the manifests of all partitions; a missing one means an observer never completed.</summary>
    public static PartitionManifest[] ReadAll(string dir, string prefix, int partitions)
    {
        var list = new PartitionManifest[partitions];
        for (int p = 0; p < partitions; p++)
        {
            string path = RunWriter<KeyLoc>.ManifestPath(dir, prefix, p);
            if (!File.Exists(path)) throw new InvalidOperationException($"{path}: partition {p} was not observed completely; rerun without --resume");
            using var doc = JsonDocument.Parse(File.ReadAllBytes(path));
            var values = new Dictionary<string, double>(StringComparer.Ordinal);
            foreach (var prop in doc.RootElement.EnumerateObject()) values[prop.Name] = prop.Value.GetDouble();
            list[p] = new PartitionManifest((long)values["rows"], (int)values["runs"], values);
        }
        return list;
    }

    /// <summary>Global ordinal of each partition's first row (input order); the last entry is the total.</summary>
    public static long[] Offsets(PartitionManifest[] manifests)
    {
        var o = new long[manifests.Length + 1];
        for (int p = 0; p < manifests.Length; p++) o[p + 1] = o[p] + manifests[p].Rows;
        return o;
    }

    /// <summary>The run files of one bucket over all partitions.</summary>
    public static List<string> RunFiles(string dir, string prefix, int bucket, PartitionManifest[] manifests)
    {
        var runs = new List<string>();
        for (int p = 0; p < manifests.Length; p++)
            for (int r = 0; r < manifests[p].Runs; r++)
            {
                string path = RunWriter<KeyLoc>.RunPath(dir, prefix, bucket, p, r);
                if (File.Exists(path)) runs.Add(path);
            }
        return runs;
    }
}

/// <summary>K-way merge of sorted run files of fixed-size records; memory is one small buffer per run.</summary>
public sealed class RunMerger<T> : IDisposable where T : unmanaged, IComparable<T>
{
    sealed class Run(FileStream stream, int capacity)
    {
        public readonly FileStream Stream = stream;
        public readonly T[] Buffer = new T[capacity];
        public int Count, Index;

        public bool Fill()
        {
            var bytes = MemoryMarshal.AsBytes(Buffer.AsSpan());
            int n = 0;
            while (n < bytes.Length)
            {
                int r = Stream.Read(bytes[n..]);
                if (r == 0) break;
                n += r;
            }
            if (n % Unsafe.SizeOf<T>() != 0) throw new InvalidDataException($"{Stream.Name}: truncated spill file");
            Count = n / Unsafe.SizeOf<T>();
            Index = 0;
            return Count > 0;
        }
    }

    sealed class ByRecord : IComparer<T>
    {
        public static readonly ByRecord Instance = new();
        public int Compare(T x, T y) => x.CompareTo(y);
    }

    readonly List<Run> _runs = [];
    readonly PriorityQueue<int, T> _queue = new(ByRecord.Instance);

    public RunMerger(IEnumerable<string> paths, int bufferBytes = 1 << 16)
    {
        int capacity = Math.Max(16, bufferBytes / Unsafe.SizeOf<T>());
        foreach (var path in paths)
        {
            var run = new Run(new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read, 1), capacity);
            _runs.Add(run);
            if (run.Fill()) _queue.Enqueue(_runs.Count - 1, run.Buffer[0]);
        }
    }

    /// <summary>The next record in sorted order, or false when all runs are exhausted.</summary>
    public bool Next(out T record)
    {
        if (!_queue.TryDequeue(out int i, out record)) return false;
        var run = _runs[i];
        if (++run.Index < run.Count || run.Fill()) _queue.Enqueue(i, run.Buffer[run.Index]);
        return true;
    }

    public void Dispose()
    {
        foreach (var r in _runs) r.Stream.Dispose();
    }
}

/// <summary>Union-find over dense ordinals; a cluster's root is its smallest ordinal (the first document in input order).</summary>
public sealed class UnionFind
{
    readonly int[] _parent;

    public UnionFind(int count)
    {
        _parent = new int[count];
        for (int i = 0; i < count; i++) _parent[i] = i;
    }

    public int Count => _parent.Length;

    public int Find(int x)
    {
        while (_parent[x] != x)
        {
            _parent[x] = _parent[_parent[x]];
            x = _parent[x];
        }
        return x;
    }

    /// <summary>Joins the clusters of a and b; true when they were separate.</summary>
    public bool Union(int a, int b)
    {
        int ra = Find(a), rb = Find(b);
        if (ra == rb) return false;
        if (ra < rb) _parent[rb] = ra; else _parent[ra] = rb;
        return true;
    }
}

/// <summary>Per-row results of a resolve step, one file per partition of fixed-size values, read back by apply in batches.</summary>
public static class RowResults
{
    public static string PathFor(string dir, string name, int partition) => Path.Combine(dir, $"{name}-p{partition:D5}.bin");

    /// <summary>Writes a partition's values atomically.</summary>
    public static void Write<T>(string dir, string name, int partition, ReadOnlySpan<T> values) where T : unmanaged
    {
        string path = PathFor(dir, name, partition);
        string tmp = path + ".tmp";
        using (var fs = new FileStream(tmp, FileMode.Create, FileAccess.Write, FileShare.None, 1 << 16))
            fs.Write(MemoryMarshal.AsBytes(values));
        File.Move(tmp, path, overwrite: true);
    }

    /// <summary>Reads every value of a partition's file.</summary>
    public static T[] ReadAll<T>(string dir, string name, int partition) where T : unmanaged
    {
        string path = PathFor(dir, name, partition);
        var values = new T[new FileInfo(path).Length / Unsafe.SizeOf<T>()];
        Read<T>(dir, name, partition, 0, values);
        return values;
    }

    /// <summary>Reads values [offset, offset + destination.Length) of a partition.</summary>
    public static void Read<T>(string dir, string name, int partition, long offset, Span<T> destination) where T : unmanaged
    {
        string path = PathFor(dir, name, partition);
        using var fs = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read, 1);
        fs.Position = offset * Unsafe.SizeOf<T>();
        try { fs.ReadExactly(MemoryMarshal.AsBytes(destination)); }
        catch (EndOfStreamException ex) { throw new InvalidOperationException($"{path}: fewer rows than the stage observed; rerun without --resume", ex); }
    }
}
