using System.CommandLine;
using DataForge.Execution;
using DataForge.Execution.Slurm;
using DataForge.Pipelines;
using DataForge.Tokenization;
using DataForge.Tokenization.Mixing;
using Spectre.Console;
using Spectre.Console.Rendering;

namespace DataForge.Cli;

/// <summary>
/// Runs on Slurm from the command line: the hidden worker command each job starts (<c>slurm-task</c>),
/// <c>dataforge status OUT</c>, and following a submission until it ends (<c>run --wait</c>, <c>mix --wait</c>).
/// </summary>
public static class SlurmCommands
{
    /// <summary><c>dataforge slurm-task OUT STEP TASK</c>: one task of a submitted step (started by the job's batch script).</summary>
    public static Command BuildTask(CliIO io)
    {
        var output = new Argument<string>("output") { Description = "The output directory holding _slurm/submission.json." };
        var step = new Argument<string>("step") { Description = "The step id (s0, r0, finish, ...)." };
        var task = new Argument<int>("task") { Description = "The array task index (SLURM_ARRAY_TASK_ID; 0 for a single job)." };
        var cmd = new Command("slurm-task", "Run one task of a step submitted to Slurm (started by the job, not by hand).") { output, step, task };
        cmd.Hidden = true;
        cmd.SetAction(parse =>
        {
            string outDir = Path.GetFullPath(parse.GetValue(output)!);
            string stepId = parse.GetValue(step)!;
            int t = parse.GetValue(task);
            var sub = SlurmSubmission.Read(outDir) ?? throw new CliUsageException($"{outDir}: no {SlurmSubmission.DirName}/{SlurmSubmission.FileName}: nothing was submitted here");
            io.Err.WriteLine($"dataforge slurm-task: {sub.Kind} {sub.Config}, step {stepId} task {t} on {Environment.MachineName} (job {Environment.GetEnvironmentVariable("SLURM_JOB_ID") ?? "-"})");
            var clock = System.Diagnostics.Stopwatch.StartNew();
            SlurmSubmission.RunTask(outDir, stepId, t, () =>
            {
                switch (sub.Kind)
                {
                    case SlurmPipeline.Kind:
                        SlurmPipeline.RunTask(Pipeline.Load(sub.Config, DataForgeCli.Registry, sub.Output), sub, stepId, t);
                        break;
                    case SlurmMix.Kind:
                        SlurmMix.RunTask(MixConfig.Load(sub.Config), sub, stepId, t, msg => io.Err.WriteLine(msg));
                        break;
                    case SlurmTokenizerTrain.Kind:
                        SlurmTokenizerTrain.RunTask(sub, stepId, t, msg => io.Err.WriteLine(msg));
                        break;
                    default:
                        throw new CliUsageException($"{SlurmSubmission.PathOf(outDir)}: unknown kind '{sub.Kind}'");
                }
            });
            io.Err.WriteLine($"dataforge slurm-task: step {stepId} task {t} done in {clock.Elapsed.TotalSeconds:F1}s");
            return ExitCodes.Ok;
        });
        return cmd;
    }

    /// <summary><c>dataforge status OUT</c>: the tasks of a run submitted to Slurm, done, running and failed.</summary>
    public static Command BuildStatus(CliIO io)
    {
        var output = new Argument<string>("output") { Description = "Output directory of a run, mix or tokenizer training submitted with --executor slurm." };
        var cmd = new Command("status", "Show the Slurm jobs of a run, mix or tokenizer training: tasks done, running and failed, and the log and error of a failed task. Exit code 1 when a task failed.") { output };
        cmd.SetAction(parse =>
        {
            string outDir = Path.GetFullPath(parse.GetValue(output)!);
            var status = SlurmStatus.Read(outDir);
            if (status is null)
            {
                if (File.Exists(Path.Combine(outDir, OutputDirectory.SuccessFile)))
                {
                    io.Out.WriteLine($"{outDir}: finished (run in one process; nothing was submitted to Slurm)");
                    return ExitCodes.Ok;
                }
                throw new CliUsageException($"{outDir}: no run was submitted to Slurm here (no {SlurmSubmission.DirName}/{SlurmSubmission.FileName})");
            }
            Print(io.Out, status);
            return status.Failures.Any() && !status.Finished ? ExitCodes.Failure : ExitCodes.Ok;
        });
        return cmd;
    }

    /// <summary>The state of a submission as plain lines: one per step, then the failed tasks.</summary>
    public static void Print(TextWriter w, SlurmStatus status)
    {
        var sub = status.Submission;
        w.WriteLine($"{sub.Output}: {sub.Kind} {sub.Config}, submitted {sub.SubmittedAt}: "
            + (status.Finished ? "finished" : status.Live ? "running" : status.Failures.Any() ? "failed" : "stopped (no job is live)"));
        foreach (var (s, tasks) in status.Steps)
        {
            var counts = tasks.GroupBy(t => t.State).OrderBy(g => g.Key, StringComparer.Ordinal).Select(g => $"{g.Count()} {g.Key}");
            w.WriteLine($"  {s.Step.Id,-7} {(s.JobId is null ? "-" : "job " + s.JobId),-12} {s.Step.Tasks,4} task(s): {string.Join(", ", counts),-40} {s.Step.Description}");
        }
        foreach (var line in status.FailureLines()) w.WriteLine($"  {line}");
        var failed = status.Steps.SelectMany(s => s.Tasks).FirstOrDefault(t => t.State == "failed");
        if (failed is not null && File.Exists(failed.Log))
        {
            w.WriteLine($"  last lines of {failed.Log}:");
            foreach (var l in File.ReadLines(failed.Log).TakeLast(5)) w.WriteLine($"    {l}");
        }
        if (!status.Finished && !status.Live)
            w.WriteLine(sub.Kind == SlurmTokenizerTrain.Kind
                ? $"  continue with: the same dataforge tokenizer train command (inputs and options in {sub.Config}) with --resume"
                : $"  continue with: dataforge {(sub.Kind == SlurmMix.Kind ? "mix" : "run")} {sub.Config} --executor slurm --resume{(sub.Output != null ? $" --output {sub.Output}" : "")}");
    }

