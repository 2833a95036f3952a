using DataForge.Execution;
using DataForge.Execution.Slurm;
using DataForge.Pipelines;

namespace DataForge.Tests;

/// <summary>
/// Runs a pipeline the way the Slurm executor does, without Slurm: every task of every step in turn, each
/// with the pipeline loaded afresh, as the separate process of a Slurm task has it (so a global stage
/// applies in an instance that did not resolve).
/// </summary>
public static class StepsInProcess
{
    public static void Run(Func<Pipeline> load, int tasks)
    {
        var first = load();
        var steps = SlurmPipeline.Prepare(first, new RunOptions(), tasks)!;
        var sub = new SlurmSubmission
        {
            Kind = SlurmPipeline.Kind, Config = first.File, Output = first.Sink.OutputPath, WorkingDirectory = Directory.GetCurrentDirectory(),
            Command = ["dataforge"], Workers = 2, SubmittedAt = DateTime.UtcNow.ToString("yyyy-MM-ddTHH:mm:ssZ"),
            Steps = steps.Select(s => new SubmittedStep(s.Step, null, s.Missing)).ToList(),
        };
        sub.Write();
        foreach (var (step, missing) in steps)
            foreach (int t in missing)
                SlurmPipeline.RunTask(load(), sub, step.Id, t);
    }
}
