using System.CommandLine;
using System.Diagnostics;
using DataForge.Deploy;
using DataForge.Training;
using DataForge.Training.Evaluation;
using TorchSharp;

namespace DataForge.Cli;

public static class EvalCommand
{
    public static Command Build(CliIO io)
    {
        TokenizerCodec.Register();
        var model = new Option<string>("--model", "-m") { Description = "A run's final/ or checkpoint directory, or a GGUF file (run by llama.cpp, with its own tokenizer).", Required = true };
        var tasksFile = new Option<string>("--tasks", "-t") { Description = "TASKS.json: the tasks to run (schemas/tasks.schema.json).", Required = true };
        var output = new Option<string?>("--out", "-o") { Description = "Directory for eval.json (default: eval/ beside final/ in the run directory, MODEL/eval for other directories, NAME.eval/ beside a GGUF file NAME.gguf)." };
        var limit = new Option<int>("--limit") { Description = "Items per task at most (0 = each task's own limit).", DefaultValueFactory = _ => 0 };
        var tokenizer = new Option<string?>("--tokenizer") { Description = "Tokenizer directory (default: the model directory)." };
        var bf16 = new Option<bool>("--bf16") { Description = "Run the model in bf16 (default fp32)." };
        var threads = new Option<int>("--threads")
        {
            Description = "libtorch threads (0 = libtorch's default, one per core). Give 1 when several evaluations or trainings share the cores: oversubscribed threads make small forward passes several times slower.",
            DefaultValueFactory = _ => 0,
        };
        var cmd = new Command("eval", "Evaluate a trained model on benchmark tasks (perplexity, multiple choice, generation) and measure its size, memory and speed; writes eval.json.")
        {
            model, tasksFile, output, limit, tokenizer, bf16, threads,
        };
        cmd.SetAction(parse =>
        {
            int lim = parse.GetValue(limit);
            if (lim < 0) throw new CliUsageException($"--limit must be >= 0, got {lim}");
            int nThreads = parse.GetValue(threads);
            if (nThreads < 0) throw new CliUsageException($"--threads must be >= 0, got {nThreads}");
            string dir = Path.GetFullPath(parse.GetValue(model)!);
            var tasks = EvalTasks.Load(parse.GetValue(tasksFile)!);
            if (File.Exists(dir)) return EvaluateGguf(dir);
            if (!Directory.Exists(dir)) throw new CliUsageException($"--model {dir}: no such directory or file");
            int previousThreads = torch.get_num_threads();
            if (nThreads > 0) torch.set_num_threads(nThreads);
            try { return Evaluate(); }
            finally { if (nThreads > 0) torch.set_num_threads(previousThreads); }

            int Evaluate()
            {
                var clock = Stopwatch.StartNew();
                PeakMemory.Reset();
                var (m, eot) = Trainer.LoadModel(dir, torch.CPU);
                using (m)
                {
                    var codec = Codecs.Load(parse.GetValue(tokenizer) ?? dir);
                    var evaluator = new Evaluator(m, codec, eot, tasks, parse.GetValue(bf16));
                    var results = evaluator.Run(lim, io.Err.WriteLine);
                    var edge = evaluator.Edge(Path.Combine(dir, "model.safetensors"));
                    bool final = Path.GetFileName(dir) == "final";
                    string outDir = parse.GetValue(output) ?? (final ? Path.Combine(Path.GetDirectoryName(dir)!, "eval") : Path.Combine(dir, "eval"));
                    string name = final ? Path.GetFileName(Path.GetDirectoryName(dir)!) : Path.GetFileName(dir);
                    var report = new EvalReport(dir, name, Path.GetFullPath(parse.GetValue(tasksFile)!), Math.Round(clock.Elapsed.TotalSeconds, 3), results, edge);
                    report.Write(outDir);
                    Print(results, edge, outDir);
                }
                return ExitCodes.Ok;
            }

            int EvaluateGguf(string file)
            {
                if (parse.GetValue(bf16)) throw new CliUsageException("--bf16 is for DataForge models; a GGUF file runs in its own tensor types");
                if (parse.GetValue(tokenizer) is not null) throw new CliUsageException("--tokenizer is for DataForge models; a GGUF file carries its tokenizer");
                var clock = Stopwatch.StartNew();
                PeakMemory.Reset();
                using var m = LlamaModel.Load(file, new LlamaModelOptions { Threads = nThreads });
                var codec = new LlamaTextCodec(m);
                var evaluator = new Evaluator(m, codec, codec.EndOfTextId, tasks);
                var results = evaluator.Run(lim, io.Err.WriteLine);
                var edge = evaluator.Edge(file);
                string name = Path.GetFileNameWithoutExtension(file);
                string outDir = parse.GetValue(output) ?? Path.Combine(Path.GetDirectoryName(file)!, name + ".eval");
                var report = new EvalReport(file, name, Path.GetFullPath(parse.GetValue(tasksFile)!), Math.Round(clock.Elapsed.TotalSeconds, 3), results, edge);
                report.Write(outDir);
                Print(results, edge, outDir);
                return ExitCodes.Ok;
            }

            void Print(List<TaskResult> results, EdgeMetrics edge, string outDir)
            {
                foreach (var r in results)
                    io.Out.WriteLine($"{r.Name,-28} {r.Metric,-14} {r.Value,10:G5}" + (r.Stderr is { } se ? $" ± {se:G3}" : "") + $"  (n {r.N:N0})");
                io.Out.WriteLine($"edge: {edge.Parameters:N0} parameters, {edge.Bytes / 1e6:F1} MB, peak RSS {edge.PeakRssMb:F0} MB, prefill {edge.PrefillTokensPerS:N0} tok/s, decode {edge.DecodeTokensPerS:N0} tok/s");
                io.Out.WriteLine($"output: {Path.Combine(outDir, EvalReport.FileName)}");
            }
        });
        return cmd;
    }
}
