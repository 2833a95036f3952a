using System.Diagnostics;
using DataForge.Documents;
using DataForge.Execution;
using DataForge.Stages;

namespace DataForge.Dedup;

/// <summary>
/// Shared engine of the dedup stages that keep the first document per key (exact_dedup, url_dedup).
/// Observe: each document's 128-bit key and location go to hash-partitioned spill files as sorted
/// runs (memory: a fixed buffer per partition). Resolve: each hash bucket's runs are merged
/// externally, buckets in parallel (at most <see cref="GlobalContext.Workers"/> at a time); the
/// first record of each key (smallest location = first in input order) is kept, the rest are
/// marked in per-partition drop files. Apply: reads the flags of its rows. Resolve is a pure
/// function of the observers' files, so a resumed run re-running it gets the same result.
/// </summary>
public abstract class KeepFirstDedup(StageInit init) : GlobalStage(init)
{
    const int Buckets = 32;
    const string Prefix = "keys";
    const string Flags = "drop";
    string? _dir;

    /// <summary>The document's key; false when the document takes no part (it is kept).</summary>
    protected abstract bool TryKey(DocumentBatch batch, int row, ref byte[] scratch, out UInt128 key);

    string Reason => _reason ??= Type + ".duplicate";
    string? _reason;

    public override IGlobalObserver CreateObserver(int partition, GlobalContext context)
    {
        _dir = context.WorkDirectory;
        return new Observer(this, new RunWriter<Key128Loc>(context.WorkDirectory, Prefix, partition, Buckets), partition);
    }

    sealed class Observer(KeepFirstDedup stage, RunWriter<Key128Loc> writer, int partition) : IGlobalObserver
    {
        byte[] _scratch = [];
        long _rows, _skipped, _bytes;
        readonly Stopwatch _clock = new();

        public void Observe(DocumentBatch batch, long rowOffset)
        {
            _clock.Start();
            for (int i = 0; i < batch.Length; i++)
            {
                if (stage.TryKey(batch, i, ref _scratch, out var key))
                {
                    var rec = new Key128Loc(key, DocLoc.Pack(partition, rowOffset + i));
                    writer.Add((int)(rec.Hi % Buckets), rec);
                }
                else _skipped++;
            }
            _rows = rowOffset + batch.Length;
            _bytes += batch.TextBytes;
            _clock.Stop();
        }

        public void Complete() => writer.Complete(_rows, new Dictionary<string, double>
        {
            ["skipped"] = _skipped,
            ["bytes"] = _bytes,
            ["seconds"] = _clock.Elapsed.TotalSeconds,
        });
    }

    public override void Resolve(GlobalContext context)
    {
        _dir = context.WorkDirectory;
        var manifests = PartitionManifest.ReadAll(_dir, Prefix, context.PartitionCount);
        var drop = manifests.Select(m => new long[(m.Rows + 63) / 64]).ToArray();
        var clock = Stopwatch.StartNew();
        var sizes = new Histogram(Histogram.PowerOfTwoEdges(1 << 20));
        long groups = 0, duplicates = 0;
        var gate = new object();
        Parallel.For(0, Buckets, new ParallelOptions { MaxDegreeOfParallelism = context.Workers }, b =>
        {
            var local = new Histogram(sizes.Edges);
            long localGroups = 0, localDups = 0;
            using var merger = new RunMerger<Key128Loc>(PartitionManifest.RunFiles(_dir, Prefix, b, manifests));
            Key128Loc prev = default;
            long size = 0;
            while (merger.Next(out var rec))
            {
                if (size > 0 && rec.SameKey(prev))
                {
                    size++;
                    long row = DocLoc.Row(rec.Loc);
                    Interlocked.Or(ref drop[DocLoc.Partition(rec.Loc)][row >> 6], 1L << (int)(row & 63));
                    localDups++;
                    continue;
                }
                if (size > 1) { local.Add(size); localGroups++; }
                prev = rec;
                size = 1;
            }
            if (size > 1) { local.Add(size); localGroups++; }
            lock (gate) { sizes.Merge(local); groups += localGroups; duplicates += localDups; }
        });
        double matchMs = clock.Elapsed.TotalMilliseconds;
        clock.Restart();
        Parallel.For(0, manifests.Length, new ParallelOptions { MaxDegreeOfParallelism = context.Workers }, p =>
        {
            var flags = new byte[manifests[p].Rows];
            for (long r = 0; r < flags.Length; r++) flags[r] = (byte)((drop[p][r >> 6] >> (int)(r & 63)) & 1);
            RowResults.Write<byte>(_dir, Flags, p, flags);
        });
        var s = context.Stats;
        s.AddCounter(Type + ".documents", manifests.Sum(m => m.Rows));
        s.AddCounter(Type + ".duplicates", duplicates);
        s.AddCounter(Type + ".duplicate_groups", groups);
        long skipped = (long)manifests.Sum(m => m.Values.GetValueOrDefault("skipped"));
        if (skipped > 0) s.AddCounter(Type + ".no_key", skipped);
        s.AddCounter(Type + ".phase_ms.hashing", (long)manifests.Sum(m => m.Values.GetValueOrDefault("seconds") * 1000));
        s.AddCounter(Type + ".phase_ms.matching", (long)matchMs);
        s.AddCounter(Type + ".phase_ms.write", (long)clock.Elapsed.TotalMilliseconds);
        if (!s.Histograms.ContainsKey(Type + ".group_size")) s.Histograms[Type + ".group_size"] = sizes;
    }

    /// <summary>Apply reads only the files that resolve wrote in the work directory.</summary>
    public override void Reopen(GlobalContext context) => _dir = context.WorkDirectory;

    public override DocumentBatch Apply(DocumentBatch batch, StageContext context)
    {
        var flags = new byte[batch.Length];
        RowResults.Read<byte>(_dir ?? throw new InvalidOperationException($"{Name}: apply before resolve"), Flags, context.Partition, context.RowOffset, flags);
        return RowFilter.Apply(batch, context, (b, i) => flags[i] != 0 ? Reason : null);
    }
}
