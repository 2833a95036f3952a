using System.Diagnostics;
using System.Threading.Channels;
using Apache.Arrow.Ipc;
using DataForge.Documents;
using DataForge.IO;
using DataForge.Pipelines;
using DataForge.Stages;

namespace DataForge.Execution;

/// <summary>
/// Runs partitions through the segments of one run: skips a partition an earlier attempt finished (on
/// resume), else runs it as a <see cref="PartitionPass"/> and records it as done. Shared by the run's
/// worker threads; the only mutable state is the --limit budget.
/// </summary>
internal sealed class PartitionRunner(Pipeline pipeline, RunDirectory run, RunOptions options, int partitionCount, bool pipelined)
{
    long _limitRemaining = options.Limit ?? long.MaxValue;

    public Pipeline Pipeline => pipeline;
    public RunDirectory Run => run;
    public RunOptions Options => options;
    public int PartitionCount => partitionCount;
    public bool Pipelined => pipelined;

    public PartitionRecord RunPartition(Segment seg, int k, int segmentCount, SourceStage source, PartitionSpec spec, bool spillExpected, CancellationToken ct)
    {
        int p = spec.Index;
        if (options.Resume && run.Done(k, p) is { } done)
        {
            // A finished partition still used its share of --limit.
            if (options.Limit is not null && k == 0)
                Interlocked.Add(ref _limitRemaining, -(done.Stages[0].In - done.Stages[0].Rejected));
            return done;
        }
        bool limited = options.Limit is not null && k == 0;
        using var pass = new PartitionPass(this, seg, k, segmentCount, source, spec, spillExpected,
            limited ? Interlocked.Read(ref _limitRemaining) : long.MaxValue, ct);
        var record = pass.Execute();
        if (limited) Interlocked.Add(ref _limitRemaining, -(pass.SourceContext.Stats.In - pass.SourceContext.Stats.Rejected));
        run.MarkDone(k, p, record);
        return record;
    }

    /// <summary>What a global stage sees: its work directory, the partition count, workers and seed.</summary>
    public GlobalContext GlobalContextFor(GlobalStage g, StageStats stats) => new()
    {
        WorkDirectory = run.GlobalWork(IndexOf(pipeline.Stages, g), g.Type),
        PartitionCount = partitionCount,
        Workers = Math.Max(1, options.Workers),
        Seed = (ulong)pipeline.Settings.Seed,
        Stats = stats,
    };

    public static int IndexOf(IReadOnlyList<Stage> stages, Stage s)
    {
        for (int i = 0; i < stages.Count; i++) if (ReferenceEquals(stages[i], s)) return i;
        return -1;
    }
}

/// <summary>
/// One partition through one segment: reads its batches (from the source, or the previous segment's
/// spill), applies the segment's stages, writes the result to the sink (or the next spill) and feeds the
/// global stage that ends the segment. Reading runs on a second thread, behind a bounded channel, only
/// when cores would otherwise idle (fewer partitions than workers).
/// </summary>
internal sealed class PartitionPass : IDisposable
{
    readonly int _k;
    readonly bool _final;
    readonly PartitionSpec _spec;
    readonly RunProgress _progress;
    readonly CancellationToken _ct;
    readonly RejectWriter? _rejects;
    readonly DroppedWriter? _dropped;
    readonly List<StageStats> _allStats = [];
    readonly StageStats? _sourceStats;
    readonly List<(Stage Stage, StageContext Ctx)> _steps = [];
    readonly IPartitionSink _terminal;
    readonly IGlobalObserver? _observer;
    readonly IEnumerable<DocumentBatch> _input;
    readonly bool _pipelined;
    readonly List<DocumentBatch> _chain;
    bool[] _alive = [];
    long _localLimit, _lastBytes, _bytesOut, _observed;

    public SourceContext SourceContext { get; }

