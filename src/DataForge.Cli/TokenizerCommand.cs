using System.CommandLine;
using System.Diagnostics;
using System.Text;
using DataForge.Execution;
using DataForge.IO;
using DataForge.Tokenization;

namespace DataForge.Cli;

public static class TokenizerCommand
{
    public static Command Build(CliIO io)
    {
        var cmd = new Command("tokenizer", "Train and try tokenizers (byte-level BPE, tiktoken encodings, SentencePiece models).");
        cmd.Subcommands.Add(Train(io));
        cmd.Subcommands.Add(Encode(io));
        cmd.Subcommands.Add(Count(io));
        return cmd;
    }

    static Command Count(CliIO io)
    {
        var tokenizer = new Option<string>("--tokenizer", "-t") { Description = "o200k_base, cl100k_base, a tokenizer directory or a .model file.", Required = true };
        var input = new Option<string[]>("--input", "-i") { Description = "Text files or DataForge shards; globs allowed.", Required = true, AllowMultipleArgumentsPerToken = true };
        var byLine = new Option<bool>("--by-line") { Description = "Encode each non-empty line on its own, newlines not counted (as SentencePiece tools do)." };
        var threads = new Option<int>("--threads") { Description = "Encoding threads (default: cores).", DefaultValueFactory = _ => Environment.ProcessorCount };
        var cmd = new Command("count", "Count characters and tokens of texts; prints tokens per character and encoding throughput as JSON.") { tokenizer, input, byLine, threads };
        cmd.SetAction(parse =>
        {
            var t = TextTokenizer.Load(parse.GetValue(tokenizer)!);
            var files = InputFiles.Expand(parse.GetValue(input)!, Directory.GetCurrentDirectory());
            if (files.Count == 0) throw new CliUsageException("--input matched no files");
            bool lines = parse.GetValue(byLine);
            var texts = BpeTrainer.ReadTexts(files).ToList();
            if (lines) texts = texts.SelectMany(x => x.Split('\n')).Where(l => l.Length > 0).ToList();
            long chars = texts.Sum(x => (long)x.Length), bytes = texts.Sum(x => (long)Encoding.UTF8.GetByteCount(x));
            long tokens = 0;
            var cpu0 = Process.GetCurrentProcess().TotalProcessorTime;
            var clock = Stopwatch.StartNew();
            Parallel.ForEach(texts, new ParallelOptions { MaxDegreeOfParallelism = Math.Max(1, parse.GetValue(threads)) },
                () => 0L, (x, _, acc) => acc + t.Encode(x).Length, acc => Interlocked.Add(ref tokens, acc));
            double s = clock.Elapsed.TotalSeconds;
            double cpu = (Process.GetCurrentProcess().TotalProcessorTime - cpu0).TotalSeconds;
            io.Out.WriteLine(System.Text.Json.JsonSerializer.Serialize(new
            {
                tokenizer = t.Spec, vocab_size = t.VocabSize, texts = texts.Count, chars, bytes, tokens,
                tokens_per_char = (double)tokens / chars, encode_seconds = s, mb_per_s = bytes / 1e6 / s,
                cpu_seconds = cpu, mb_per_cpu_s = bytes / 1e6 / cpu,
            }));
            return ExitCodes.Ok;
        });
        return cmd;
    }

