using DataForge.Execution;
using Spectre.Console;
using Spectre.Console.Rendering;

namespace DataForge.Cli;

/// <summary>What a long command shows while it works: one summary line, and a richer view for terminals.</summary>
public sealed record ProgressView(Func<string> Line, Func<IRenderable> Render);

/// <summary>
/// Live progress for long work (run, train): a Spectre.Console display on a terminal, plain periodic
/// lines (every 10 s, on stderr) otherwise, so logs stay readable. The work runs on the calling thread;
/// the display polls the view from a thread of its own.
/// </summary>
public static class ProgressDisplay
{
    public static T Track<T>(CliIO io, ProgressView view, Func<T> work)
    {
        using var stop = new CancellationTokenSource();
        var display = Task.Run(() =>
        {
            if (io.Interactive)
                AnsiConsole.Live(view.Render()).AutoClear(true).Start(ctx =>
                {
                    while (!stop.Token.WaitHandle.WaitOne(250)) ctx.UpdateTarget(view.Render());
                });
            else
                while (!stop.Token.WaitHandle.WaitOne(TimeSpan.FromSeconds(10))) io.Err.WriteLine(view.Line());
        });
        try
        {
            return work();
        }
        finally
        {
            stop.Cancel();
            display.GetAwaiter().GetResult();
        }
    }

    /// <summary>A pipeline run: partitions, documents read and written, per-stage counts, share of input read.</summary>
    public static ProgressView Run(RunProgress p) => new(() => Line(p), () => Render(p));

    static double Seconds(RunProgress p) => Math.Max(1e-3, p.Elapsed.TotalSeconds);

    public static string Line(RunProgress p)
    {
        double s = Seconds(p);
        long docs = Interlocked.Read(ref p.DocumentsRead), bytes = Interlocked.Read(ref p.BytesRead);
        return $"[{p.Elapsed:hh\\:mm\\:ss}] {p.Phase}: partitions {Interlocked.Read(ref p.PartitionsDone)}/{p.PartitionsTotal}, "
            + $"{docs:N0} docs read ({docs / s:N0} docs/s, {bytes / s / 1e6:F1} MB/s), {Interlocked.Read(ref p.DocumentsOut):N0} written";
    }

    static IRenderable Render(RunProgress p)
    {
        long bytes = Interlocked.Read(ref p.BytesRead);
        double frac = p.TotalBytes > 0 ? Math.Min(1, (double)bytes / p.TotalBytes) : 0;
        var table = new Table().Border(TableBorder.Rounded).Title($"[bold]DataForge[/] {Markup.Escape(p.Phase)}");
        table.AddColumn("stage");
        table.AddColumn(new TableColumn("in").RightAligned());
        table.AddColumn(new TableColumn("out").RightAligned());
        for (int i = 0; i < p.StageNames.Length; i++)
            table.AddRow(Markup.Escape(p.StageNames[i]), $"{Interlocked.Read(ref p.StageIn[i]):N0}", $"{Interlocked.Read(ref p.StageOut[i]):N0}");
        return new Rows(new Markup(Markup.Escape(Line(p))), Bar(frac, "of input read"), table);
    }

    /// <summary>A 40-cell bar with the percentage and what it measures.</summary>
    public static IRenderable Bar(double fraction, string what)
    {
        int filled = (int)Math.Round(Math.Clamp(fraction, 0, 1) * 40);
        return new Markup($"[green]{new string('█', filled)}[/][grey]{new string('░', 40 - filled)}[/] {fraction * 100:F0}% {Markup.Escape(what)}");
    }
}
