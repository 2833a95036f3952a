using System.Diagnostics;

namespace DataForge.Execution;

/// <summary>
/// Crash testing at named points: with <c>DATAFORGE_FAULT_KILL_AT=POINT</c> the process kills itself
/// (SIGKILL, no clean-up, no finally blocks) the first time it reaches <c>At("POINT")</c>, so tests can
/// prove that an output directory left at that point is recovered (or refused) as documented. Points
/// are named "command:where", e.g. <c>mix:before-publish</c>; docs/mixing.md lists the mix's points.
/// </summary>
public static class FaultPoints
{
    public const string Variable = "DATAFORGE_FAULT_KILL_AT";

    /// <summary>Read once: a test sets it on the child process it starts, never in the test process.</summary>
    static readonly string? Target = Environment.GetEnvironmentVariable(Variable);

    /// <summary>Kills the process when <see cref="Variable"/> names <paramref name="point"/>; otherwise does nothing.</summary>
    public static void At(string point)
    {
        if (Target is not null && string.Equals(Target, point, StringComparison.Ordinal))
            Process.GetCurrentProcess().Kill();
    }
}
