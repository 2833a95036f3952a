using System.CommandLine;
using DataForge.Execution;
using DataForge.Execution.Slurm;
using DataForge.Pipelines;

namespace DataForge.Cli;

public static class RunCommand
{
    public static Command Build(CliIO io)
    {
        var pipelineArg = new Argument<string>("pipeline") { Description = "Pipeline JSON file, or a workflow file (a list of dataforge commands, such as pipelines/quickstart.json)." };
        var output = new Option<string?>("--output", "-o") { Description = "Output directory (overrides the pipeline's output.path)." };
        var workers = new Option<int>("--workers", "-w") { Description = "Worker threads (default: number of cores).", DefaultValueFactory = _ => Environment.ProcessorCount };
        var resume = new Option<bool>("--resume") { Description = "Continue an interrupted run in the same output directory." };
        var overwrite = new Option<bool>("--overwrite") { Description = "Replace the contents of a non-empty output directory." };
        var limit = new Option<long?>("--limit") { Description = "Read at most N documents (in input order), for trying a pipeline." };
        var executor = new Option<string?>("--executor")
        {
            Description = "Where to run: local (in this process) or slurm (submit Slurm jobs and return; the pipeline's \"executor\" sets partition, tasks and the rest). Default: the pipeline's executor.type.",
        };
        executor.AcceptOnlyFromAmong("local", "slurm");
        var wait = new Option<bool>("--wait") { Description = "With the Slurm executor: follow the jobs with a live display until they end; exit code 1 when a task failed." };
        var cmd = new Command("run", "Run a pipeline (read, process and write a sharded corpus with manifest.json and stats.json), or a workflow of dataforge commands.")
        {
            pipelineArg, output, workers, resume, overwrite, limit, executor, wait,
        };
        cmd.SetAction(parse =>
        {
            string file = parse.GetValue(pipelineArg)!;
            if (File.Exists(file) && ValidateCommand.Detect(file) == ConfigKind.Workflow)
            {
                if (parse.GetValue(output) is not null || parse.GetValue(resume) || parse.GetValue(overwrite) || parse.GetValue(limit) is not null || parse.GetResult(workers) is { Implicit: false }
                    || parse.GetValue(executor) is not null || parse.GetValue(wait))
                    throw new CliUsageException($"{file} is a workflow: --output, --resume, --overwrite, --limit, --workers, --executor and --wait apply to pipelines; put them in the workflow's steps");
                return Workflow.Load(file).Run(io);
            }
            int w = parse.GetValue(workers);
            if (w < 1) throw new CliUsageException($"--workers must be >= 1, got {w}");
            long? lim = parse.GetValue(limit);
            if (lim is < 0) throw new CliUsageException($"--limit must be >= 0, got {lim}");
            var pipeline = Pipeline.Load(file, DataForgeCli.Registry, parse.GetValue(output));
            var exec = pipeline.Settings.Executor with { Type = parse.GetValue(executor) ?? pipeline.Settings.Executor.Type };
            if (exec.IsSlurm)
            {
                if (parse.GetResult(workers) is { Implicit: false })
                    throw new CliUsageException("--workers applies to the local executor; on Slurm each task runs executor.cpus_per_task workers");
                var sub = SlurmPipeline.Submit(pipeline, new RunOptions { Resume = parse.GetValue(resume), Overwrite = parse.GetValue(overwrite), Limit = lim, Log = io.Err.WriteLine }, exec);
                if (sub is null)
                {
                    io.Out.WriteLine($"{pipeline.Sink.OutputPath}: the run is finished; nothing to submit");
                    return ExitCodes.Ok;
                }
                SlurmCommands.PrintSubmitted(io, pipeline.Settings.Name, sub);
                if (!parse.GetValue(wait)) return ExitCodes.Ok;
                int code = SlurmCommands.Follow(io, sub.Output, TimeSpan.FromMilliseconds(500));
                if (code != ExitCodes.Ok) return code;
                PrintResult(io, pipeline, RunStats.Read(Path.Combine(sub.Output, RunStats.FileName)), sub.Output, Manifest.Read(sub.Output)!.Shards.Count);
                return ExitCodes.Ok;
            }
            using var cts = new CancellationTokenSource();
            ConsoleCancelEventHandler onCancel = (_, e) => { e.Cancel = true; cts.Cancel(); };
            Console.CancelKeyPress += onCancel;
            try
            {
                var progress = new RunProgress();
                var options = new RunOptions
                {
                    Workers = w,
                    Resume = parse.GetValue(resume),
                    Overwrite = parse.GetValue(overwrite),
                    Limit = lim,
                    Progress = progress,
                    Cancellation = cts.Token,
                    Log = io.Err.WriteLine,
                };
                var result = ProgressDisplay.Track(io, ProgressDisplay.Run(progress), () => PipelineRunner.Run(pipeline, options));
                PrintResult(io, pipeline, result.Stats, result.OutputDirectory, result.Shards.Count);
                return ExitCodes.Ok;
            }
            finally
            {
                Console.CancelKeyPress -= onCancel;
            }
        });
        return cmd;
    }

    /// <summary>The summary of a finished run: counts, drops by stage and reason, where the output is.</summary>
    static void PrintResult(CliIO io, Pipeline pipeline, RunStats s, string outputDirectory, int shards)
    {
        io.Out.WriteLine($"{pipeline.Settings.Name}: {s.DocumentsIn:N0} documents in, {s.DocumentsOut:N0} out, {s.Dropped:N0} dropped, {s.Rejected:N0} rejected"
            + (s.Added > 0 ? $", {s.Added:N0} added" : "") + $" in {s.Seconds:F1}s");
        foreach (var st in s.Stages.Where(x => x.DroppedTotal > 0 || x.Rejected > 0))
            io.Out.WriteLine($"  {st.Name}: " + string.Join(", ", st.Dropped.Select(kv => $"{kv.Key} {kv.Value:N0}").Concat(st.Rejected > 0 ? [$"rejected {st.Rejected:N0}"] : [])));
        io.Out.WriteLine($"output: {outputDirectory} ({shards} shard(s), manifest.json, stats.json)");
    }
}
