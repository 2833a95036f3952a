using System.Diagnostics;
using System.Text.Json;
using System.Threading.Channels;
using Apache.Arrow.Ipc;
using DataForge.Documents;
using DataForge.IO;
using DataForge.Pipelines;
using DataForge.Stages;

namespace DataForge.Execution;

/// <summary>How to run a pipeline (the <c>run</c> command's flags).</summary>
public sealed class RunOptions
{
    public int Workers { get; init; } = Environment.ProcessorCount;
    public bool Resume { get; init; }
    public bool Overwrite { get; init; }
    /// <summary>Read at most this many documents (in input order; partitions are then read one at a time).</summary>
    public long? Limit { get; init; }
    public RunProgress Progress { get; init; } = new();
    public CancellationToken Cancellation { get; init; }
    /// <summary>Where the run says what it does to the output directory (for example what --overwrite removes).</summary>
    public Action<string>? Log { get; init; }
}

/// <summary>Live counters for progress displays; read from another thread.</summary>
public sealed class RunProgress
{
    public long DocumentsRead;
    public long BytesRead;
    public long DocumentsOut;
    public long PartitionsDone;
    public long PartitionsTotal;
    public long TotalBytes;
    public volatile string Phase = "planning";
    /// <summary>Processing stages in pipeline order, with live document counts in and out.</summary>
    public string[] StageNames { get; internal set; } = [];
    public long[] StageIn { get; internal set; } = [];
    public long[] StageOut { get; internal set; } = [];
    readonly Stopwatch _clock = Stopwatch.StartNew();
    public TimeSpan Elapsed => _clock.Elapsed;
}

/// <summary>What a finished run reports.</summary>
public sealed record RunResult(string OutputDirectory, RunStats Stats, IReadOnlyList<ShardInfo> Shards);

/// <summary>The run as stats.json records it.</summary>
public sealed class RunStats
{
    public required string Pipeline { get; init; }
    public long DocumentsIn { get; set; }
    public long DocumentsOut { get; set; }
    public long Dropped { get; set; }
    public long Rejected { get; set; }
    public long Added { get; set; }
    public long BytesIn { get; set; }
    public long BytesOut { get; set; }
    public int Partitions { get; set; }
    public int Workers { get; set; }
    public double Seconds { get; set; }
    public List<StageStats> Stages { get; } = [];

    /// <summary>Reads a <c>stats.json</c> written by <see cref="Write"/>.</summary>
    public static RunStats Read(string path)
    {
        using var doc = JsonDocument.Parse(File.ReadAllBytes(path));
        var r = doc.RootElement;
        var stats = new RunStats
        {
            Pipeline = r.GetProperty("pipeline").GetString() ?? "",
            DocumentsIn = r.GetProperty("documents_in").GetInt64(),
            DocumentsOut = r.GetProperty("documents_out").GetInt64(),
            Dropped = r.GetProperty("dropped").GetInt64(),
            Rejected = r.GetProperty("rejected").GetInt64(),
            Added = r.GetProperty("added").GetInt64(),
            BytesIn = r.GetProperty("bytes_in").GetInt64(),
            BytesOut = r.GetProperty("bytes_out").GetInt64(),
            Partitions = r.GetProperty("partitions").GetInt32(),
            Workers = r.GetProperty("workers").GetInt32(),
            Seconds = r.GetProperty("seconds").GetDouble(),
        };
        foreach (var s in r.GetProperty("stages").EnumerateArray()) stats.Stages.Add(StageStats.Read(s));
        return stats;
    }

    /// <summary>Every document that entered is counted once as kept, dropped or rejected (expansions add documents).</summary>
    public bool Balanced => DocumentsIn + Added == DocumentsOut + Dropped + Rejected;

