using System.Diagnostics;
using System.Text.RegularExpressions;
using DataForge.Pipelines;
using DataForge.Stages;

namespace DataForge.Execution.Slurm;

/// <summary>
/// A pipeline run as Slurm jobs. The work is the local executor's, cut into steps that are separate
/// processes: each segment is an array job whose task t runs the partitions p with p mod tasks = t (its
/// map stages, the apply step of the global stage before it, the observe step of the one after it);
/// each global stage's resolve step is a job of its own; a last job merges the partitions' records
/// into stats.json and manifest.json and writes <c>_SUCCESS</c>. Every step depends on the one before.
/// The steps share the output directory (a shared file system) and its <c>_work/</c> records, the same
/// done records a local run writes, so output is byte-identical to a local run with any task count and
/// <c>--resume</c> submits only the partitions and steps that have no record.
/// </summary>
public static class SlurmPipeline
{
    public const string Kind = "pipeline";

    /// <summary>The steps of a pipeline with <paramref name="partitions"/> partitions.</summary>
    public static List<SlurmStep> Steps(Pipeline pipeline, int partitions, int tasks)
    {
        var segments = Segment.Split(pipeline.Stages);
        int t = Math.Max(1, Math.Min(tasks, partitions));
        var steps = new List<SlurmStep>();
        for (int k = 0; k < segments.Count; k++)
        {
            var seg = segments[k];
            var what = new List<string>();
            if (k == 0) what.Add("read");
            if (seg.GlobalBefore is { } gb) what.Add($"apply {gb.Name}");
            what.AddRange(seg.Stages.Select(s => s.Name));
            what.Add(seg.GlobalAfter is { } ga ? $"observe {ga.Name}" : "write");
            steps.Add(new SlurmStep($"s{k}", "map", k, t, string.Join(", ", what)));
            if (seg.GlobalAfter is IBucketedResolve b)
            {
                steps.Add(new SlurmStep($"b{k}", "resolve-bucket", k, Math.Max(1, Math.Min(tasks, b.ResolveBuckets)), $"resolve {seg.GlobalAfter.Name}: {b.ResolveBuckets} buckets"));
                steps.Add(new SlurmStep($"r{k}", "resolve", k, 1, $"resolve {seg.GlobalAfter.Name}: combine"));
            }
            else if (seg.GlobalAfter is { } g) steps.Add(new SlurmStep($"r{k}", "resolve", k, 1, $"resolve {g.Name}"));
        }
        steps.Add(new SlurmStep("finish", "finish", segments.Count - 1, 1, "stats.json, manifest.json, _SUCCESS"));
        return steps;
    }

    /// <summary>
    /// Prepares the output directory as a local run would (the --overwrite and --resume rules, the identity) and
    /// submits the steps that are not done. Returns null when <c>--resume</c> finds the run finished.
    /// </summary>
    public static SlurmSubmission? Submit(Pipeline pipeline, RunOptions options, ExecutorOptions executor, IReadOnlyList<string>? command = null)
    {
        if (options.Limit is not null)
            throw new RunSetupException("--limit reads the input in order, one partition at a time: try the pipeline with the local executor (--executor local)");
        foreach (var g in pipeline.Stages.OfType<GlobalStage>())
            if (g.GetType().GetMethod(nameof(GlobalStage.Reopen))!.DeclaringType == typeof(GlobalStage))
                throw new RunSetupException($"stage '{g.Name}' ({g.Type}) cannot apply in a process that did not resolve it, so it cannot run on Slurm; use the local executor");
        // A missing input fails in Prepare's planning, before anything is written; Abandon then removes the directory the lock created.
        using var outputLock = OutputLock.Acquire(pipeline.Sink.OutputPath, "run --executor slurm");
        List<(SlurmStep, IReadOnlyList<int>)>? steps;
        try
        {
            steps = Prepare(pipeline, options, executor.Tasks);
        }
        catch
        {
            outputLock.Abandon();
            throw;
        }
        if (steps is null) return null;
        string name = "df-" + pipeline.Settings.Name;
        return SlurmSubmission.Submit(Kind, pipeline.File, pipeline.Sink.OutputPath, executor, steps, name, command);
    }