    static Command Train(CliIO io)
    {
        var input = new Option<string[]>("--input", "-i") { Description = "Training text: plain text files, or DataForge shards (jsonl[.gz|.zst], parquet, arrow); globs allowed.", Required = true, AllowMultipleArgumentsPerToken = true };
        var vocab = new Option<int>("--vocab-size") { Description = "Vocabulary size, special tokens included.", Required = true };
        var output = new Option<string>("--out", "-o") { Description = "Output directory (vocab.json, merges.txt, dataforge_tokenizer.json, tokenizer.json, tokenizer_config.json).", Required = true };
        var minFreq = new Option<long>("--min-frequency") { Description = "Stop merging when the best pair occurs fewer times.", DefaultValueFactory = _ => 2 };
        var specials = new Option<string[]>("--special-tokens") { Description = "Special tokens besides <|endoftext|>.", AllowMultipleArgumentsPerToken = true };
        var pattern = new Option<string>("--pattern") { Description = "Pre-tokenisation: 'default' (GPT-4's regex, CJK runs of at most 16 ideographs split off) or 'gpt4' (GPT-4's regex, which llama.cpp implements as llama-bpe: needed for `export --format gguf`).", DefaultValueFactory = _ => "default" };
        var threads = new Option<int>("--threads") { Description = "Threads for counting pre-tokens (default: cores).", DefaultValueFactory = _ => Environment.ProcessorCount };
        var overwrite = new Option<bool>("--overwrite") { Description = "Replace a tokenizer DataForge wrote in --out before (a directory DataForge did not write is never cleared)." };
        var executor = new Option<string?>("--executor") { Description = "Where to count: local (in this process) or slurm (an array job counts the pre-tokens of its share of the input files, one job sums the counts and merges; same tokenizer). Default: --executor-config's type, else local." };
        executor.AcceptOnlyFromAmong("local", "slurm");
        var executorConfig = new Option<string?>("--executor-config") { Description = "A JSON file with the executor options (type, partition, time, cpus_per_task, mem, tasks, max_concurrent, qos, account, sbatch_args, env, command), as a pipeline's or mix's \"executor\" key." };
        var wait = new Option<bool>("--wait") { Description = "With the Slurm executor: follow the jobs until they end; exit code 1 when a task failed." };
        var resume = new Option<bool>("--resume") { Description = "With the Slurm executor: finish a training submitted to --out before, with the same inputs and options: submits only the count tasks that did not finish, and the merge." };
        var cmd = new Command("train", "Train a byte-level BPE tokenizer that Microsoft.ML.Tokenizers (and Hugging Face tokenizers) load.")
        {
            input, vocab, output, minFreq, specials, pattern, threads, overwrite, executor, executorConfig, wait, resume,
        };
        cmd.SetAction(parse =>
        {
            int v = parse.GetValue(vocab);
            if (v < 258) throw new CliUsageException($"--vocab-size must be >= 258 (256 bytes + special tokens), got {v}");
            long mf = parse.GetValue(minFreq);
            if (mf < 1) throw new CliUsageException($"--min-frequency must be >= 1, got {mf}");
            string pat = parse.GetValue(pattern) switch
            {
                "default" => ByteLevel.DefaultPattern,
                "gpt4" => ByteLevel.Gpt4Pattern,
                var other => throw new CliUsageException($"--pattern must be 'default' or 'gpt4', got '{other}'"),
            };
            var files = InputFiles.Expand(parse.GetValue(input)!, Directory.GetCurrentDirectory());
            if (files.Count == 0) throw new CliUsageException("--input matched no files");
            string dir = parse.GetValue(output)!;
            foreach (var f in files)
                if (OutputDirectory.Overlap(dir, f) is { } how)
                    throw new CliUsageException($"--out {Path.GetFullPath(dir)}: the output directory {how} the input {f}; choose an output outside the inputs");
            var exec = parse.GetValue(executorConfig) is { } ef
                ? DataForge.Configuration.OptionsBinder.BindConfig<ExecutorOptions>(ReadExecutorConfig(ef), ef)
                : new ExecutorOptions();
            bool slurm = (parse.GetValue(executor) ?? exec.Type) == "slurm";
            if (!slurm && (parse.GetValue(wait) || parse.GetValue(resume)))
                throw new CliUsageException("--wait and --resume apply to the Slurm executor (--executor slurm); a local training runs to its end");
            if (slurm)
            {
                if (parse.GetValue(resume) && parse.GetValue(overwrite))
                    throw new CliUsageException("--resume and --overwrite exclude each other: --resume finishes the submitted training, --overwrite starts over");
                if (parse.GetResult(threads) is { Implicit: false })
                    throw new CliUsageException("--threads applies to the local executor; on Slurm each task counts on the executor's cpus_per_task threads");
                var request = new TokenizerTrainRequest(files.Select(Path.GetFullPath).ToList(), v, mf, parse.GetValue(specials) ?? [], pat);
                var sub = SlurmTokenizerTrain.Submit(request, dir, exec, parse.GetValue(resume), parse.GetValue(overwrite), io.Err.WriteLine);
                if (sub is null)
                {
                    io.Out.WriteLine($"{Path.GetFullPath(dir)}: the tokenizer is trained; nothing to submit");
                    return ExitCodes.Ok;
                }
                SlurmCommands.PrintSubmitted(io, "tokenizer train", sub);
                if (!parse.GetValue(wait)) return ExitCodes.Ok;
                int code = SlurmCommands.Follow(io, sub.Output, TimeSpan.FromMilliseconds(500));
                if (code == ExitCodes.Ok)
                {
                    var trained = TextTokenizer.Load(sub.Output);
                    io.Out.WriteLine($"{sub.Output}: vocabulary {trained.VocabSize:N0}, <|endoftext|> = {trained.EndOfTextId}");
                }
                return code;
            }
            // One writer per output directory (exit code 3 for a second); a refused or failed start leaves nothing behind.
            using var outputLock = OutputLock.Acquire(dir, "tokenizer train");
            var clock = Stopwatch.StartNew();
            var trainer = new BpeTrainer(new BpeTrainerOptions
            {
                VocabSize = v,
                MinFrequency = mf,
                SpecialTokens = parse.GetValue(specials) ?? [],
                Pattern = pat,
                Threads = Math.Max(1, parse.GetValue(threads)),
            });
            try
            {
                // Refused before the (long) counting, not after it.
                OutputDirectory.PrepareFresh(dir, "tokenizer", parse.GetValue(overwrite), io.Err.WriteLine, "output directory",
                    "pass --overwrite to replace a tokenizer DataForge wrote, or --out elsewhere");
                trainer.AddAll(BpeTrainer.ReadTexts(files));
                // Without text the "tokenizer" would be the 256 bytes alone: certainly not what was meant.
                if (trainer.PreTokens == 0)
                    throw new InputException(files.Count == 1 ? files[0] : $"{files[0]} (and {files.Count - 1} more --input files)",
                        $"no text to train a tokenizer on ({files.Count} file(s) read, all empty)");
            }
            catch { outputLock.Abandon(); throw; }
            double counted = clock.Elapsed.TotalSeconds;
            var model = trainer.Train(msg => io.Err.WriteLine($"[{clock.Elapsed.TotalSeconds,6:F1}s] {msg}"));
            ByteBpeFiles.Write(model, dir);
            var tok = TextTokenizer.Load(dir);
            io.Out.WriteLine($"{dir}: vocabulary {tok.VocabSize:N0} ({model.Merges.Count:N0} merges), <|endoftext|> = {tok.EndOfTextId}; "
                + $"counted {trainer.PreTokens:N0} pre-tokens in {counted:F1}s, total {clock.Elapsed.TotalSeconds:F1}s");
            return ExitCodes.Ok;
        });
        return cmd;
    }

    static byte[] ReadExecutorConfig(string path)
    {
        try { return File.ReadAllBytes(path); }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            throw new CliUsageException($"--executor-config {path}: cannot read it ({ex.Message})");
        }
    }

    static Command Encode(CliIO io)
    {
        var tokenizer = new Option<string>("--tokenizer", "-t") { Description = "o200k_base, cl100k_base, a tokenizer directory or a .model file.", Required = true };
        var text = new Argument<string>("text") { Description = "Text to encode." };
        var cmd = new Command("encode", "Print the token ids of a text, and the tokens decoded one by one.") { tokenizer, text };
        cmd.SetAction(parse =>
        {
            var t = TextTokenizer.Load(parse.GetValue(tokenizer)!);
            var ids = t.Encode(parse.GetValue(text)!);
            io.Out.WriteLine(string.Join(' ', ids));
            var sb = new StringBuilder();
            foreach (int id in ids) sb.Append('[').Append(t.Decode([id])).Append(']');
            io.Out.WriteLine(sb.ToString());
            return ExitCodes.Ok;
        });
        return cmd;
    }
}
