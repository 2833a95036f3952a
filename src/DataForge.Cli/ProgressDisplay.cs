using DataForge.Execution;
using Spectre.Console;

namespace DataForge.Cli;

/// <summary>
/// Live progress for long work: a Spectre.Console display on a terminal, plain periodic lines
/// (every 10 s, on stderr) otherwise, so logs stay readable.
/// </summary>
public static class ProgressDisplay
{
    public static T Track<T>(CliIO io, RunProgress progress, Func<T> work)
    {
        var task = Task.Run(work);
        if (io.Interactive)
        {
            AnsiConsole.Live(Render(progress)).AutoClear(true).Start(ctx =>
            {
                while (!Finished(task, TimeSpan.FromMilliseconds(250))) ctx.UpdateTarget(Render(progress));
            });
        }
        else
        {
            while (!Finished(task, TimeSpan.FromSeconds(10))) io.Err.WriteLine(Line(progress));
        }
        return task.GetAwaiter().GetResult();
    }

    /// <summary>Waits without throwing; the task's own exception surfaces from GetResult, unwrapped.</summary>
    static bool Finished(Task task, TimeSpan wait)
    {
        Task.WhenAny(task, Task.Delay(wait)).GetAwaiter().GetResult();
        return task.IsCompleted;
    }

    static double Seconds(RunProgress p) => Math.Max(1e-3, p.Elapsed.TotalSeconds);

    public static string Line(RunProgress p)
    {
        double s = Seconds(p);
        long docs = Interlocked.Read(ref p.DocumentsRead), bytes = Interlocked.Read(ref p.BytesRead);
        return $"[{p.Elapsed:hh\\:mm\\:ss}] {p.Phase}: partitions {Interlocked.Read(ref p.PartitionsDone)}/{p.PartitionsTotal}, "
            + $"{docs:N0} docs read ({docs / s:N0} docs/s, {bytes / s / 1e6:F1} MB/s), {Interlocked.Read(ref p.DocumentsOut):N0} written";
    }

    static Spectre.Console.Rendering.IRenderable Render(RunProgress p)
    {
        double s = Seconds(p);
        long bytes = Interlocked.Read(ref p.BytesRead);
        double frac = p.TotalBytes > 0 ? Math.Min(1, (double)bytes / p.TotalBytes) : 0;
        var table = new Table().Border(TableBorder.Rounded).Title($"[bold]DataForge[/] {Markup.Escape(p.Phase)}");
        table.AddColumn("stage");
        table.AddColumn(new TableColumn("in").RightAligned());
        table.AddColumn(new TableColumn("out").RightAligned());
        for (int i = 0; i < p.StageNames.Length; i++)
            table.AddRow(Markup.Escape(p.StageNames[i]), $"{Interlocked.Read(ref p.StageIn[i]):N0}", $"{Interlocked.Read(ref p.StageOut[i]):N0}");
        int filled = (int)Math.Round(frac * 40);
        var bar = new Markup($"[green]{new string('█', filled)}[/][grey]{new string('░', 40 - filled)}[/] {frac * 100:F0}% of input read");
        return new Rows(new Markup(Markup.Escape(Line(p))), bar, table);
    }
}