    /// <summary>
    /// Readies the output directory for the steps (the caller holds its lock) and returns each step with the tasks
    /// that have work left; null when <c>--resume</c> finds the run finished.
    /// </summary>
    public static List<(SlurmStep Step, IReadOnlyList<int> Missing)>? Prepare(Pipeline pipeline, RunOptions options, int tasks)
    {
        var run = new RunDirectory(pipeline.Sink.OutputPath);
        var (partitions, inputs) = PipelineRunner.Plan(pipeline);
        if (options.Resume && run.IsFinished) return null;
        run.Prepare(options);
        run.CheckIdentity(pipeline, partitions.Select(p => p.Spec.Description).ToList(), inputs, options);
        var steps = new List<(SlurmStep, IReadOnlyList<int>)>();
        foreach (var step in Steps(pipeline, partitions.Count, tasks))
        {
            IReadOnlyList<int> missing = step.Kind switch
            {
                "map" => Enumerable.Range(0, step.Tasks)
                    .Where(t => Enumerable.Range(0, partitions.Count).Any(p => p % step.Tasks == t && run.Done(step.Segment, p) is null)).ToList(),
                "resolve" => run.Resolved(step.Segment) is null ? [0] : [],
                // Buckets are matched again unless the combining step finished (their results go when it does).
                "resolve-bucket" => run.Resolved(step.Segment) is null ? Enumerable.Range(0, step.Tasks).ToList() : [],
                _ => [0],
            };
            steps.Add((step, missing));
        }
        return steps;
    }

    /// <summary>Runs task <paramref name="task"/> of step <paramref name="stepId"/> (the worker process of one Slurm task).</summary>
    public static void RunTask(Pipeline pipeline, SlurmSubmission sub, string stepId, int task, CancellationToken ct = default)
    {
        var step = sub.Step(stepId).Step;
        if (task < 0 || task >= step.Tasks) throw new SlurmException($"step {stepId} has tasks 0..{step.Tasks - 1}, not {task}");
        var run = new RunDirectory(sub.Output);
        var (partitions, inputs) = PipelineRunner.Plan(pipeline);
        if (run.IsFinished) return;
        if (!run.HasIdentity) throw new RunSetupException($"{sub.Output}: no run was prepared here ({RunDirectory.WorkDirName}/run.json is missing); submit it again");
        // The identity the submission recorded must still hold: the pipeline and its inputs did not change since.
        var options = new RunOptions { Resume = true, Workers = sub.Workers, Cancellation = ct };
        options.Progress.StageNames = pipeline.Stages.Select(s => s.Name).ToArray();
        options.Progress.StageIn = new long[pipeline.Stages.Count];
        options.Progress.StageOut = new long[pipeline.Stages.Count];
        run.CheckIdentity(pipeline, partitions.Select(p => p.Spec.Description).ToList(), inputs, options);
        var segments = Segment.Split(pipeline.Stages);
        switch (step.Kind)
        {
            case "map":
                RunMap(pipeline, run, options, partitions, segments, step, task);
                break;
            case "resolve":
                Resolve(pipeline, run, options, partitions.Count, segments, step.Segment);
                break;
            case "resolve-bucket":
                ResolveBuckets(pipeline, run, options, partitions.Count, segments, step, task);
                break;
            case "finish":
                Finish(pipeline, run, sub, partitions.Count, segments);
                break;
            default:
                throw new SlurmException($"step {stepId}: unknown kind '{step.Kind}' for a pipeline");
        }
    }

    static void RunMap(Pipeline pipeline, RunDirectory run, RunOptions options, List<(SourceStage Source, PartitionSpec Spec)> partitions,
        List<Segment> segments, SlurmStep step, int task)
    {
        int k = step.Segment;
        var seg = segments[k];
        var mine = Enumerable.Range(0, partitions.Count).Where(p => p % step.Tasks == task).ToList();
        FaultPoints.At($"slurm-task:{step.Id}-{task}");
        int workers = Math.Max(1, options.Workers);
        var runner = new PartitionRunner(pipeline, run, options, partitions.Count, pipelined: mine.Count < workers);
        if (seg.GlobalBefore is { } gb)
            gb.Reopen(runner.GlobalContextFor(gb, new StageStats { Name = gb.Name, Type = gb.Type }));
        PipelineRunner.RunParallel(mine.Count, workers, options.Cancellation, (i, ct) =>
        {
            int p = mine[i];
            bool spillExpected = false;
            if (k > 0)
            {
                var previous = run.Done(k - 1, p)
                    ?? throw new InvalidOperationException($"partition {p} has no record of segment {k - 1}; the step before did not finish it (run --resume)");
                spillExpected = previous.Shards.Count > 0;
            }
            runner.RunPartition(seg, k, segments.Count, partitions[p].Source, partitions[p].Spec, spillExpected, ct);
        });
    }