    public void Write(Utf8JsonWriter w)
    {
        w.WriteStartObject();
        w.WriteString("pipeline", Pipeline);
        w.WriteNumber("documents_in", DocumentsIn);
        w.WriteNumber("documents_out", DocumentsOut);
        w.WriteNumber("dropped", Dropped);
        w.WriteNumber("rejected", Rejected);
        w.WriteNumber("added", Added);
        w.WriteNumber("bytes_in", BytesIn);
        w.WriteNumber("bytes_out", BytesOut);
        w.WriteNumber("partitions", Partitions);
        w.WriteNumber("workers", Workers);
        w.WriteNumber("seconds", Math.Round(Seconds, 3));
        w.WriteStartArray("stages");
        foreach (var s in Stages) s.Write(w);
        w.WriteEndArray();
        w.WriteEndObject();
    }
}

/// <summary>A run cannot start as asked (output not empty, resume of another config): exit code 2.</summary>
public sealed class RunSetupException(string message) : Exception(message);

/// <summary>
/// The local executor. Partitions run on worker threads; each partition streams its batches through
/// the stages (reader and stages joined by a bounded channel) into its own shards, so output never
/// depends on thread timing. Global stages split the stage list into segments: a segment's output
/// is spilled per partition (Arrow IPC) while the global stage observes it, the stage resolves, and
/// the next segment reads the spill back through the stage's apply step.
/// </summary>
public sealed class PipelineRunner
{
    const string WorkDir = "_work";
    static readonly JsonWriterOptions Indented = new() { Indented = true };

