using System.Diagnostics;

namespace DataForge.Execution;

/// <summary>
/// Crash testing: the process SIGKILLs itself at a named point, so tests can prove that <c>--resume</c>
/// (or a rerun) recovers from a hard kill anywhere. <c>DATAFORGE_FAULT_KILL_AT=NAME</c> kills at the
/// first pass through point NAME, <c>NAME#N</c> at the N-th; <c>DATAFORGE_FAULT_KILL_AFTER_BATCHES=N</c>
/// kills after N batches were written. Unset (always, outside tests), each check is one comparison.
/// </summary>
internal static class FaultPoints
{
    /// <summary>The environment variable naming the kill point (set by tests on the child process they start).</summary>
    public const string Variable = "DATAFORGE_FAULT_KILL_AT";

    static readonly (string Name, long Hit)? KillAt = Parse(Environment.GetEnvironmentVariable(Variable));
    static readonly long KillAfterBatches = long.TryParse(Environment.GetEnvironmentVariable("DATAFORGE_FAULT_KILL_AFTER_BATCHES"), out long n) ? n : -1;
    static long _hits, _batches;

    static (string, long)? Parse(string? spec)
    {
        if (string.IsNullOrEmpty(spec)) return null;
        int hash = spec.LastIndexOf('#');
        return hash > 0 && long.TryParse(spec[(hash + 1)..], out long hit) ? (spec[..hash], hit) : (spec, 1);
    }

    /// <summary>The environment variable naming a point where the process sleeps (so a test can cancel it while it runs there).</summary>
    public const string SleepVariable = "DATAFORGE_FAULT_SLEEP_AT";
    /// <summary>How long it sleeps there, in seconds (default 60).</summary>
    public const string SleepSecondsVariable = "DATAFORGE_FAULT_SLEEP_SECONDS";

    static readonly string? SleepAt = Environment.GetEnvironmentVariable(SleepVariable);
    static readonly double SleepSeconds = double.TryParse(Environment.GetEnvironmentVariable(SleepSecondsVariable), System.Globalization.CultureInfo.InvariantCulture, out double s) ? s : 60;

    /// <summary>Kills the process when <paramref name="point"/> is the configured kill point (at its configured pass); sleeps at the configured sleep point.</summary>
    public static void At(string point)
    {
        if (SleepAt is not null && SleepAt == point) Thread.Sleep(TimeSpan.FromSeconds(SleepSeconds));
        if (KillAt is not { } k || k.Name != point) return;
        if (Interlocked.Increment(ref _hits) >= k.Hit) Process.GetCurrentProcess().Kill();
    }

    /// <summary>Counts a written batch; kills the process after the configured number.</summary>
    public static void AfterBatch()
    {
        if (KillAfterBatches >= 0 && Interlocked.Increment(ref _batches) >= KillAfterBatches)
            Process.GetCurrentProcess().Kill();
    }
}