    static void Resolve(Pipeline pipeline, RunDirectory run, RunOptions options, int partitionCount, List<Segment> segments, int k)
    {
        if (run.Resolved(k) is not null) return;
        var g = segments[k].GlobalAfter ?? throw new InvalidOperationException($"segment {k} ends in no global stage");
        var runner = new PartitionRunner(pipeline, run, options, partitionCount, pipelined: false);
        var stats = new StageStats { Name = g.Name, Type = g.Type };
        FaultPoints.At("slurm-task:resolve");
        // A bucketed stage's buckets were resolved by the array step before.
        if (g is IBucketedResolve b) b.ResolveCombine(runner.GlobalContextFor(g, stats));
        else g.Resolve(runner.GlobalContextFor(g, stats));
        run.MarkResolved(k, stats);
    }

    static void ResolveBuckets(Pipeline pipeline, RunDirectory run, RunOptions options, int partitionCount, List<Segment> segments, SlurmStep step, int task)
    {
        if (run.Resolved(step.Segment) is not null) return;
        var g = segments[step.Segment].GlobalAfter as IBucketedResolve
            ?? throw new InvalidOperationException($"segment {step.Segment} ends in no bucketed global stage");
        var stage = segments[step.Segment].GlobalAfter!;
        var runner = new PartitionRunner(pipeline, run, options, partitionCount, pipelined: false);
        var ctx = runner.GlobalContextFor(stage, new StageStats { Name = stage.Name, Type = stage.Type });
        var mine = Enumerable.Range(0, g.ResolveBuckets).Where(b => b % step.Tasks == task).ToList();
        Parallel.ForEach(mine, new ParallelOptions { MaxDegreeOfParallelism = Math.Max(1, options.Workers) }, b => g.ResolveBucket(ctx, b));
    }

    static void Finish(Pipeline pipeline, RunDirectory run, SlurmSubmission sub, int partitionCount, List<Segment> segments)
    {
        // The same lock a local run holds while it publishes; this job's own submission does not count against it.
        using var outputLock = OutputLock.Acquire(run.Path, "run --executor slurm (finish)");
        if (run.IsFinished) return;
        var fragments = new List<PartitionRecord>[segments.Count];
        for (int k = 0; k < segments.Count; k++)
        {
            fragments[k] = [];
            for (int p = 0; p < partitionCount; p++)
                fragments[k].Add(run.Done(k, p) ?? throw new InvalidOperationException($"partition {p} has no record of segment {k}; a step before did not finish it (run --resume)"));
            if (segments[k].GlobalAfter is { } g)
                segments[k].ResolveStats = run.Resolved(k) ?? throw new InvalidOperationException($"{g.Name} has no record of its resolve step (run --resume)");
        }
        var (stats, shards) = PipelineRunner.MergeStats(pipeline, segments, fragments, sub.Workers);
        stats.Seconds = DateTime.TryParse(sub.SubmittedAt, null, System.Globalization.DateTimeStyles.AdjustToUniversal | System.Globalization.DateTimeStyles.AssumeUniversal, out var at)
            ? Math.Max(0, (DateTime.UtcNow - at).TotalSeconds) : 0;
        FaultPoints.At("run:before-finish");
        var finished = pipeline.Sink.Finish(run.Path, shards).ToList();
        FaultPoints.At("run:finished");
        run.Publish(stats, new Manifest(pipeline.Settings.Name, pipeline.Sink.Format, finished));
    }

    /// <summary>Documents read and partitions finished so far, from the done records (for progress displays).</summary>
    public static (long Documents, int PartitionsDone) Progress(string output, int segment)
    {
        var run = new RunDirectory(output);
        string dir = Path.Combine(run.Work, "done");
        if (!Directory.Exists(dir)) return (0, 0);
        int done = Directory.EnumerateFiles(dir, $"s{segment}-p*.json").Count();
        long docs = 0;
        foreach (var f in Directory.EnumerateFiles(dir, "s0-p*.json"))
        {
            try { docs += PartitionRecord.Read(f).Stages[0].In; }
            catch (Exception ex) when (ex is IOException or System.Text.Json.JsonException) { }
        }
        return (docs, done);
    }
}
