using DataForge.Configuration;

namespace DataForge.Execution;

/// <summary>
/// Where a pipeline or mix runs (the <c>executor</c> key): in this process (<c>local</c>), or as Slurm jobs
/// (<c>slurm</c>) whose array tasks share the partitions. The output does not depend on it: the same
/// pipeline gives byte-identical shards with either executor and any task count, so a run's identity
/// (what <c>--resume</c> compares) leaves it out.
/// </summary>
public sealed record ExecutorOptions : IValidatableOptions
{
    [Option("\"local\": run in this process on --workers threads; \"slurm\": submit Slurm jobs (an array job per step, partitions dealt to its tasks) and return, or follow them with run --wait.",
        AllowedValues = ["local", "slurm"])]
    public string Type { get; init; } = "local";

    [Option("Slurm partition (sbatch --partition); the cluster's default when unset.")]
    public string? Partition { get; init; }

    [Option("Time limit of each job (sbatch --time: minutes, MM:SS, HH:MM:SS or D-HH:MM:SS).")]
    public string Time { get; init; } = "01:00:00";

    [Option("CPUs of each task (sbatch --cpus-per-task); a task runs its partitions on this many worker threads.", Min = 1, Max = 1024)]
    public int CpusPerTask { get; init; } = 2;

    [Option("Memory of each task (sbatch --mem, for example 4G); the cluster's default when unset.")]
    public string? Mem { get; init; }

    [Option("Array tasks per step: partitions are dealt to tasks round-robin (partition p to task p mod tasks); more tasks than partitions leaves the rest idle, so the array is capped at the partition count.", Min = 1, Max = 100_000)]
    public int Tasks { get; init; } = 16;

    [Option("At most this many tasks of an array at once (sbatch --array=...%N); unlimited when unset.", Min = 1, Max = 100_000)]
    public int? MaxConcurrent { get; init; }

    [Option("Quality of service (sbatch --qos).")]
    public string? Qos { get; init; }

    [Option("Account charged for the jobs (sbatch --account).")]
    public string? Account { get; init; }

    [Option("Further sbatch arguments, passed as given (for example [\"--constraint=skylake\", \"--exclusive\"]).")]
    public List<string> SbatchArgs { get; init; } = [];

    [Option("Environment variables set for the jobs, on top of the submitting shell's environment (which sbatch exports).")]
    public Dictionary<string, string> Env { get; init; } = [];

    [Option("The command that starts DataForge on a node, split on spaces (for example \"dotnet /shared/dataforge/dataforge.dll\" or \"/shared/bin/dataforge\"); it must be reachable from every node. Default: the command that submits.")]
    public string? Command { get; init; }

    public bool IsSlurm => Type == "slurm";

    public void Validate(OptionsValidation v)
    {
        if (Time is not null && !SlurmTime.IsValid(Time))
            v.Error("time", $"expected a Slurm time limit (minutes, MM:SS, HH:MM:SS or D-HH:MM:SS), got \"{Time}\"");
        if (Mem is not null && !System.Text.RegularExpressions.Regex.IsMatch(Mem, "^[0-9]+[KMGT]?$"))
            v.Error("mem", $"expected a memory size such as 4096, 512M or 4G, got \"{Mem}\"");
        foreach (var k in Env.Keys)
            if (!System.Text.RegularExpressions.Regex.IsMatch(k, "^[A-Za-z_][A-Za-z0-9_]*$"))
                v.Error("env", $"\"{k}\" is not an environment variable name (letters, digits and _, not starting with a digit)");
        if (Command is { } c && string.IsNullOrWhiteSpace(c)) v.Error("command", "expected a command, got an empty string");
    }
}

/// <summary>Slurm's time-limit syntax, checked before anything is submitted.</summary>
public static class SlurmTime
{
    static readonly System.Text.RegularExpressions.Regex Pattern = new(
        @"^(\d+|\d+:\d{1,2}|\d+:\d{1,2}:\d{1,2}|\d+-\d+|\d+-\d+:\d{1,2}|\d+-\d+:\d{1,2}:\d{1,2}|UNLIMITED|INFINITE)$");

    public static bool IsValid(string time) => Pattern.IsMatch(time);
}
