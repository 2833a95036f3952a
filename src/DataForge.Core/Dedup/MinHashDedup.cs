using System.Diagnostics;
using System.Runtime.InteropServices;
using DataForge.Documents;
using DataForge.Execution;
using DataForge.Pipelines;
using DataForge.Stages;
using DataForge.Configuration;

namespace DataForge.Dedup;

public sealed class MinHashDedupOptions
{
    [Option("Words per shingle (word n-grams of the normalised text).", Min = 1, Max = 64)]
    public int NGrams { get; init; } = 5;

    [Option("LSH buckets (bands); two documents are candidates when all hashes of one bucket agree.", Min = 1, Max = 256)]
    public int NumBuckets { get; init; } = 14;

    [Option("MinHash values per bucket.", Min = 1, Max = 64)]
    public int HashesPerBucket { get; init; } = 8;

    [Option("Seed of the permutation parameters a_i, b_i.", Min = 0)]
    public long Seed { get; init; } = 1;

    [Option("\"remove\": drop all but the first document of each cluster (reason minhash_dedup.duplicate); \"annotate\": keep all and add minhash_cluster (int64: input ordinal of the cluster's first document) and minhash_cluster_size.", AllowedValues = ["remove", "annotate"])]
    public string Mode { get; init; } = "remove";
}

/// <summary>
/// Near-duplicate removal with MinHash-LSH (docs/reference.md#minhash), in phases with bounded memory:
/// signatures per partition in parallel (each bucket's hash and the document's location spilled as
/// sorted runs, one file set per bucket); matching per bucket in parallel (external k-way merge of
/// the bucket's runs; equal hashes give candidate pairs, written as edge files); union-find over
/// the edges (one int per document; a cluster's root is its first document in input order); then
/// per-partition cluster files that apply reads.
/// </summary>
[Stage("minhash_dedup", StageShape.Global, "Near-duplicate removal: MinHash over word 5-grams, 14x8 LSH buckets, union-find clusters; keeps the first document per cluster (or annotates clusters).")]
public sealed class MinHashDedupStage : GlobalStage, IBucketedResolve
{
    const string Prefix = "bands";
    const string Clusters = "clusters";
    public const string DuplicateReason = "minhash_dedup.duplicate";
    public const string ClusterColumn = "minhash_cluster";
    public const string ClusterSizeColumn = "minhash_cluster_size";

    readonly MinHasher _hasher;
    readonly bool _annotate;
    string? _dir;

    public MinHashDedupStage(MinHashDedupOptions options, StageInit init) : base(init)
    {
        if ((long)options.NumBuckets * options.HashesPerBucket > 4096)
            throw new OptionException("num_buckets", $"num_buckets x hashes_per_bucket must be at most 4096 (got {options.NumBuckets} x {options.HashesPerBucket})");
        _hasher = new MinHasher(options.NGrams, options.NumBuckets, options.HashesPerBucket, (ulong)options.Seed);
        _annotate = options.Mode == "annotate";
    }

    public MinHasher Hasher => _hasher;

    /// <summary>Per row of a partition: the cluster (global input ordinal of its first document), its size, and whether this row is a later member.</summary>
    [StructLayout(LayoutKind.Sequential)]
    public struct ClusterRow
    {
        public long Cluster;
        public int Size;
        public int Duplicate;
    }

    public override IGlobalObserver CreateObserver(int partition, GlobalContext context)
    {
        _dir = context.WorkDirectory;
        return new Observer(_hasher, new RunWriter<KeyLoc>(context.WorkDirectory, Prefix, partition, _hasher.Buckets), partition);
    }

    sealed class Observer(MinHasher hasher, RunWriter<KeyLoc> writer, int partition) : IGlobalObserver
    {
        byte[] _text = [];
        readonly ulong[] _sig = new ulong[hasher.BufferLength];
        long _rows, _bytes, _empty;
        readonly Stopwatch _clock = new();

        public void Observe(DocumentBatch batch, long rowOffset)
        {
            _clock.Start();
            for (int i = 0; i < batch.Length; i++)
            {
                int n = DedupNormalizer.Normalize(batch.GetText(i), ref _text);
                if (hasher.Signature(_text.AsSpan(0, n), _sig) == 0) { _empty++; continue; }
                ulong loc = DocLoc.Pack(partition, rowOffset + i);
                for (int b = 0; b < hasher.Buckets; b++) writer.Add(b, new KeyLoc(hasher.BandHash(_sig, b), loc));
            }
            _rows = rowOffset + batch.Length;
            _bytes += batch.TextBytes;
            _clock.Stop();
        }

