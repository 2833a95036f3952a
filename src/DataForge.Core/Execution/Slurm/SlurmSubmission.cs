using System.Text;
using System.Text.Json;

namespace DataForge.Execution.Slurm;

/// <summary>
/// One step of a run on Slurm: an array job whose tasks share the work (<see cref="Tasks"/> &gt; 1) or a single
/// job. Steps run in order, each depending on the one before.
/// </summary>
/// <param name="Id">Short name used in file names and job names ("s0", "r0", "finish").</param>
/// <param name="Kind">What the worker does: "map", "resolve", "finish" (pipelines), "tokenize", "mix" (mixes), "count", "merge" (tokenizer training).</param>
/// <param name="Segment">The pipeline segment the step belongs to (0 for mixes).</param>
/// <param name="Tasks">Array size; 1 for a single job.</param>
/// <param name="Description">What the step does, for status displays.</param>
public sealed record SlurmStep(string Id, string Kind, int Segment, int Tasks, string Description);

/// <summary>A step as submitted: its job id and the tasks submitted (the others were finished by an earlier submission).</summary>
public sealed record SubmittedStep(SlurmStep Step, string? JobId, IReadOnlyList<int> Submitted);

/// <summary>
/// The record of a submission, <c>OUT/_slurm/submission.json</c>: what was submitted (the configuration file,
/// the output, the working directory, the command that starts DataForge on a node) and each step's job id.
/// Workers read it to know their step; <c>status</c> and <c>run --wait</c> read it to follow the jobs; and
/// while any of its jobs is live, no other writer may take the output directory (<see cref="OutputLock"/>).
/// Beside it: <c>tasks/</c> (a <c>.done</c> or <c>.failed</c> marker per finished task), <c>logs/</c> (one log
/// per task, appended to by every attempt) and <c>jobs/</c> (the batch scripts).
/// </summary>
public sealed class SlurmSubmission
{
    public const string DirName = "_slurm";
    public const string FileName = "submission.json";

    /// <summary>"pipeline", "mix" or "tokenizer".</summary>
    public required string Kind { get; init; }
    /// <summary>The pipeline or MIX.json file (for a tokenizer training, the request it wrote), absolute.</summary>
    public required string Config { get; init; }
    /// <summary>The output directory, absolute.</summary>
    public required string Output { get; init; }
    /// <summary>Where the submitting command ran; jobs run there too, so relative paths mean the same.</summary>
    public required string WorkingDirectory { get; init; }
    public required IReadOnlyList<string> Command { get; init; }
    /// <summary>Worker threads of each task (the executor's cpus_per_task).</summary>
    public required int Workers { get; init; }
    public required string SubmittedAt { get; init; }
    public required IReadOnlyList<SubmittedStep> Steps { get; init; }

    public static string DirOf(string output) => Path.Combine(output, DirName);
    public static string PathOf(string output) => Path.Combine(DirOf(output), FileName);
    public static string TasksDir(string output) => Path.Combine(DirOf(output), "tasks");
    public static string LogsDir(string output) => Path.Combine(DirOf(output), "logs");
    public static string JobsDir(string output) => Path.Combine(DirOf(output), "jobs");
    public static string DoneMarker(string output, string step, int task) => Path.Combine(TasksDir(output), $"{step}-{task:D4}.done");
    public static string FailedMarker(string output, string step, int task) => Path.Combine(TasksDir(output), $"{step}-{task:D4}.failed");
    public static string LogOf(string output, string step, int task) => Path.Combine(LogsDir(output), $"{step}-{task:D4}.log");

    public SubmittedStep Step(string id) => Steps.FirstOrDefault(s => s.Step.Id == id)
        ?? throw new SlurmException($"{PathOf(Output)}: no step '{id}' in this submission (steps: {string.Join(", ", Steps.Select(s => s.Step.Id))})");

    public IEnumerable<string> JobIds => Steps.Where(s => s.JobId is not null).Select(s => s.JobId!);

