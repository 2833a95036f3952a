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
        var resume = new Option<bool>("--resume")
        {
            Description = "Finish a mix that was killed in this output directory: sources it had tokenized are reused (and its phases, if all were written); "
                + "refused when MIX.json, the tokenizer or the source files changed. On a finished mix it does nothing.",
        };
        var overwrite = new Option<bool>("--overwrite")
        {
            Description = "Replace an earlier DataForge mix in a non-empty output directory (or discard an interrupted one); the earlier mix stays until the new one is complete. Never removes files DataForge did not write.",
        };
        var executor = new Option<string?>("--executor") { Description = "Where to run: local (in this process) or slurm (an array job tokenizes the shard files, one job mixes; MIX.json's \"executor\" sets the rest). Default: MIX.json's executor.type." };
        executor.AcceptOnlyFromAmong("local", "slurm");
        var wait = new Option<bool>("--wait") { Description = "With the Slurm executor: follow the jobs until they end; exit code 1 when a task failed." };
        var cmd = new Command("mix", "Mix pipeline outputs into token shards per phase (train.bin/val.bin, tokens.json), mix_report.json and _SUCCESS.")
        {
            file, output, threads, resume, overwrite, executor, wait,
        };
        cmd.SetAction(parse =>
        {
            string path = parse.GetValue(file)!;
            var config = MixConfig.Load(path);
            if (parse.GetValue(output) is { } o) config.Output = o;
            int t = parse.GetValue(threads);
            if (t < 1) throw new CliUsageException($"--threads must be >= 1, got {t}");
            if (parse.GetValue(resume) && parse.GetValue(overwrite))
                throw new CliUsageException("--resume and --overwrite exclude each other: --resume finishes the interrupted mix, --overwrite starts over");
            var options = new MixRunOptions { Resume = parse.GetValue(resume), Overwrite = parse.GetValue(overwrite), ConfigFile = path };
            if ((parse.GetValue(executor) ?? config.Executor.Type) == "slurm")
            {
                if (parse.GetResult(threads) is { Implicit: false })
                    throw new CliUsageException("--threads applies to the local executor; on Slurm each task tokenizes on executor.cpus_per_task threads");
                var sub = SlurmMix.Submit(config, path, Directory.GetCurrentDirectory(), options, msg => io.Err.WriteLine(msg));
                if (sub is null)
                {
                    io.Out.WriteLine($"{Path.GetFullPath(config.Output)}: the mix is finished; nothing to submit");
                    return ExitCodes.Ok;
                }
                SlurmCommands.PrintSubmitted(io, config.Name, sub);
                if (!parse.GetValue(wait)) return ExitCodes.Ok;
                int code = SlurmCommands.Follow(io, sub.Output, TimeSpan.FromMilliseconds(500));
                if (code == ExitCodes.Ok) io.Out.WriteLine($"output: {sub.Output} ({Mixer.ReportFile}, _SUCCESS)");
                return code;
            }
            MixResult result;
            try
            {
                result = Mixer.Run(config, Directory.GetCurrentDirectory(), t, msg => io.Err.WriteLine(msg), options);
            }
            catch (MixShortfallException ex)
            {
                io.Err.WriteLine($"error: {ex.Message}");
                return ExitCodes.Failure;
            }
            foreach (var n in result.Notes) io.Out.WriteLine($"note: {n}");
            io.Out.WriteLine($"{config.Name}: {result.TokensWritten:N0} tokens in {result.DocumentsWritten:N0} documents over {result.Phases.Count} phase(s)"
                + (result.Seconds > 0 ? $" in {result.Seconds:F1}s ({result.TokensWritten / result.Seconds / 1e6:F2} M tokens/s)" : " (finished earlier)"));
            io.Out.WriteLine($"output: {Path.GetFullPath(config.Output)} ({string.Join(", ", result.Phases.Select(p => p + "/"))}, {Mixer.ReportFile}, _SUCCESS)");
            return ExitCodes.Ok;
        });
        return cmd;
    }
}