        public void Complete()
        {
            _clock.Start();
            writer.Flush();
            _clock.Stop();
            writer.Complete(_rows, new Dictionary<string, double> { ["bytes"] = _bytes, ["empty"] = _empty, ["seconds"] = _clock.Elapsed.TotalSeconds });
        }
    }

    public int ResolveBuckets => _hasher.Buckets;

    public override void Resolve(GlobalContext context)
    {
        var parallel = new ParallelOptions { MaxDegreeOfParallelism = context.Workers };
        var clock = Stopwatch.StartNew();
        var manifests = PartitionManifest.ReadAll(context.WorkDirectory, Prefix, context.PartitionCount);
        var offsets = PartitionManifest.Offsets(manifests);
        Parallel.For(0, _hasher.Buckets, parallel, b => ResolveBucket(context, b, manifests, offsets));
        // In one process the matching phase is timed as the wall time of the parallel buckets.
        _matchWallMs = (long)clock.Elapsed.TotalMilliseconds;
        ResolveCombine(context);
    }

    long _matchWallMs = -1;

    /// <summary>
    /// Matching in one bucket (band): its runs merged; documents with equal band hashes are joined to the first
    /// of them, as (ordinal, ordinal) edges in <c>edges-bBBB.bin</c>, renamed into place when complete.
    /// </summary>
    public void ResolveBucket(GlobalContext context, int b)
    {
        var manifests = PartitionManifest.ReadAll(context.WorkDirectory, Prefix, context.PartitionCount);
        ResolveBucket(context, b, manifests, PartitionManifest.Offsets(manifests));
    }

    void ResolveBucket(GlobalContext context, int b, PartitionManifest[] manifests, long[] offsets)
    {
        string dir = context.WorkDirectory;
        if (File.Exists(EdgePath(dir, b))) return;
        var clock = Stopwatch.StartNew();
        string tmp = EdgePath(dir, b) + ".tmp";
        using (var merger = new RunMerger<KeyLoc>(PartitionManifest.RunFiles(dir, Prefix, b, manifests)))
        using (var edges = new EdgeWriter(tmp))
        {
            KeyLoc first = default;
            bool any = false;
            while (merger.Next(out var rec))
            {
                if (any && rec.Key == first.Key) edges.Add(Ordinal(first.Loc, offsets), Ordinal(rec.Loc, offsets));
                else { first = rec; any = true; }
            }
        }
        RowResults.Write<long>(dir, MatchMsName(b), 0, [(long)clock.Elapsed.TotalMilliseconds]);
        File.Move(tmp, EdgePath(dir, b), overwrite: true);
    }

