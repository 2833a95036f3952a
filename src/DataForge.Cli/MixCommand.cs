using System.CommandLine;
using DataForge.Tokenization.Mixing;

namespace DataForge.Cli;

public static class MixCommand
{
    public static Command Build(CliIO io)
    {
        var file = new Argument<string>("mix") { Description = "MIX.json: sources (pipeline output directories), buckets, phases with weights and token budgets, repetition caps." };
        var output = new Option<string?>("--output", "-o") { Description = "Output directory (overrides the file's output)." };
        var threads = new Option<int>("--threads") { Description = "Threads for tokenizing (default: cores).", DefaultValueFactory = _ => Environment.ProcessorCount };
        var cmd = new Command("mix", "Mix pipeline outputs into token shards per phase (train.bin/val.bin, tokens.json) and mix_report.json.") { file, output, threads };
        cmd.SetAction(parse =>
        {
            string path = parse.GetValue(file)!;
            var config = MixConfig.Load(path);
            if (parse.GetValue(output) is { } o) config.Output = o;
            int t = parse.GetValue(threads);
            if (t < 1) throw new CliUsageException($"--threads must be >= 1, got {t}");
            MixResult result;
            try
            {
                result = Mixer.Run(config, Directory.GetCurrentDirectory(), t, msg => io.Err.WriteLine(msg));
            }
            catch (MixShortfallException ex)
            {
                io.Err.WriteLine($"error: {ex.Message}");
                return ExitCodes.Failure;
            }
            foreach (var n in result.Plan.Notes) io.Out.WriteLine($"note: {n}");
            io.Out.WriteLine($"{config.Name}: {result.TokensWritten:N0} tokens in {result.DocumentsWritten:N0} documents over {result.Plan.Phases.Count} phase(s) in {result.Seconds:F1}s "
                + $"({result.TokensWritten / Math.Max(result.Seconds, 1e-9) / 1e6:F2} M tokens/s)");
            io.Out.WriteLine($"output: {Path.GetFullPath(config.Output)} ({string.Join(", ", result.Plan.Phases.Select(p => p + "/"))}, {Mixer.ReportFile})");
            return ExitCodes.Ok;
        });
        return cmd;
    }
}