    public static RunResult Run(Pipeline pipeline, RunOptions options)
    {
        var clock = Stopwatch.StartNew();
        var progress = options.Progress;
        string outDir = pipeline.Sink.OutputPath;
        string work = Path.Combine(outDir, WorkDir);
        if (options.Resume && File.Exists(Path.Combine(outDir, "_SUCCESS")))
        {
            using var done = OutputLock.Acquire(outDir, "run");
            // Finished already; a kill during the final clean-up may have left the work directory.
            if (Directory.Exists(work)) Directory.Delete(work, recursive: true);
            return LoadFinished(outDir);
        }

        // Plan partitions before anything is written, so a missing or unreadable input leaves no trace
        // (deterministic: never depends on the worker count).
        var planCtx = new PlanContext { Settings = pipeline.Settings };
        var partitions = new List<(SourceStage Source, PartitionSpec Spec)>();
        foreach (var src in pipeline.Sources)
            foreach (var spec in src.Plan(planCtx))
                partitions.Add((src, spec with { Index = partitions.Count }));
        var inputs = pipeline.Sources.OfType<FileSourceStage>().SelectMany(s => s.ExpandFiles()).Distinct()
            .Select(f => { var fi = new FileInfo(f); return $"{f}|{fi.Length}|{fi.LastWriteTimeUtc.Ticks}"; }).ToList();

        using var outputLock = OutputLock.Acquire(outDir, "run");
        try
        {
            PrepareOutput(outDir, options);
            CheckRunIdentity(work, pipeline, partitions.Select(p => p.Spec.Description).ToList(), inputs, options);
        }
        catch
        {
            outputLock.Abandon();
            throw;
        }
        progress.PartitionsTotal = partitions.Count;
        progress.StageNames = pipeline.Stages.Select(s => s.Name).ToArray();
        progress.StageIn = new long[pipeline.Stages.Count];
        progress.StageOut = new long[pipeline.Stages.Count];
        progress.TotalBytes = partitions.Sum(p => p.Spec.Bytes);

        var segments = Segments(pipeline.Stages);
        int workers = options.Limit is not null ? 1 : Math.Max(1, options.Workers);
        long limitRemaining = options.Limit ?? long.MaxValue;
        var fragments = new List<Fragment>[segments.Count];
        bool pipelined = partitions.Count < Math.Max(1, options.Workers);
        for (int k = 0; k < segments.Count; k++)
        {
            var seg = segments[k];
            progress.Phase = segments.Count == 1 ? "running" : $"segment {k + 1}/{segments.Count}";
            progress.PartitionsDone = 0;
            var results = new Fragment[partitions.Count];
            var previous = k > 0 ? fragments[k - 1] : null;
            RunParallel(partitions.Count, k == 0 ? workers : Math.Max(1, options.Workers), options.Cancellation, (p, ct) =>
            {
                bool spillExpected = previous is not null && previous[p].Shards.Count > 0;
                results[p] = RunPartition(pipeline, seg, k, segments.Count, partitions[p].Source, partitions[p].Spec, work, outDir,
                    options, pipelined, spillExpected, ct, ref limitRemaining);
                Interlocked.Increment(ref progress.PartitionsDone);
            });
            fragments[k] = [.. results];
            if (seg.GlobalAfter is { } g)
            {
                FaultPoints.At("run:observed");
                progress.Phase = $"resolving {g.Name}";
                var gstats = new StageStats { Name = g.Name, Type = g.Type };
                g.Resolve(GlobalCtx(g, work, pipeline, partitions.Count, options, gstats));
                seg.ResolveStats = gstats;
                FaultPoints.At("run:resolved");
            }
        }

        // Merge per-partition fragments into stats.json and manifest.json.
        var stats = new RunStats { Pipeline = pipeline.Settings.Name, Partitions = partitions.Count, Workers = workers };
        var byName = new Dictionary<string, StageStats>(StringComparer.Ordinal);
        StageStats Slot(StageStats s)
        {
            if (!byName.TryGetValue(s.Name + "\u0000" + s.Type, out var m))
            {
                m = new StageStats { Name = s.Name, Type = s.Type };
                byName[s.Name + "\u0000" + s.Type] = m;
                stats.Stages.Add(m);
            }
            return m;
        }
        foreach (var src in pipeline.Sources) Slot(new StageStats { Name = src.Name, Type = src.Type });
        foreach (var st in pipeline.Stages) Slot(new StageStats { Name = st.Name, Type = st.Type });
        var shards = new List<ShardInfo>();
        for (int k = 0; k < segments.Count; k++)
        {
            foreach (var f in fragments[k])
            {
                foreach (var s in f.Stages) Slot(s).Merge(s);
                if (k == segments.Count - 1) shards.AddRange(f.Shards);
            }
            if (segments[k].ResolveStats is { } rs) Slot(rs).Merge(rs);
        }
        foreach (var src in pipeline.Sources.DistinctBy(s => s.Name + "\u0000" + s.Type))
        {
            var s = byName[src.Name + "\u0000" + src.Type];
            stats.DocumentsIn += s.In;
            stats.Rejected += s.Rejected;
            stats.BytesIn += s.OutBytes;
        }
        foreach (var st in pipeline.Stages)
        {
            var s = byName[st.Name + "\u0000" + st.Type];
            stats.Dropped += s.DroppedTotal;
            stats.Added += s.Added;
            stats.Rejected += s.Rejected;
        }
        stats.DocumentsOut = shards.Sum(s => s.Rows);
        stats.BytesOut = fragments[^1].Sum(f => f.BytesOut);
        stats.Seconds = clock.Elapsed.TotalSeconds;
        if (!stats.Balanced)
            throw new InvalidOperationException($"accounting does not balance: in {stats.DocumentsIn} + added {stats.Added} != out {stats.DocumentsOut} + dropped {stats.Dropped} + rejected {stats.Rejected}");

        progress.Phase = "finishing output";
        FaultPoints.At("run:before-finish");
        var finished = pipeline.Sink.Finish(outDir, shards).ToList();
        FaultPoints.At("run:finished");
        WriteJson(Path.Combine(outDir, "stats.json"), stats.Write);
        WriteJson(Path.Combine(outDir, "manifest.json"), w => WriteManifest(w, pipeline, finished));
        FaultPoints.At("run:manifest");
        // _SUCCESS first: a kill while the work directory is being removed leaves a finished run.
        File.WriteAllText(Path.Combine(outDir, "_SUCCESS"), "");
        FaultPoints.At("run:success");
        Directory.Delete(work, recursive: true);
        progress.Phase = "done";
        return new RunResult(outDir, stats, finished);
    }