    public static SlurmSubmission? Read(string output)
    {
        string path = PathOf(output);
        if (!File.Exists(path)) return null;
        try
        {
            using var doc = JsonDocument.Parse(File.ReadAllBytes(path));
            var r = doc.RootElement;
            return new SlurmSubmission
            {
                Kind = r.GetProperty("kind").GetString()!,
                Config = r.GetProperty("config").GetString()!,
                Output = r.GetProperty("output").GetString()!,
                WorkingDirectory = r.GetProperty("working_directory").GetString()!,
                Command = r.GetProperty("command").EnumerateArray().Select(e => e.GetString()!).ToList(),
                Workers = r.GetProperty("workers").GetInt32(),
                SubmittedAt = r.GetProperty("submitted_at").GetString()!,
                Steps = r.GetProperty("steps").EnumerateArray().Select(s => new SubmittedStep(
                    new SlurmStep(s.GetProperty("id").GetString()!, s.GetProperty("kind").GetString()!, s.GetProperty("segment").GetInt32(),
                        s.GetProperty("tasks").GetInt32(), s.GetProperty("description").GetString()!),
                    s.GetProperty("job_id").ValueKind == JsonValueKind.Null ? null : s.GetProperty("job_id").GetString(),
                    s.GetProperty("submitted").EnumerateArray().Select(t => t.GetInt32()).ToList())).ToList(),
            };
        }
        catch (Exception ex) when (ex is JsonException or KeyNotFoundException or InvalidOperationException)
        {
            throw new InvalidDataException($"{path}: not a submission record DataForge wrote ({ex.Message})");
        }
    }

    public void Write()
    {
        Directory.CreateDirectory(DirOf(Output));
        JsonFiles.WriteAtomic(PathOf(Output), w =>
        {
            w.WriteStartObject();
            w.WriteString("kind", Kind);
            w.WriteString("config", Config);
            w.WriteString("output", Output);
            w.WriteString("working_directory", WorkingDirectory);
            w.WriteStartArray("command");
            foreach (var c in Command) w.WriteStringValue(c);
            w.WriteEndArray();
            w.WriteNumber("workers", Workers);
            w.WriteString("submitted_at", SubmittedAt);
            w.WriteStartArray("steps");
            foreach (var s in Steps)
            {
                w.WriteStartObject();
                w.WriteString("id", s.Step.Id);
                w.WriteString("kind", s.Step.Kind);
                w.WriteNumber("segment", s.Step.Segment);
                w.WriteNumber("tasks", s.Step.Tasks);
                w.WriteString("description", s.Step.Description);
                if (s.JobId is null) w.WriteNull("job_id"); else w.WriteString("job_id", s.JobId);
                w.WriteStartArray("submitted");
                foreach (var t in s.Submitted) w.WriteNumberValue(t);
                w.WriteEndArray();
                w.WriteEndObject();
            }
            w.WriteEndArray();
            w.WriteEndObject();
        });
    }

    /// <summary>
    /// The live jobs of the submission recorded in <paramref name="output"/>, other than the job this process
    /// runs in (a worker of that submission may write). Empty when there is no record or Slurm is not installed.
    /// </summary>
    public static IReadOnlyList<string> LiveJobs(string output)
    {
        SlurmSubmission? sub;
        try { sub = Read(output); }
        catch (InvalidDataException) { return []; }
        if (sub is null || !SlurmClient.Available) return [];
        var own = new[] { "SLURM_JOB_ID", "SLURM_ARRAY_JOB_ID" }.Select(Environment.GetEnvironmentVariable).Where(v => v is not null).ToHashSet();
        var jobs = sub.JobIds.Where(j => !own.Contains(j)).ToList();
        if (jobs.Count == 0) return [];
        var states = SlurmClient.States(jobs);
        return jobs.Where(j => states.Any(kv => (kv.Key == j || kv.Key.StartsWith(j + "_", StringComparison.Ordinal)) && SlurmClient.IsLive(kv.Value))).ToList();
    }

    // Job names carry pipeline, mix or directory names: anything but letters, digits and _.- becomes _.
    static readonly System.Text.RegularExpressions.Regex JobNameSafe = new("[^A-Za-z0-9_.-]");