    public PartitionPass(PartitionRunner runner, Segment seg, int k, int segmentCount, SourceStage source, PartitionSpec spec,
        bool spillExpected, long limit, CancellationToken ct)
    {
        var pipeline = runner.Pipeline;
        var run = runner.Run;
        int p = spec.Index;
        _k = k;
        _final = k == segmentCount - 1;
        _spec = spec;
        _progress = runner.Options.Progress;
        _pipelined = runner.Pipelined;
        _ct = ct;
        _localLimit = limit;

        string terminalDir = _final ? run.Path : run.SegmentSpill(k);
        Directory.CreateDirectory(terminalDir);
        RemoveStale(terminalDir, p);
        var settings = pipeline.Settings;
        string suffix = k == 0 ? "" : $"-s{k}";
        _rejects = k == 0 ? new RejectWriter(Path.Combine(run.Path, "rejects", $"part-{p:D5}.jsonl")) : null;
        _dropped = settings.KeepDropped ? new DroppedWriter(Path.Combine(run.Path, "dropped", $"part-{p:D5}{suffix}.jsonl")) : null;

        if (k == 0) { _sourceStats = new StageStats { Name = source.Name, Type = source.Type }; _allStats.Add(_sourceStats); }
        var seed = (ulong)settings.Seed;
        foreach (var st in seg.GlobalBefore is { } gb ? [gb, .. seg.Stages] : seg.Stages)
        {
            var s = new StageStats { Name = st.Name, Type = st.Type };
            _allStats.Add(s);
            _steps.Add((st, new StageContext { Stats = s, Partition = p, Seed = seed, DroppedWriter = _dropped, LiveIndex = PartitionRunner.IndexOf(pipeline.Stages, st) }));
        }
        _chain = new List<DocumentBatch>(_steps.Count + 2);

        _terminal = _final
            ? pipeline.Sink.Open(p, new SinkContext { Partition = p, OutputDirectory = run.Path })
            : new ShardedPartitionSink(run.SegmentSpill(k), p, "arrow", s => new ArrowShardWriter(s), 0, 0);
        if (seg.GlobalAfter is { } ga)
            _observer = ga.CreateObserver(p, runner.GlobalContextFor(ga, new StageStats { Name = ga.Name, Type = ga.Type }));

        SourceContext = new SourceContext
        {
            Stats = _sourceStats ?? new StageStats { Name = "spill", Type = "arrow" },
            Settings = settings,
            Partition = p,
            OnError = (source as FileSourceStage)?.OnErrorOverride ?? settings.OnError,
            RejectWriter = _rejects,
            Cancellation = ct,
        };
        _input = k == 0 ? source.Read(spec, SourceContext) : ReadSpill(run.SegmentSpill(k - 1), p, spillExpected);
    }

    public PartitionRecord Execute()
    {
        if (!_pipelined) Produce(null, _ct);
        else
        {
            var channel = Channel.CreateBounded<DocumentBatch>(new BoundedChannelOptions(4) { SingleReader = true, SingleWriter = true });
            using var producerStop = CancellationTokenSource.CreateLinkedTokenSource(_ct);
            var producer = Task.Run(() => Produce(channel, producerStop.Token));
            try
            {
                while (channel.Reader.WaitToReadAsync(_ct).AsTask().GetAwaiter().GetResult())
                    while (channel.Reader.TryRead(out var batch)) Consume(batch);
            }
            finally
            {
                // If processing failed, stop the producer (it may be blocked on a full channel) and wait for it.
                producerStop.Cancel();
                while (channel.Reader.TryRead(out _)) { }
                try { producer.GetAwaiter().GetResult(); } catch (Exception) when (producer.IsFaulted || producer.IsCanceled) { }
            }
            producer.GetAwaiter().GetResult();
        }
        Interlocked.Add(ref _progress.BytesRead, _spec.Bytes - _lastBytes);
        var shards = _terminal.Complete();
        FaultPoints.At("run:partition-complete");
        _observer?.Complete();
        _rejects?.Complete();
        _dropped?.Complete();
        return new PartitionRecord(_allStats, shards.ToList(), _bytesOut);
    }