    static RunResult LoadFinished(string outDir)
    {
        using var doc = JsonDocument.Parse(File.ReadAllBytes(Path.Combine(outDir, "manifest.json")));
        var shards = doc.RootElement.GetProperty("shards").EnumerateArray()
            .Select(e => new ShardInfo(e.GetProperty("file").GetString()!, e.GetProperty("rows").GetInt64(), e.GetProperty("bytes").GetInt64(), e.GetProperty("xxhash64").GetString()!))
            .ToList();
        var stats = RunStats.Read(Path.Combine(outDir, "stats.json"));
        return new RunResult(outDir, stats, shards);
    }

    static void WriteManifest(Utf8JsonWriter w, Pipeline pipeline, List<ShardInfo> shards)
    {
        w.WriteStartObject();
        w.WriteString("pipeline", pipeline.Settings.Name);
        w.WriteString("format", pipeline.Sink.Format);
        w.WriteNumber("rows", shards.Sum(s => s.Rows));
        w.WriteStartArray("shards");
        foreach (var s in shards)
        {
            w.WriteStartObject();
            w.WriteString("file", s.File);
            w.WriteNumber("rows", s.Rows);
            w.WriteNumber("bytes", s.Bytes);
            w.WriteString("xxhash64", s.XxHash64);
            w.WriteEndObject();
        }
        w.WriteEndArray();
        w.WriteEndObject();
    }

    static void PrepareOutput(string outDir, RunOptions options)
    {
        if (options.Resume && !OutputDirectory.IsEmpty(outDir))
        {
            if (!Directory.Exists(Path.Combine(outDir, WorkDir)))
                throw new RunSetupException($"{outDir}: --resume found no interrupted run here (no {WorkDir}/ directory)");
            OutputDirectory.Claim(outDir, Kind);
        }
        else OutputDirectory.PrepareFresh(outDir, Kind, options.Overwrite, options.Log,
            hint: "pass --overwrite to replace it or --resume to continue an interrupted run");
        Directory.CreateDirectory(Path.Combine(outDir, WorkDir));
    }

    /// <summary>The kind of output a pipeline run writes, as its output marker records it.</summary>
    const string Kind = "pipeline";

    /// <summary>A resumed run must be the same pipeline over the same partitions, or its output would mix two runs.</summary>
    static void CheckRunIdentity(string work, Pipeline pipeline, List<string> partitions, List<string> inputs, RunOptions options)
    {
        string path = Path.Combine(work, "run.json");
        var identity = new Dictionary<string, object?>
        {
            ["config"] = pipeline.CanonicalJson,
            ["partitions"] = partitions,
            ["inputs"] = inputs,
            ["limit"] = options.Limit,
        };
        string json = JsonSerializer.Serialize(identity);
        if (options.Resume && File.Exists(path))
        {
            if (File.ReadAllText(path) != json)
                throw new RunSetupException($"{Path.GetDirectoryName(work)}: --resume refused: the pipeline, its input files or --limit changed since the interrupted run");
            return;
        }
        File.WriteAllText(path, json);
    }

    sealed class Segment
    {
        public required List<Stage> Stages { get; init; }
        public GlobalStage? GlobalBefore { get; init; }
        public GlobalStage? GlobalAfter { get; init; }
        public StageStats? ResolveStats { get; set; }
    }

    static List<Segment> Segments(IReadOnlyList<Stage> stages)
    {
        var list = new List<Segment>();
        var current = new List<Stage>();
        GlobalStage? before = null;
        foreach (var s in stages)
        {
            if (s is GlobalStage g)
            {
                list.Add(new Segment { Stages = current, GlobalBefore = before, GlobalAfter = g });
                current = [];
                before = g;
            }
            else current.Add(s);
        }
        list.Add(new Segment { Stages = current, GlobalBefore = before });
        return list;
    }

    static GlobalContext GlobalCtx(GlobalStage g, string work, Pipeline pipeline, int partitions, RunOptions options, StageStats stats)
    {
        int index = pipeline.Stages.ToList().IndexOf(g);
        string dir = Path.Combine(work, $"global-{index:D2}-{g.Type}");
        Directory.CreateDirectory(dir);
        return new GlobalContext
        {
            WorkDirectory = dir,
            PartitionCount = partitions,
            Workers = Math.Max(1, options.Workers),
            Seed = (ulong)pipeline.Settings.Seed,
            Stats = stats,
        };
    }

