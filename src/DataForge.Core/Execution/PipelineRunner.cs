using System.Diagnostics;
using DataForge.IO;
using DataForge.Pipelines;
using DataForge.Stages;

namespace DataForge.Execution;

/// <summary>
/// The local executor. Partitions run on worker threads; each partition streams its batches through
/// the stages into its own shards (<see cref="PartitionRunner"/>), so output never depends on thread
/// timing. Global stages split the stage list into <see cref="Segment"/>s: a segment's output is spilled
/// per partition while the global stage observes it, the stage resolves, and the next segment reads the
/// spill back through the stage's apply step. The output directory and its records are a
/// <see cref="RunDirectory"/>; one process at a time writes it (<see cref="OutputLock"/>).
/// </summary>
public static class PipelineRunner
{
    public static RunResult Run(Pipeline pipeline, RunOptions options)
    {
        var clock = Stopwatch.StartNew();
        var progress = options.Progress;
        var run = new RunDirectory(pipeline.Sink.OutputPath);
        string outDir = run.Path;
        if (options.Resume && run.IsFinished)
        {
            using var done = OutputLock.Acquire(outDir, "run");
            return run.LoadFinished();
        }

        // Plan partitions before anything is written, so a missing or unreadable input leaves no trace.
        var (partitions, inputs) = Plan(pipeline);

        using var outputLock = OutputLock.Acquire(outDir, "run");
        try
        {
            run.Prepare(options);
            run.CheckIdentity(pipeline, partitions.Select(p => p.Spec.Description).ToList(), inputs, options);
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

        var segments = Segment.Split(pipeline.Stages);
        int workers = options.Limit is not null ? 1 : Math.Max(1, options.Workers);
        var fragments = new List<PartitionRecord>[segments.Count];
        bool pipelined = partitions.Count < Math.Max(1, options.Workers);
        var runner = new PartitionRunner(pipeline, run, options, partitions.Count, pipelined);
        for (int k = 0; k < segments.Count; k++)
        {
            var seg = segments[k];
            progress.Phase = segments.Count == 1 ? "running" : $"segment {k + 1}/{segments.Count}";
            progress.PartitionsDone = 0;
            var results = new PartitionRecord[partitions.Count];
            var previous = k > 0 ? fragments[k - 1] : null;
            int segment = k;
            RunParallel(partitions.Count, k == 0 ? workers : Math.Max(1, options.Workers), options.Cancellation, (p, ct) =>
            {
                bool spillExpected = previous is not null && previous[p].Shards.Count > 0;
                results[p] = runner.RunPartition(seg, segment, segments.Count, partitions[p].Source, partitions[p].Spec, spillExpected, ct);
                Interlocked.Increment(ref progress.PartitionsDone);
            });
            fragments[k] = [.. results];
            if (seg.GlobalAfter is { } g)
            {
                FaultPoints.At("run:observed");
                progress.Phase = $"resolving {g.Name}";
                var gstats = new StageStats { Name = g.Name, Type = g.Type };
                g.Resolve(runner.GlobalContextFor(g, gstats));
                seg.ResolveStats = gstats;
                FaultPoints.At("run:resolved");
            }
        }

        var (stats, shards) = MergeStats(pipeline, segments, fragments, workers);
        stats.Seconds = clock.Elapsed.TotalSeconds;
        progress.Phase = "finishing output";
        FaultPoints.At("run:before-finish");
        var finished = pipeline.Sink.Finish(outDir, shards).ToList();
        FaultPoints.At("run:finished");
        run.Publish(stats, new Manifest(pipeline.Settings.Name, pipeline.Sink.Format, finished));
        progress.Phase = "done";
        return new RunResult(outDir, stats, finished);
    }

    /// <summary>
    /// The run's partitions (deterministic: never depends on the worker count or the executor) and the stamps
    /// of its input files (for the identity --resume checks).
    /// </summary>
    internal static (List<(SourceStage Source, PartitionSpec Spec)> Partitions, List<string> Inputs) Plan(Pipeline pipeline)
    {
        var planCtx = new PlanContext { Settings = pipeline.Settings };
        var partitions = new List<(SourceStage Source, PartitionSpec Spec)>();
        foreach (var src in pipeline.Sources)
            foreach (var spec in src.Plan(planCtx))
                partitions.Add((src, spec with { Index = partitions.Count }));
        // Plugins count as inputs: a rebuilt stage library must not finish a run its older build began.
        var inputs = pipeline.Sources.OfType<FileSourceStage>().SelectMany(s => s.ExpandFiles()).Distinct()
            .Concat(pipeline.Plugins).Select(FileIdentity.Stamp).ToList();
        return (partitions, inputs);
    }

    /// <summary>Merges the partitions' records into the run's stats (checking the accounting) and its shard list.</summary>
    internal static (RunStats Stats, List<ShardInfo> Shards) MergeStats(Pipeline pipeline, List<Segment> segments, List<PartitionRecord>[] fragments, int workers)
    {
        var stats = new RunStats { Pipeline = pipeline.Settings.Name, Partitions = fragments[0].Count, Workers = workers };
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
        if (!stats.Balanced)
            throw new InvalidOperationException($"accounting does not balance: in {stats.DocumentsIn} + added {stats.Added} != out {stats.DocumentsOut} + dropped {stats.Dropped} + rejected {stats.Rejected}");
        return (stats, shards);
    }

    internal static void RunParallel(int count, int workers, CancellationToken ct, Action<int, CancellationToken> body)
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
}