    /// <summary>Reads the input up to the --limit budget; hands each batch to the channel, or processes it inline.</summary>
    void Produce(Channel<DocumentBatch>? channel, CancellationToken stop)
    {
        var sctx = SourceContext;
        try
        {
            using var batches = (_localLimit > 0 ? _input : []).GetEnumerator();
            while (true)
            {
                try
                {
                    if (!batches.MoveNext()) break;
                }
                catch (InputException ex) when (_k == 0 && sctx.Skipping)
                {
                    // A reader that could not go on with its file: recorded, and the run goes on (on_error "skip").
                    sctx.FileFault(_spec.Description, ex.Message);
                    break;
                }
                var raw = batches.Current;
                var batch = raw;
                if (batch.Length > _localLimit)
                {
                    long cut = batch.Length - _localLimit;
                    sctx.Stats.In -= cut;
                    sctx.Stats.Out -= cut;
                    batch = batch.Take(Enumerable.Range(0, (int)_localLimit).ToArray());
                    sctx.Stats.OutBytes = sctx.Stats.OutBytes - raw.TextBytes + batch.TextBytes;
                }
                _localLimit -= batch.Length;
                if (_sourceStats is not null) ObserveLengths(_sourceStats, batch);
                Interlocked.Add(ref _progress.DocumentsRead, batch.Length);
                long br = Volatile.Read(ref sctx.BytesRead);
                Interlocked.Add(ref _progress.BytesRead, br - _lastBytes);
                _lastBytes = br;
                if (channel is not null) channel.Writer.WriteAsync(batch, stop).AsTask().GetAwaiter().GetResult();
                else Consume(batch);
                // Stop before asking the source for another batch: nothing past the limit is read.
                if (_localLimit <= 0) break;
            }
            channel?.Writer.TryComplete();
        }
        catch (Exception ex) when (channel is not null) { channel.Writer.TryComplete(ex); }
    }

    /// <summary>Applies the stages to one batch and writes what is left.</summary>
    void Consume(DocumentBatch batch)
    {
        _ct.ThrowIfCancellationRequested();
        _chain.Add(batch);
        // Consecutive masked stages share one alive mask; dropped rows are removed once, before
        // the next other stage or the sink.
        int aliveCount = batch.Length;
        bool masked = false;
        foreach (var (stage, ctx) in _steps)
        {
            if (aliveCount == 0) break;
            if (stage is IMaskedStage && !masked)
            {
                if (_alive.Length < batch.Length) _alive = new bool[batch.Length];
                Array.Fill(_alive, true, 0, batch.Length);
                masked = true;
            }
            else if (stage is not IMaskedStage && masked) { batch = Compact(batch, _alive, _chain); masked = false; }
            var next = ApplyStage(stage, ctx, batch, masked ? _alive : null, ref aliveCount, _progress);
            if (!ReferenceEquals(next, batch)) _chain.Add(next);
            batch = next;
        }
        if (masked) batch = Compact(batch, _alive, _chain);
        if (batch.Length > 0)
        {
            _observer?.Observe(batch, _observed);
            _observed += batch.Length;
            _terminal.Write(batch);
            _bytesOut += batch.TextBytes;
            if (_final) Interlocked.Add(ref _progress.DocumentsOut, batch.Length);
        }
        // Sinks and observers do not keep batches, so the whole chain's buffers go back to the pool.
        foreach (var b in _chain) b.Dispose();
        _chain.Clear();
        FaultPoints.AfterBatch();
    }

    public void Dispose()
    {
        _terminal.Dispose();
        _rejects?.Dispose();
        _dropped?.Dispose();
    }

    /// <summary>Edges of the per-stage output length histogram: 1 byte to 16 MiB in powers of two.</summary>
    static readonly double[] LengthEdges = Histogram.PowerOfTwoEdges(1 << 24);

    /// <summary>Length distribution (UTF-8 bytes) of the documents a stage lets through, for the report.</summary>
    static void ObserveLengths(StageStats s, DocumentBatch batch, bool[]? alive = null)
    {
        if (batch.Length == 0) return;
        if (!s.Histograms.TryGetValue("text_bytes", out var h)) s.Histograms["text_bytes"] = h = new Histogram(LengthEdges);
        var offsets = batch.Text.ValueOffsets;
        for (int i = 0; i < batch.Length; i++)
            if (alive is null || alive[i]) h.Add(offsets[i + 1] - offsets[i]);
    }