    sealed record Fragment(List<StageStats> Stages, List<ShardInfo> Shards, long BytesOut);

    static void RunParallel(int count, int workers, CancellationToken ct, Action<int, CancellationToken> body)
    {
        int next = -1;
        using var cts = CancellationTokenSource.CreateLinkedTokenSource(ct);
        var errors = new List<(int Partition, Exception Error)>();
        var threads = new Thread[Math.Min(workers, Math.Max(1, count))];
        for (int t = 0; t < threads.Length; t++)
        {
            threads[t] = new Thread(() =>
            {
                while (!cts.IsCancellationRequested)
                {
                    int p = Interlocked.Increment(ref next);
                    if (p >= count) break;
                    try { body(p, cts.Token); }
                    catch (Exception ex)
                    {
                        lock (errors) errors.Add((p, ex));
                        cts.Cancel();
                    }
                }
            }, 16 << 20) { IsBackground = true, Name = $"dataforge-worker-{t}" };
            threads[t].Start();
        }
        foreach (var t in threads) t.Join();
        ct.ThrowIfCancellationRequested();
        if (errors.Count > 0)
        {
            // Partitions cancelled because another failed are not the cause; of the rest, the
            // earliest partition's error is reported, so the message does not depend on timing.
            var causes = errors.Where(e => e.Error is not OperationCanceledException).OrderBy(e => e.Partition).ToList();
            var first = (causes.Count > 0 ? causes : errors.OrderBy(e => e.Partition).ToList())[0].Error;
            System.Runtime.ExceptionServices.ExceptionDispatchInfo.Capture(first).Throw();
        }
    }

