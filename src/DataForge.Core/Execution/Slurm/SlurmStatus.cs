namespace DataForge.Execution.Slurm;

/// <summary>The state of one task of a step.</summary>
/// <param name="State">"done", "done earlier" (by an earlier submission), "failed", "running", "pending", or Slurm's final state for a task that ended without a marker ("cancelled", "timeout", ...).</param>
/// <param name="Error">The error a failed task recorded, or what Slurm says of a task that ended without one.</param>
public sealed record SlurmTaskState(string Step, int Task, string State, string Log, string? Error)
{
    public bool IsFailure => State is not ("done" or "done earlier" or "running" or "pending");
    public string Name(SubmittedStep s) => s.Step.Tasks > 1 ? $"{Step}[{Task}]" : Step;
}

/// <summary>
/// A submission's progress as its markers and Slurm tell it: per step, the state of each task. Built by
/// <see cref="Read"/> for <c>dataforge status</c> and the live display of <c>run --wait</c>.
/// </summary>
public sealed class SlurmStatus
{
    public required SlurmSubmission Submission { get; init; }
    public required IReadOnlyList<(SubmittedStep Step, IReadOnlyList<SlurmTaskState> Tasks)> Steps { get; init; }
    /// <summary>The output has <c>_SUCCESS</c>: the run is complete.</summary>
    public required bool Finished { get; init; }
    /// <summary>Some job of the submission is still pending or running.</summary>
    public required bool Live { get; init; }

    public IEnumerable<SlurmTaskState> Failures => Steps.SelectMany(s => s.Tasks).Where(t => t.IsFailure);

    /// <summary>Reads the submission recorded in <paramref name="output"/>; null when there is none.</summary>
    public static SlurmStatus? Read(string output)
    {
        var sub = SlurmSubmission.Read(output);
        if (sub is null) return null;
        var jobs = sub.JobIds.ToList();
        var states = jobs.Count > 0 && SlurmClient.Available ? SlurmClient.States(jobs) : [];
        bool finished = File.Exists(Path.Combine(output, OutputDirectory.SuccessFile));
        var steps = new List<(SubmittedStep, IReadOnlyList<SlurmTaskState>)>();
        bool live = false;
        foreach (var s in sub.Steps)
        {
            var tasks = new List<SlurmTaskState>();
            var submitted = s.Submitted.ToHashSet();
            for (int t = 0; t < s.Step.Tasks; t++)
            {
                string log = SlurmSubmission.LogOf(output, s.Step.Id, t);
                if (!submitted.Contains(t) || s.JobId is null) { tasks.Add(new(s.Step.Id, t, "done earlier", log, null)); continue; }
                if (File.Exists(SlurmSubmission.DoneMarker(output, s.Step.Id, t))) { tasks.Add(new(s.Step.Id, t, "done", log, null)); continue; }
                string? slurm = StateOf(states, s.JobId, t, s.Step.Tasks > 1);
                if (slurm is not null && SlurmClient.IsLive(slurm))
                {
                    live = true;
                    tasks.Add(new(s.Step.Id, t, slurm == "PENDING" ? "pending" : "running", log, null));
                    continue;
                }
                if (SlurmSubmission.FailureOf(output, s.Step.Id, t) is { } error) { tasks.Add(new(s.Step.Id, t, "failed", log, error)); continue; }
                // Ended without a marker: cancelled, timed out, killed, or never started because a step before failed.
                string state = slurm?.ToLowerInvariant() ?? "lost";
                string why = slurm switch
                {
                    null => "Slurm no longer knows the job and the task left no marker (cancelled or killed?)",
                    "COMPLETED" => "the job completed but the task left no marker",
                    "CANCELLED" => "cancelled (scancel, or a step it depends on failed)",
                    "TIMEOUT" => "hit the time limit (executor.time)",
                    "OUT_OF_MEMORY" => "ran out of memory (executor.mem)",
                    _ => $"ended as {slurm}",
                };
                tasks.Add(new(s.Step.Id, t, state, log, why));
            }
            steps.Add((s, tasks));
        }
        return new SlurmStatus { Submission = sub, Steps = steps, Finished = finished, Live = live };
    }

    static string? StateOf(Dictionary<string, string> states, string job, int task, bool array)
    {
        if (array && states.TryGetValue($"{job}_{task}", out var s)) return s;
        if (states.TryGetValue(job, out s)) return s;
        // A pending array whose tasks are not yet split out: "JOB_[0-3]" (squeue -r splits them; sacct may not).
        foreach (var (k, v) in states)
            if (k.StartsWith(job + "_[", StringComparison.Ordinal)) return v;
        return null;
    }

    /// <summary>The step tasks are working on now (the first with tasks not done), for progress lines.</summary>
    public (SubmittedStep Step, IReadOnlyList<SlurmTaskState> Tasks)? Current
        => Steps.Select(s => ((SubmittedStep, IReadOnlyList<SlurmTaskState>)?)s).FirstOrDefault(s => s!.Value.Item2.Any(t => !t.State.StartsWith("done", StringComparison.Ordinal)));

    /// <summary>
    /// The failed tasks of the first step that has any, one line each with the log and the error (later steps
    /// were cancelled because of them and are summed up in one line).
    /// </summary>
    public IEnumerable<string> FailureLines()
    {
        int first = Steps.ToList().FindIndex(s => s.Tasks.Any(t => t.IsFailure));
        if (first < 0) yield break;
        var (step, tasks) = Steps[first];
        foreach (var t in tasks.Where(t => t.IsFailure))
            yield return $"task {t.Name(step)} ({step.Step.Description}; job {step.JobId}{(step.Step.Tasks > 1 ? "_" + t.Task : "")}) {t.State}: {t.Error}; log: {t.Log}";
        var later = Steps.Skip(first + 1).Where(s => s.Tasks.Any(t => t.IsFailure)).Select(s => s.Step.Step.Id).ToList();
        if (later.Count > 0) yield return $"not run because of it: {string.Join(", ", later)}";
    }
}