    static DocumentBatch Compact(DocumentBatch batch, bool[] alive, List<DocumentBatch> chain)
    {
        var kept = batch.Filter(alive.AsSpan(0, batch.Length));
        if (!ReferenceEquals(kept, batch)) chain.Add(kept);
        return kept;
    }

    /// <summary>
    /// Runs one stage on a batch and books it in the stage's stats. With <paramref name="alive"/> the
    /// stage is masked: it leaves rows in place and clears the flags of those it drops, and counts,
    /// bytes and lengths are over the rows alive before and after.
    /// </summary>
    static DocumentBatch ApplyStage(Stage stage, StageContext ctx, DocumentBatch batch, bool[]? alive, ref int aliveCount, RunProgress progress)
    {
        long t0 = Stopwatch.GetTimestamp();
        var s = ctx.Stats;
        long droppedBefore = s.DroppedTotal;
        int before = aliveCount;
        s.In += before;
        s.InBytes += Alive(batch, alive).Bytes;
        DocumentBatch result;
        switch (stage)
        {
            case IMaskedStage m when alive is not null:
                result = m.ProcessMasked(batch, alive, ctx);
                if (result.Length != batch.Length)
                    throw new InvalidOperationException($"stage '{stage.Name}' returned {result.Length} rows for a masked batch of {batch.Length}");
                break;
            case MapStage m:
                result = m.Process(batch, ctx);
                break;
            case ExpandStage e:
                result = e.Expand(batch, ctx);
                break;
            case GlobalStage g:
                result = g.Apply(batch, ctx);
                ctx.RowOffset += batch.Length;
                break;
            default:
                throw new InvalidOperationException($"stage '{stage.Name}' cannot run inside a segment");
        }
        var (after, outBytes) = Alive(result, alive);
        long droppedNow = s.DroppedTotal - droppedBefore;
        long kept = before - droppedNow;
        if (stage is ExpandStage) s.Added += after - kept;
        else if (after != kept)
            throw new InvalidOperationException($"stage '{stage.Name}' returned {after} of {before} documents but recorded {droppedNow} drops");
        aliveCount = after;
        s.Out += after;
        s.OutBytes += outBytes;
        if (after > 0) ObserveLengths(s, result, alive);
        if (ctx.LiveIndex >= 0)
        {
            Interlocked.Add(ref progress.StageIn[ctx.LiveIndex], before);
            Interlocked.Add(ref progress.StageOut[ctx.LiveIndex], after);
        }
        s.Seconds += Stopwatch.GetElapsedTime(t0).TotalSeconds;
        return result;
    }

    /// <summary>Rows and text bytes of a batch, or of its alive rows.</summary>
    static (int Rows, long Bytes) Alive(DocumentBatch batch, bool[]? alive)
    {
        if (alive is null) return (batch.Length, batch.TextBytes);
        var offsets = batch.Text.ValueOffsets;
        int rows = 0;
        long bytes = 0;
        for (int i = 0; i < batch.Length; i++)
            if (alive[i]) { rows++; bytes += offsets[i + 1] - offsets[i]; }
        return (rows, bytes);
    }

    static IEnumerable<DocumentBatch> ReadSpill(string dir, int p, bool expected)
    {
        string path = Path.Combine(dir, ShardedSinkStage.ShardName(p, 0, "arrow"));
        if (!File.Exists(path))
        {
            if (expected) throw new InvalidOperationException($"{path}: spill file of partition {p} is missing; rerun without --resume");
            yield break;
        }
        using var fs = File.OpenRead(path);
        using var reader = new ArrowFileReader(fs);
        while (reader.ReadNextRecordBatch() is { } rb) yield return new DocumentBatch(rb);
    }

    /// <summary>Removes what an interrupted attempt at partition <paramref name="p"/> may have left.</summary>
    static void RemoveStale(string dir, int p)
    {
        foreach (var f in Directory.EnumerateFiles(dir, $"part-{p:D5}-*")) File.Delete(f);
        foreach (var f in Directory.EnumerateFiles(dir, $".part-{p:D5}-*")) File.Delete(f);
    }
}
