using System.CommandLine;
using DataForge.Execution;
using DataForge.Reports;

namespace DataForge.Cli;

/// <summary><c>dataforge report DIR</c>: one self-contained HTML file for a pipeline output, mix output, training run or evaluation.</summary>
public static class ReportCommand
{
    public static Command Build(CliIO io)
    {
        var dir = new Argument<string>("DIR") { Description = "A pipeline output, mix output, training run or evaluation (eval.json) directory (or a folder of them)." };
        var output = new Option<string?>("--out") { Description = "Where to write the HTML file (default: DIR/report.html)." };
        var cmd = new Command("report", "Write an HTML report (stage funnel, drop reasons, histograms, mixture, training curves, evaluation results).") { dir, output };
        cmd.SetAction(parse =>
        {
            string d = parse.GetValue(dir)!;
            if (!Directory.Exists(d)) throw new CliUsageException($"{d}: no such directory");
            var runs = ReportBuilder.Discover(d);
            string path = ReportBuilder.Write(d, parse.GetValue(output));
            io.Out.WriteLine($"report: {path} ({string.Join(", ", runs.Select(r => $"{r.Kind.ToString().ToLowerInvariant()} {r.Name}"))})");
            foreach (var r in runs)
                if (OutputDirectory.Unfinished(r.Directory) is { } why) io.Err.WriteLine($"warning: {why}");
            return ExitCodes.Ok;
        });
        return cmd;
    }
}
