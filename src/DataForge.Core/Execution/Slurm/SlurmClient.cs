using System.Diagnostics;

namespace DataForge.Execution.Slurm;

/// <summary>A Slurm command failed or is not installed (the run cannot be submitted or followed).</summary>
public sealed class SlurmException(string message) : Exception(message);

/// <summary>
/// The Slurm commands DataForge uses, run as child processes: <c>sbatch</c> to submit, <c>squeue</c> for the
/// state of jobs the controller still knows, <c>sacct</c> for older ones where accounting is configured.
/// </summary>
public static class SlurmClient
{
    /// <summary>States in which a job may still write to the output directory.</summary>
    static readonly HashSet<string> LiveStates = new(StringComparer.Ordinal)
    {
        "PENDING", "RUNNING", "CONFIGURING", "COMPLETING", "REQUEUED", "RESIZING", "SUSPENDED", "STAGE_OUT", "SIGNALING", "REQUEUE_HOLD", "REQUEUE_FED", "RESV_DEL_HOLD", "STOPPED",
    };

    public static bool IsLive(string state) => LiveStates.Contains(state);

    /// <summary>True when <c>sbatch</c> can be found on the PATH.</summary>
    public static bool Available => FindOnPath("sbatch") is not null;

    static string? FindOnPath(string name)
    {
        foreach (var dir in (Environment.GetEnvironmentVariable("PATH") ?? "").Split(Path.PathSeparator, StringSplitOptions.RemoveEmptyEntries))
        {
            string p = Path.Combine(dir, name);
            if (File.Exists(p)) return p;
        }
        return null;
    }

    /// <summary>Runs a Slurm command; returns its exit code, stdout and stderr. Throws when the command is not installed.</summary>
    public static (int Code, string Out, string Err) Exec(string command, IEnumerable<string> args, TimeSpan? timeout = null)
    {
        if (FindOnPath(command) is null)
            throw new SlurmException($"{command} not found on PATH: the Slurm executor needs the Slurm client commands (sbatch, squeue) on the submitting machine");
        var psi = new ProcessStartInfo(command) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (var a in args) psi.ArgumentList.Add(a);
        using var p = Process.Start(psi)!;
        var o = p.StandardOutput.ReadToEndAsync();
        var e = p.StandardError.ReadToEndAsync();
        var limit = timeout ?? TimeSpan.FromSeconds(60);
        if (!p.WaitForExit(limit))
        {
            try { p.Kill(true); } catch (InvalidOperationException) { }
            throw new SlurmException($"{command} did not answer within {limit.TotalSeconds:F0}s");
        }
        return (p.ExitCode, o.Result, e.Result);
    }

    /// <summary>Submits a batch script; returns the job id (<c>sbatch --parsable</c>).</summary>
    public static string Submit(IEnumerable<string> sbatchArgs, string script)
    {
        var (code, stdout, stderr) = Exec("sbatch", ["--parsable", .. sbatchArgs, script]);
        if (code != 0)
            throw new SlurmException($"sbatch refused {script}: {FirstLine(stderr) ?? $"exit code {code}"}");
        // --parsable prints "jobid" or "jobid;cluster".
        string id = stdout.Trim().Split(';')[0];
        if (id.Length == 0 || !id.All(char.IsAsciiDigit)) throw new SlurmException($"sbatch printed no job id for {script}: \"{stdout.Trim()}\"");
        return id;
    }

    /// <summary>
    /// The states of the given jobs and their array tasks, keyed "JOB" or "JOB_TASK": from <c>squeue</c> (jobs
    /// the controller still holds, finished ones included for a while), then from <c>sacct</c> for the rest where
    /// accounting is configured. Jobs neither knows are absent.
    /// </summary>
    public static Dictionary<string, string> States(IReadOnlyCollection<string> jobIds)
    {
        var states = new Dictionary<string, string>(StringComparer.Ordinal);
        if (jobIds.Count == 0) return states;
        var (code, stdout, _) = Exec("squeue", ["-h", "-r", "--states=all", "-o", "%i|%T", "-j", string.Join(',', jobIds)]);
        // squeue refuses the whole list when one job is no longer known; then each is asked alone.
        if (code == 0) Parse(stdout, states);
        else if (jobIds.Count > 1)
            foreach (var j in jobIds)
            {
                var (c1, o1, _) = Exec("squeue", ["-h", "-r", "--states=all", "-o", "%i|%T", "-j", j]);
                if (c1 == 0) Parse(o1, states);
            }
        var unknown = jobIds.Where(j => !states.Keys.Any(k => k == j || k.StartsWith(j + "_", StringComparison.Ordinal))).ToList();
        if (unknown.Count > 0 && FindOnPath("sacct") is not null)
        {
            var (c2, out2, _) = Exec("sacct", ["-n", "-P", "-X", "-o", "JobID,State", "-j", string.Join(',', unknown)]);
            if (c2 == 0) Parse(out2, states);
        }
        return states;
    }

    static void Parse(string text, Dictionary<string, string> states)
    {
        foreach (var line in text.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
        {
            var parts = line.Split('|');
            if (parts.Length < 2) continue;
            // sacct writes "CANCELLED by 0"; the first word is the state.
            states[parts[0]] = parts[1].Split(' ')[0];
        }
    }

    static string? FirstLine(string text) => text.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries).FirstOrDefault();
}