    /// <summary>
    /// Submits <paramref name="steps"/> (each with the tasks still to do; a step with none is skipped), each
    /// depending on the last one submitted, and writes the record. Markers of the tasks submitted are cleared first.
    /// </summary>
    public static SlurmSubmission Submit(string kind, string config, string output, ExecutorOptions executor,
        IReadOnlyList<(SlurmStep Step, IReadOnlyList<int> Missing)> steps, string jobName, IReadOnlyList<string>? command = null)
    {
        Directory.CreateDirectory(TasksDir(output));
        Directory.CreateDirectory(LogsDir(output));
        Directory.CreateDirectory(JobsDir(output));
        var cmd = command ?? CommandOf(executor);
        string cwd = Directory.GetCurrentDirectory();
        SlurmSubmission Record(IReadOnlyList<SubmittedStep> list) => new()
        {
            Kind = kind,
            Config = Path.GetFullPath(config),
            Output = output,
            WorkingDirectory = cwd,
            Command = cmd,
            Workers = executor.CpusPerTask,
            SubmittedAt = DateTime.UtcNow.ToString("yyyy-MM-ddTHH:mm:ssZ"),
            Steps = list,
        };
        // Workers read their step from the record, and the first job may start before sbatch returns: the
        // record is written before anything is submitted, and again with the job ids.
        Record(steps.Select(s => new SubmittedStep(s.Step, null, s.Missing)).ToList()).Write();
        var submitted = new List<SubmittedStep>();
        string? previous = null;
        foreach (var (step, missing) in steps)
        {
            if (missing.Count == 0) { submitted.Add(new SubmittedStep(step, null, [])); continue; }
            foreach (int t in missing)
            {
                File.Delete(DoneMarker(output, step.Id, t));
                File.Delete(FailedMarker(output, step.Id, t));
            }
            string script = Path.Combine(JobsDir(output), $"{step.Id}.sh");
            File.WriteAllText(script, Script(executor, cmd, output, step.Id));
            var args = new List<string>
            {
                "--job-name", $"{JobNameSafe.Replace(jobName, "_")}-{step.Id}",
                "--chdir", cwd,
                "--open-mode=append",
                "--time", executor.Time,
                "--cpus-per-task", executor.CpusPerTask.ToString(System.Globalization.CultureInfo.InvariantCulture),
            };
            bool array = step.Tasks > 1;
            args.AddRange(["--output", array ? Path.Combine(LogsDir(output), $"{step.Id}-%4a.log") : LogOf(output, step.Id, 0)]);
            if (array) args.Add("--array=" + ArraySpec(missing) + (executor.MaxConcurrent is { } m ? $"%{m}" : ""));
            if (executor.Mem is { } mem) args.AddRange(["--mem", mem]);
            if (executor.Partition is { } part) args.AddRange(["--partition", part]);
            if (executor.Qos is { } qos) args.AddRange(["--qos", qos]);
            if (executor.Account is { } acct) args.AddRange(["--account", acct]);
            if (previous is not null) args.AddRange(["--dependency", $"afterok:{previous}", "--kill-on-invalid-dep=yes"]);
            args.AddRange(executor.SbatchArgs);
            try
            {
                previous = SlurmClient.Submit(args, script);
            }
            catch (SlurmException ex) when (submitted.Any(s => s.JobId is not null))
            {
                // Half a submission would run steps whose successors never come: cancel what was submitted.
                var ids = submitted.Where(s => s.JobId is not null).Select(s => s.JobId!).ToList();
                SlurmClient.Exec("scancel", ids);
                Record([.. submitted, .. steps.Skip(submitted.Count).Select(s => new SubmittedStep(s.Step, null, s.Missing))]).Write();
                throw new SlurmException($"{ex.Message}; the jobs submitted before it were cancelled ({string.Join(", ", ids)})");
            }
            submitted.Add(new SubmittedStep(step, previous, missing));
        }
        var sub = Record(submitted);
        sub.Write();
        return sub;
    }

