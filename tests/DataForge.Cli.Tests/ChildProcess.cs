using System.Diagnostics;

namespace DataForge.Tests;

/// <summary>
/// The built <c>dataforge</c> command in a child process: for hard kills at fault points, locks held by
/// another process, and runs from another working directory.
/// </summary>
internal static class ChildProcess
{
    static readonly string Dll = Path.Combine(AppContext.BaseDirectory, "dataforge.dll");

    /// <param name="env">Extra environment variables (for example DATAFORGE_FAULT_KILL_AT).</param>
    public static (int Code, string Out, string Err) Run(IEnumerable<string> args, IReadOnlyDictionary<string, string>? env = null,
        string? workingDirectory = null, TimeSpan? timeout = null)
    {
        var psi = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true };
        if (workingDirectory is not null) psi.WorkingDirectory = workingDirectory;
        psi.ArgumentList.Add(Dll);
        foreach (var a in args) psi.ArgumentList.Add(a);
        foreach (var (k, v) in env ?? new Dictionary<string, string>()) psi.Environment[k] = v;
        using var p = Process.Start(psi)!;
        var o = p.StandardOutput.ReadToEndAsync();
        var e = p.StandardError.ReadToEndAsync();
        var limit = timeout ?? TimeSpan.FromMinutes(2);
        if (!p.WaitForExit(limit)) { p.Kill(true); throw new TimeoutException($"dataforge {string.Join(' ', args)} did not finish in {limit}"); }
        return (p.ExitCode, o.Result, e.Result);
    }

    /// <summary>Runs with <c>DATAFORGE_FAULT_KILL_AT</c> set to <paramref name="point"/>.</summary>
    public static (int Code, string Out, string Err) KilledAt(string point, IEnumerable<string> args)
        => Run(args, new Dictionary<string, string> { [DataForge.Execution.FaultPoints.Variable] = point });
}