    static Fragment RunPartition(Pipeline pipeline, Segment seg, int k, int segmentCount, SourceStage source, PartitionSpec spec,
        string work, string outDir, RunOptions options, bool pipelined, bool spillExpected, CancellationToken ct, ref long limitRemaining)
    {
        int p = spec.Index;
        bool final = k == segmentCount - 1;
        string doneDir = Path.Combine(work, "done");
        string donePath = Path.Combine(doneDir, $"s{k}-p{p:D5}.json");
        if (options.Resume && File.Exists(donePath))
        {
            var done = ReadFragment(donePath);
            // A finished partition still used its share of --limit.
            if (options.Limit is not null && k == 0)
                Interlocked.Add(ref limitRemaining, -(done.Stages[0].In - done.Stages[0].Rejected));
            return done;
        }
        Directory.CreateDirectory(doneDir);

        string segDir = Path.Combine(work, $"s{k}");
        string terminalDir = final ? outDir : segDir;
        Directory.CreateDirectory(terminalDir);
        RemoveStale(terminalDir, p);
        var settings = pipeline.Settings;
        string suffix = k == 0 ? "" : $"-s{k}";
        using var rejects = k == 0 ? new RejectWriter(Path.Combine(outDir, "rejects", $"part-{p:D5}.jsonl")) : null;
        using var dropped = settings.KeepDropped ? new DroppedWriter(Path.Combine(outDir, "dropped", $"part-{p:D5}{suffix}.jsonl")) : null;

        var allStats = new List<StageStats>();
        StageStats? sourceStats = null;
        if (k == 0) { sourceStats = new StageStats { Name = source.Name, Type = source.Type }; allStats.Add(sourceStats); }
        var steps = new List<(Stage Stage, StageContext Ctx)>();
        var seed = (ulong)settings.Seed;
        if (seg.GlobalBefore is { } gb)
        {
            var s = new StageStats { Name = gb.Name, Type = gb.Type };
            allStats.Add(s);
            steps.Add((gb, new StageContext { Stats = s, Partition = p, Seed = seed, DroppedWriter = dropped, LiveIndex = IndexOf(pipeline.Stages, gb) }));
        }
        foreach (var st in seg.Stages)
        {
            var s = new StageStats { Name = st.Name, Type = st.Type };
            allStats.Add(s);
            steps.Add((st, new StageContext { Stats = s, Partition = p, Seed = seed, DroppedWriter = dropped, LiveIndex = IndexOf(pipeline.Stages, st) }));
        }

        IPartitionSink terminal = final
            ? pipeline.Sink.Open(p, new SinkContext { Partition = p, OutputDirectory = outDir })
            : new ShardedPartitionSink(segDir, p, "arrow", s => new ArrowShardWriter(s), 0, 0);
        IGlobalObserver? observer = null;
        if (seg.GlobalAfter is { } ga)
            observer = ga.CreateObserver(p, GlobalCtx(ga, work, pipeline, (int)options.Progress.PartitionsTotal, options,
                new StageStats { Name = ga.Name, Type = ga.Type }));

        var sctx = new SourceContext
        {
            Stats = sourceStats ?? new StageStats { Name = "spill", Type = "arrow" },
            Settings = settings,
            Partition = p,
            OnError = (source as FileSourceStage)?.OnErrorOverride ?? settings.OnError,
            RejectWriter = rejects,
            Cancellation = ct,
        };
        IEnumerable<DocumentBatch> input = k == 0 ? source.Read(spec, sctx) : ReadSpill(Path.Combine(work, $"s{k - 1}"), p, spillExpected);

        long bytesOut = 0, observed = 0;
        var progress = options.Progress;
        using (terminal)
        {
            bool limited = options.Limit is not null && k == 0;
            long localLimit = limited ? Interlocked.Read(ref limitRemaining) : long.MaxValue;
            long lastBytes = 0;
            // Read-ahead on a second thread only pays when cores would otherwise idle (fewer
            // partitions than workers); otherwise each worker reads and processes inline, one core each.
            var channel = pipelined ? Channel.CreateBounded<DocumentBatch>(new BoundedChannelOptions(4) { SingleReader = true, SingleWriter = true }) : null;
            using var producerStop = CancellationTokenSource.CreateLinkedTokenSource(ct);
            void Produce()
            {
                try
                {
                    using var batches = (localLimit > 0 ? input : []).GetEnumerator();
                    while (true)
                    {
                        try
                        {
                            if (!batches.MoveNext()) break;
                        }
                        catch (InputException ex) when (k == 0 && sctx.Skipping)
                        {
                            // A reader that could not go on with its file: recorded, and the run goes on (on_error "skip").
                            sctx.FileFault(spec.Description, ex.Message);
                            break;
                        }
                        var raw = batches.Current;
                        var batch = raw;
                        if (batch.Length > localLimit)
                        {
                            long cut = batch.Length - localLimit;
                            sctx.Stats.In -= cut;
                            sctx.Stats.Out -= cut;
                            batch = batch.Take(Enumerable.Range(0, (int)localLimit).ToArray());
                            sctx.Stats.OutBytes = sctx.Stats.OutBytes - raw.TextBytes + batch.TextBytes;
                        }
                        localLimit -= batch.Length;
                        if (sourceStats is not null) ObserveLengths(sourceStats, batch);
                        Interlocked.Add(ref progress.DocumentsRead, batch.Length);
                        long br = Volatile.Read(ref sctx.BytesRead);
                        Interlocked.Add(ref progress.BytesRead, br - lastBytes);
                        lastBytes = br;
                        if (channel is not null) channel.Writer.WriteAsync(batch, producerStop.Token).AsTask().GetAwaiter().GetResult();
                        else Consume(batch);
                        // Stop before asking the source for another batch: nothing past the limit is read.
                        if (localLimit <= 0) break;
                    }
                    channel?.Writer.TryComplete();
                }
                catch (Exception ex) when (channel is not null) { channel.Writer.TryComplete(ex); }
            }
            var chain = new List<DocumentBatch>(steps.Count + 2);
            bool[] alive = [];
            void Consume(DocumentBatch batch)
            {
                ct.ThrowIfCancellationRequested();
                chain.Add(batch);
                // Consecutive masked stages share one alive mask; dropped rows are removed once, before
                // the next other stage or the sink.
                int aliveCount = batch.Length;
                bool masked = false;
                foreach (var (stage, ctx) in steps)
                {
                    if (aliveCount == 0) break;
                    if (stage is IMaskedStage && !masked)
                    {
                        if (alive.Length < batch.Length) alive = new bool[batch.Length];
                        Array.Fill(alive, true, 0, batch.Length);
                        masked = true;
                    }
                    else if (stage is not IMaskedStage && masked) { batch = Compact(batch, alive, chain); masked = false; }
                    var next = ApplyStage(stage, ctx, batch, masked ? alive : null, ref aliveCount, progress);
                    if (!ReferenceEquals(next, batch)) chain.Add(next);
                    batch = next;
                }
                if (masked) batch = Compact(batch, alive, chain);
                if (batch.Length > 0)
                {
                    observer?.Observe(batch, observed);
                    observed += batch.Length;
                    terminal.Write(batch);
                    bytesOut += batch.TextBytes;
                    if (final) Interlocked.Add(ref progress.DocumentsOut, batch.Length);
                }
                // Sinks and observers do not keep batches, so the whole chain's buffers go back to the pool.
                foreach (var b in chain) b.Dispose();
                chain.Clear();
                FaultPoints.AfterBatch();
            }
            if (channel is null) Produce();
            else
            {
                var producer = Task.Run(Produce);
                try
                {
                    while (channel.Reader.WaitToReadAsync(ct).AsTask().GetAwaiter().GetResult())
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
            if (limited) Interlocked.Add(ref limitRemaining, -(sctx.Stats.In - sctx.Stats.Rejected));
            Interlocked.Add(ref progress.BytesRead, spec.Bytes - lastBytes);
            var shards = terminal.Complete();
            FaultPoints.At("run:partition-complete");
            observer?.Complete();
            rejects?.Complete();
            dropped?.Complete();
            var fragment = new Fragment(allStats, shards.ToList(), bytesOut);
            WriteFragment(donePath, fragment);
            return fragment;
        }
    }

    static int IndexOf(IReadOnlyList<Stage> stages, Stage s)
    {
        for (int i = 0; i < stages.Count; i++) if (ReferenceEquals(stages[i], s)) return i;
        return -1;
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

    static void WriteFragment(string path, Fragment f)
    {
        WriteJson(path, w =>
        {
            w.WriteStartObject();
            w.WriteNumber("bytes_out", f.BytesOut);
            w.WriteStartArray("stages");
            foreach (var s in f.Stages) s.Write(w);
            w.WriteEndArray();
            w.WriteStartArray("shards");
            foreach (var s in f.Shards)
            {
                w.WriteStartObject();
                w.WriteString("file", s.File);
                w.WriteNumber("rows", s.Rows);
                w.WriteNumber("bytes", s.Bytes);
                w.WriteString("xxhash64", s.XxHash64);
                w.WriteEndObject();
            }
            w.WriteEndArray();
            w.WriteEndObject();
        });
    }

    static Fragment ReadFragment(string path)
    {
        using var doc = JsonDocument.Parse(File.ReadAllBytes(path));
        var r = doc.RootElement;
        return new Fragment(
            r.GetProperty("stages").EnumerateArray().Select(StageStats.Read).ToList(),
            r.GetProperty("shards").EnumerateArray().Select(e => new ShardInfo(e.GetProperty("file").GetString()!, e.GetProperty("rows").GetInt64(),
                e.GetProperty("bytes").GetInt64(), e.GetProperty("xxhash64").GetString()!)).ToList(),
            r.GetProperty("bytes_out").GetInt64());
    }

    /// <summary>Writes JSON atomically (temporary file, then rename).</summary>
    public static void WriteJson(string path, Action<Utf8JsonWriter> write)
    {
        string tmp = Path.Combine(Path.GetDirectoryName(path)!, "." + Path.GetFileName(path) + ".tmp");
        using (var fs = File.Create(tmp))
        using (var w = new Utf8JsonWriter(fs, Indented))
            write(w);
        File.Move(tmp, path, overwrite: true);
    }
}