    /// <summary>The jobs a submission started (steps done earlier say so) and how to follow them.</summary>
    public static void PrintSubmitted(CliIO io, string name, SlurmSubmission sub)
    {
        io.Out.WriteLine($"{name}: submitted to Slurm: "
            + string.Join(", ", sub.Steps.Select(st => st.JobId is null ? $"{st.Step.Id} (done earlier)" : $"{st.Step.Id} job {st.JobId}" + (st.Step.Tasks > 1 ? $" ({st.Submitted.Count} of {st.Step.Tasks} tasks)" : ""))));
        io.Out.WriteLine($"follow with: dataforge status {sub.Output}");
    }

    /// <summary>
    /// Follows a submission until no job of it is live, with a live display; prints the failures and returns 1
    /// when it did not finish.
    /// </summary>
    public static int Follow(CliIO io, string output, TimeSpan poll)
    {
        SlurmStatus? last = null;
        var clock = System.Diagnostics.Stopwatch.StartNew();
        var view = new ProgressView(() => Line(last, clock.Elapsed), () => Render(last, clock.Elapsed));
        ProgressDisplay.Track(io, view, () =>
        {
            while (true)
            {
                last = SlurmStatus.Read(output) ?? throw new CliUsageException($"{output}: the submission record is gone");
                if (!last.Live) return 0;
                Thread.Sleep(poll);
            }
        });
        if (last!.Finished) return ExitCodes.Ok;
        io.Err.WriteLine($"error: the run on Slurm did not finish ({output})");
        foreach (var line in last.FailureLines()) io.Err.WriteLine($"  {line}");
        if (!last.Failures.Any()) io.Err.WriteLine("  no job is live and no task failed: the jobs were cancelled before they started?");
        io.Err.WriteLine($"  dataforge status {output} shows the tasks; --resume submits what is missing");
        return ExitCodes.Failure;
    }

    static string Line(SlurmStatus? s, TimeSpan elapsed)
    {
        if (s is null) return $"[{elapsed:hh\\:mm\\:ss}] slurm: waiting for the first state";
        var cur = s.Current;
        if (cur is null) return $"[{elapsed:hh\\:mm\\:ss}] slurm: all steps done";
        var (step, tasks) = cur.Value;
        int done = tasks.Count(t => t.State.StartsWith("done", StringComparison.Ordinal)), running = tasks.Count(t => t.State == "running"), failed = tasks.Count(t => t.IsFailure);
        string extra = "";
        if (s.Submission.Kind == SlurmPipeline.Kind && step.Step.Kind == "map")
        {
            var (docs, parts) = SlurmPipeline.Progress(s.Submission.Output, step.Step.Segment);
            extra = $"; {parts} partition(s) of this step done, {docs:N0} docs read";
        }
        return $"[{elapsed:hh\\:mm\\:ss}] slurm step {step.Step.Id} ({step.Step.Description}): {done}/{tasks.Count} task(s) done, {running} running"
            + (failed > 0 ? $", {failed} failed" : "") + extra;
    }

    static IRenderable Render(SlurmStatus? s, TimeSpan elapsed)
    {
        var table = new Table().Border(TableBorder.Rounded).Title("[bold]DataForge[/] on Slurm");
        table.AddColumn("step");
        table.AddColumn("job");
        table.AddColumn(new TableColumn("done").RightAligned());
        table.AddColumn(new TableColumn("running").RightAligned());
        table.AddColumn(new TableColumn("pending").RightAligned());
        table.AddColumn(new TableColumn("failed").RightAligned());
        table.AddColumn("what");
        double frac = 0;
        if (s is not null)
        {
            int all = 0, done = 0;
            foreach (var (step, tasks) in s.Steps)
            {
                all += tasks.Count;
                int stepDone = tasks.Count(t => t.State.StartsWith("done", StringComparison.Ordinal));
                done += stepDone;
                table.AddRow(step.Step.Id, step.JobId ?? "-", $"{stepDone}/{tasks.Count}",
                    $"{tasks.Count(t => t.State == "running")}", $"{tasks.Count(t => t.State == "pending")}", $"{tasks.Count(t => t.IsFailure)}",
                    Markup.Escape(step.Step.Description));
            }
            frac = all == 0 ? 0 : (double)done / all;
        }
        return new Rows(new Markup(Markup.Escape(Line(s, elapsed))), ProgressDisplay.Bar(frac, "of tasks done"), table);
    }
}