    /// <summary>After every bucket matched: union-find over all buckets' edges, then the per-partition cluster files apply reads.</summary>
    public void ResolveCombine(GlobalContext context)
    {
        string dir = _dir = context.WorkDirectory;
        var manifests = PartitionManifest.ReadAll(dir, Prefix, context.PartitionCount);
        var offsets = PartitionManifest.Offsets(manifests);
        long total = offsets[^1];
        if (total > int.MaxValue) throw new InvalidOperationException($"minhash_dedup: {total} documents exceed the supported {int.MaxValue}");
        var parallel = new ParallelOptions { MaxDegreeOfParallelism = context.Workers };
        long pairs = 0, matchMs = 0;
        for (int b = 0; b < _hasher.Buckets; b++)
        {
            if (!File.Exists(EdgePath(dir, b))) throw new InvalidOperationException($"{EdgePath(dir, b)}: bucket {b} was not matched (its resolve task did not finish)");
            pairs += new FileInfo(EdgePath(dir, b)).Length / 8;
            matchMs += RowResults.ReadAll<long>(dir, MatchMsName(b), 0)[0];
        }
        // Union-find over the candidate pairs.
        var clock = Stopwatch.StartNew();
        var uf = new UnionFind((int)total);
        long unions = 0;
        var buffer = new int[1 << 14];
        for (int b = 0; b < _hasher.Buckets; b++)
        {
            using var fs = new FileStream(EdgePath(dir, b), FileMode.Open, FileAccess.Read, FileShare.Read, 1 << 16);
            int n;
            while ((n = fs.ReadAtLeast(MemoryMarshal.AsBytes(buffer.AsSpan()), buffer.Length * 4, throwOnEndOfStream: false)) > 0)
                for (int i = 0; i + 1 < n / 4; i += 2)
                    if (uf.Union(buffer[i], buffer[i + 1])) unions++;
        }
        var sizes = new int[total];
        for (int i = 0; i < total; i++) sizes[uf.Find(i)]++;
        double ufMs = clock.Elapsed.TotalMilliseconds;

        // Per-partition cluster files.
        clock.Restart();
        var hist = new Histogram(Histogram.PowerOfTwoEdges(1 << 20));
        long clusters = 0, duplicates = 0;
        // Sizes are counted at roots only, so a size above one marks a cluster root.
        for (int i = 0; i < total; i++)
            if (sizes[i] > 1) { clusters++; hist.Add(sizes[i]); duplicates += sizes[i] - 1; }
        Parallel.For(0, manifests.Length, parallel, p =>
        {
            var rows = new ClusterRow[manifests[p].Rows];
            for (int r = 0; r < rows.Length; r++)
            {
                int ord = (int)(offsets[p] + r);
                int root = uf.Find(ord);
                rows[r] = new ClusterRow { Cluster = root, Size = sizes[root], Duplicate = root != ord ? 1 : 0 };
            }
            RowResults.Write<ClusterRow>(dir, Clusters, p, rows);
        });
        for (int b = 0; b < _hasher.Buckets; b++)
        {
            File.Delete(EdgePath(dir, b));
            File.Delete(RowResults.PathFor(dir, MatchMsName(b), 0));
        }

        var s = context.Stats;
        s.AddCounter("minhash_dedup.documents", total);
        s.AddCounter("minhash_dedup.bytes", (long)manifests.Sum(m => m.Values["bytes"]));
        s.AddCounter("minhash_dedup.no_words", (long)manifests.Sum(m => m.Values["empty"]));
        s.AddCounter("minhash_dedup.candidate_pairs", pairs);
        s.AddCounter("minhash_dedup.unions", unions);
        s.AddCounter("minhash_dedup.clusters", clusters);
        s.AddCounter("minhash_dedup.duplicates", duplicates);
        s.AddCounter("minhash_dedup.phase_ms.signatures", (long)manifests.Sum(m => m.Values["seconds"] * 1000));
        // Buckets matched in separate processes (Slurm tasks): the sum of their times.
        s.AddCounter("minhash_dedup.phase_ms.matching", _matchWallMs >= 0 ? _matchWallMs : matchMs);
        s.AddCounter("minhash_dedup.phase_ms.union_find", (long)ufMs);
        s.AddCounter("minhash_dedup.phase_ms.write", (long)clock.Elapsed.TotalMilliseconds);
        s.Histograms["minhash_dedup.cluster_size"] = hist;
    }

    static int Ordinal(ulong loc, long[] offsets) => (int)(offsets[DocLoc.Partition(loc)] + DocLoc.Row(loc));

    static string EdgePath(string dir, int bucket) => Path.Combine(dir, $"edges-b{bucket:D3}.bin");
    static string MatchMsName(int bucket) => $"match-ms-b{bucket:D3}";

    /// <summary>Apply reads only the files that resolve wrote in the work directory.</summary>
    public override void Reopen(GlobalContext context) => _dir = context.WorkDirectory;

    public override DocumentBatch Apply(DocumentBatch batch, StageContext context)
    {
        var rows = new ClusterRow[batch.Length];
        RowResults.Read<ClusterRow>(_dir ?? throw new InvalidOperationException($"{Name}: apply before resolve"), Clusters, context.Partition, context.RowOffset, rows);
        if (!_annotate) return RowFilter.Apply(batch, context, (b, i) => rows[i].Duplicate != 0 ? DuplicateReason : null);
        var cluster = new PrimitiveColumnBuilder<long>(batch.Length);
        var size = new PrimitiveColumnBuilder<long>(batch.Length);
        foreach (var r in rows) { cluster.Append(r.Cluster); size.Append(r.Size); }
        return batch.WithColumn(ClusterColumn, cluster.Build()).WithColumn(ClusterSizeColumn, size.Build());
    }

    /// <summary>Buffered writer of (int, int) edges.</summary>
    sealed class EdgeWriter(string path) : IDisposable
    {
        readonly FileStream _fs = new(path, FileMode.Create, FileAccess.Write, FileShare.None, 1);
        readonly int[] _buf = new int[1 << 14];
        int _n;

        public void Add(int a, int b)
        {
            if (_n + 2 > _buf.Length) Flush();
            _buf[_n++] = a;
            _buf[_n++] = b;
        }

        void Flush()
        {
            _fs.Write(MemoryMarshal.AsBytes(_buf.AsSpan(0, _n)));
            _n = 0;
        }

        public void Dispose()
        {
            Flush();
            _fs.Dispose();
        }
    }
}