    /// <summary>Task ids as sbatch's --array takes them: ranges of consecutive ids ("0-3,5,7-8").</summary>
    public static string ArraySpec(IReadOnlyList<int> tasks)
    {
        var sb = new StringBuilder();
        for (int i = 0; i < tasks.Count;)
        {
            int j = i;
            while (j + 1 < tasks.Count && tasks[j + 1] == tasks[j] + 1) j++;
            if (sb.Length > 0) sb.Append(',');
            sb.Append(tasks[i]);
            if (j > i) sb.Append('-').Append(tasks[j]);
            i = j + 1;
        }
        return sb.ToString();
    }

    /// <summary>The batch script of a step: the executor's environment, then the worker command for this task.</summary>
    static string Script(ExecutorOptions executor, IReadOnlyList<string> command, string output, string step)
    {
        var sb = new StringBuilder("#!/bin/sh\n# Written by dataforge: one step of a run on Slurm (docs/cluster.md).\n");
        foreach (var (k, v) in executor.Env.OrderBy(kv => kv.Key, StringComparer.Ordinal)) sb.Append($"export {k}={Quote(v)}\n");
        sb.Append("exec ").Append(string.Join(' ', command.Select(Quote))).Append(" slurm-task ").Append(Quote(output)).Append(' ').Append(Quote(step))
            .Append(" \"${SLURM_ARRAY_TASK_ID:-0}\"\n");
        return sb.ToString();
    }

    static string Quote(string s) => "'" + s.Replace("'", "'\\''") + "'";

    /// <summary>
    /// The command that starts DataForge on a node: the executor's <c>command</c>, else the one running now
    /// (<c>dotnet PATH/dataforge.dll</c>, or the apphost).
    /// </summary>
    public static IReadOnlyList<string> CommandOf(ExecutorOptions executor)
    {
        if (executor.Command is { } c) return c.Split(' ', StringSplitOptions.RemoveEmptyEntries);
        string process = Environment.ProcessPath ?? "dataforge";
        if (Path.GetFileNameWithoutExtension(process) == "dotnet" && System.Reflection.Assembly.GetEntryAssembly()?.Location is { Length: > 0 } dll)
            return [process, dll];
        return [process];
    }

    /// <summary>
    /// Runs one task of a step in a worker process: <paramref name="work"/>, then the task's <c>.done</c> marker;
    /// on an error, a <c>.failed</c> marker holding the message (for status), and the error goes on to the caller.
    /// </summary>
    public static void RunTask(string output, string step, int task, Action work)
    {
        var clock = System.Diagnostics.Stopwatch.StartNew();
        Directory.CreateDirectory(TasksDir(output));
        File.Delete(FailedMarker(output, step, task));
        try
        {
            work();
        }
        catch (Exception ex)
        {
            WriteMarker(FailedMarker(output, step, task), clock.Elapsed.TotalSeconds, ex.Message.Split('\n')[0]);
            throw;
        }
        WriteMarker(DoneMarker(output, step, task), clock.Elapsed.TotalSeconds, null);
    }

    static void WriteMarker(string path, double seconds, string? error) => JsonFiles.WriteAtomic(path, w =>
    {
        w.WriteStartObject();
        w.WriteString("host", Environment.MachineName);
        w.WriteString("job", Environment.GetEnvironmentVariable("SLURM_JOB_ID"));
        w.WriteNumber("seconds", Math.Round(seconds, 3));
        w.WriteString("finished_at", DateTime.UtcNow.ToString("yyyy-MM-ddTHH:mm:ssZ"));
        if (error is not null) w.WriteString("error", error);
        w.WriteEndObject();
    });

    /// <summary>The error a failed task recorded, or null.</summary>
    public static string? FailureOf(string output, string step, int task)
    {
        string path = FailedMarker(output, step, task);
        if (!File.Exists(path)) return null;
        try
        {
            using var doc = JsonDocument.Parse(File.ReadAllBytes(path));
            return doc.RootElement.TryGetProperty("error", out var e) ? e.GetString() : "failed";
        }
        catch (JsonException) { return "failed"; }
    }
}
