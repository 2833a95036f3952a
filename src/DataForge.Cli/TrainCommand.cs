using System.CommandLine;
using System.Diagnostics;
using DataForge.Training;

namespace DataForge.Cli;

public static class TrainCommand
{
    public static Command Build(CliIO io)
    {
        TokenizerCodec.Register();
        var config = new Argument<string>("config") { Description = "TRAIN.json file." };
        var resume = new Option<bool>("--resume") { Description = "Continue from the run directory's latest checkpoint." };
        var output = new Option<string?>("--output", "-o") { Description = "Run directory (overrides the config's output)." };
        var overwrite = new Option<bool>("--overwrite") { Description = "Start afresh in a run directory DataForge wrote before, removing its previous run (a directory DataForge did not write is never cleared)." };
        var cmd = new Command("train", "Pretrain a small language model from scratch on token shards, or fine-tune one on chat data (TRAIN.json task sft): metrics.jsonl, checkpoints, final/ model.")
        {
            config, resume, output, overwrite,
        };
        cmd.SetAction(parse =>
        {
            var o = TrainOptions.Load(parse.GetValue(config)!);
            if (parse.GetValue(output) is { } dir) o.Output = dir;
            if (parse.GetValue(resume) && parse.GetValue(overwrite)) throw new CliUsageException("--resume and --overwrite cannot be combined");
            using var cts = new CancellationTokenSource();
            ConsoleCancelEventHandler onCancel = (_, e) => { e.Cancel = true; cts.Cancel(); };
            Console.CancelKeyPress += onCancel;
            TrainProgress? latest = null;
            string Line() => Volatile.Read(ref latest) is { } p
                ? $"step {p.Step}/{p.Steps} [{p.Phase}] loss {p.Loss:F4} lr {p.Lr:0.###e+0} {p.TokensPerSecond:N0} tok/s"
                    + (p.ValLoss is { } v ? $" val {v:F4}" : "") + $" ETA {p.Eta:hh\\:mm\\:ss}"
                : "preparing";
            var view = new ProgressView(Line, () => new Spectre.Console.Rows(
                new Spectre.Console.Markup(Spectre.Console.Markup.Escape(Line())),
                ProgressDisplay.Bar(Volatile.Read(ref latest) is { } p ? (double)p.Step / Math.Max(1, p.Steps) : 0, "of steps")));
            try
            {
                var runOptions = new TrainRunOptions
                {
                    Resume = parse.GetValue(resume), Overwrite = parse.GetValue(overwrite), Log = io.Err.WriteLine,
                    Cancellation = cts.Token, Progress = p => Volatile.Write(ref latest, p), LoadCodec = Codecs.Load,
                };
                var r = ProgressDisplay.Track(io, view, () => Trainer.Run(o, runOptions));
                io.Err.WriteLine(Line());
                io.Out.WriteLine($"{o.Name}: {r.Steps} steps, {r.Tokens:N0} tokens, loss {r.FinalLoss:F4}"
                    + (r.ValLoss is { } vl ? $", val loss {vl:F4} (perplexity {Math.Exp(vl):F2})" : ""));
                foreach (var s in r.Sources)
                    io.Out.WriteLine($"  {s.Path}: {s.Epochs:F2} epochs" + (s.MaxEpochs is { } m ? $" (cap {m}{(s.CapReached ? ", reached" : "")})" : ""));
                if (r.StoppedBecause is { } why) io.Out.WriteLine($"stopped early: {why}");
                io.Out.WriteLine($"output: {r.RunDirectory} (metrics.jsonl, final/)");
                return ExitCodes.Ok;
            }
            catch (TrainingInterruptedException ex)
            {
                io.Err.WriteLine(ex.Message);
                return ExitCodes.Failure;
            }
            finally
            {
                Console.CancelKeyPress -= onCancel;
            }
        });
        return cmd;
    }
}
