using System.Text.Json;
using DataForge.Execution;
using DataForge.Execution.Slurm;

namespace DataForge.Tokenization;

/// <summary>
/// What <c>tokenizer train</c> was asked to do: the input files (absolute, in order) and the trainer's options.
/// A training submitted to Slurm keeps it as <c>OUT/_slurm/tokenizer_train.json</c>, which the jobs read and
/// <c>--resume</c> compares against.
/// </summary>
public sealed record TokenizerTrainRequest(IReadOnlyList<string> Inputs, int VocabSize, long MinFrequency, IReadOnlyList<string> SpecialTokens, string Pattern)
{
    public BpeTrainerOptions Options(int threads) => new()
    {
        VocabSize = VocabSize, MinFrequency = MinFrequency, SpecialTokens = SpecialTokens, Pattern = Pattern, Threads = Math.Max(1, threads),
    };

    public byte[] ToJson()
    {
        using var ms = new MemoryStream();
        using (var w = new Utf8JsonWriter(ms, new JsonWriterOptions { Indented = true }))
        {
            w.WriteStartObject();
            w.WriteStartArray("inputs");
            foreach (var f in Inputs) w.WriteStringValue(f);
            w.WriteEndArray();
            w.WriteNumber("vocab_size", VocabSize);
            w.WriteNumber("min_frequency", MinFrequency);
            w.WriteStartArray("special_tokens");
            foreach (var s in SpecialTokens) w.WriteStringValue(s);
            w.WriteEndArray();
            w.WriteString("pattern", Pattern);
            w.WriteEndObject();
        }
        ms.WriteByte((byte)'\n');
        return ms.ToArray();
    }

    public static TokenizerTrainRequest Read(string path)
    {
        try
        {
            using var doc = JsonDocument.Parse(File.ReadAllBytes(path));
            var r = doc.RootElement;
            return new TokenizerTrainRequest(
                r.GetProperty("inputs").EnumerateArray().Select(e => e.GetString()!).ToList(),
                r.GetProperty("vocab_size").GetInt32(),
                r.GetProperty("min_frequency").GetInt64(),
                r.GetProperty("special_tokens").EnumerateArray().Select(e => e.GetString()!).ToList(),
                r.GetProperty("pattern").GetString()!);
        }
        catch (Exception ex) when (ex is JsonException or KeyNotFoundException or InvalidOperationException or FormatException)
        {
            throw new InvalidDataException($"{path}: not a tokenizer training request DataForge wrote ({ex.Message})");
        }
    }
}

/// <summary>
/// <c>tokenizer train</c> as Slurm jobs: an array job whose task t counts the pre-tokens of input files f with
/// f mod tasks = t into <c>OUT/_slurm/counts/</c> (<see cref="BpeCounts"/>), then one job that sums the
/// counts and runs the merges. The trainer counts without pruning and merges from the summed, ordinally sorted
/// counts, so the tokenizer is byte-identical to the local command's with any task count.
/// </summary>
public static class SlurmTokenizerTrain
{
    public const string Kind = "tokenizer";
    public const string RequestFile = "tokenizer_train.json";
    const string OutputKind = "tokenizer";

    public static string RequestPath(string outDir) => Path.Combine(SlurmSubmission.DirOf(outDir), RequestFile);
    public static string CountsDir(string outDir) => Path.Combine(SlurmSubmission.DirOf(outDir), "counts");
    /// <summary>The count file of task <paramref name="task"/> of <paramref name="tasks"/> (the task count is in the name: files are dealt by it).</summary>
    public static string CountFile(string outDir, int task, int tasks) => Path.Combine(CountsDir(outDir), $"task-{task:D4}-of-{tasks:D4}.counts");

    /// <summary>The input files task <paramref name="task"/> of <paramref name="tasks"/> counts: file f goes to task f mod tasks.</summary>
    public static IEnumerable<string> FilesOf(IReadOnlyList<string> inputs, int task, int tasks)
        => inputs.Where((_, i) => i % tasks == task);

    /// <summary>
    /// Prepares the output and submits the count tasks whose count file is missing and the merge job; null when
    /// <paramref name="resume"/> finds the tokenizer finished.
    /// </summary>
    public static SlurmSubmission? Submit(TokenizerTrainRequest request, string outDir, ExecutorOptions executor, bool resume, bool overwrite,
        Action<string>? log, IReadOnlyList<string>? command = null)
    {
        outDir = Path.GetFullPath(outDir);
        using var outputLock = OutputLock.Acquire(outDir, "tokenizer train --executor slurm");
        string requestPath = RequestPath(outDir);
        byte[] json = request.ToJson();
        try
        {
            if (resume)
            {
                if (!File.Exists(requestPath))
                    throw new RunSetupException($"{outDir}: --resume: no tokenizer training was submitted to Slurm here (no {SlurmSubmission.DirName}/{RequestFile}); run without --resume");
                if (!File.ReadAllBytes(requestPath).AsSpan().SequenceEqual(json))
                    throw new RunSetupException($"{outDir}: --resume refused: the inputs or options differ from the training submitted here ({requestPath}); give the same ones, or --overwrite to start over");
                if (File.Exists(Path.Combine(outDir, OutputDirectory.SuccessFile))) return null;
            }
            else
            {
                OutputDirectory.PrepareFresh(outDir, OutputKind, overwrite, log, "output directory",
                    "pass --overwrite to replace a tokenizer DataForge wrote, --resume to finish one submitted to Slurm, or --out elsewhere");
                Directory.CreateDirectory(SlurmSubmission.DirOf(outDir));
                File.WriteAllBytes(requestPath, json);
            }
        }
        catch { outputLock.Abandon(); throw; }
        int tasks = Math.Max(1, Math.Min(executor.Tasks, request.Inputs.Count));
        // Count files of another task count deal the files differently: they count for nothing.
        if (Directory.Exists(CountsDir(outDir)))
            foreach (var f in Directory.EnumerateFiles(CountsDir(outDir)).Where(f => !f.EndsWith($"-of-{tasks:D4}.counts", StringComparison.Ordinal)))
                File.Delete(f);
        var missing = Enumerable.Range(0, tasks).Where(t => !File.Exists(CountFile(outDir, t, tasks))).ToList();
        var steps = new List<(SlurmStep, IReadOnlyList<int>)>
        {
            (new SlurmStep("c0", "count", 0, tasks, $"count the pre-tokens of {request.Inputs.Count} input file(s)"), missing),
            (new SlurmStep("merge", "merge", 0, 1, $"sum the counts, run the merges to a vocabulary of {request.VocabSize}, _SUCCESS"), [0]),
        };
        string name = "df-tokenizer-" + Path.GetFileName(outDir);
        return SlurmSubmission.Submit(Kind, requestPath, outDir, executor, steps, name, command);
    }

    /// <summary>Runs one task of a submitted step (the worker process of one Slurm task).</summary>
    public static void RunTask(SlurmSubmission sub, string stepId, int task, Action<string>? log)
    {
        var step = sub.Step(stepId).Step;
        var request = TokenizerTrainRequest.Read(sub.Config);
        switch (step.Kind)
        {
            case "count":
                FaultPoints.At($"slurm-task:{step.Id}-{task}");
                Count(request, sub.Output, task, step.Tasks, sub.Workers, log);
                break;
            case "merge":
                if (File.Exists(Path.Combine(sub.Output, OutputDirectory.SuccessFile))) return;
                using (OutputLock.Acquire(sub.Output, "tokenizer train --executor slurm (merge)"))
                    Merge(request, sub.Output, sub.Step("c0").Step.Tasks, sub.Workers, log);
                break;
            default:
                throw new SlurmException($"step {stepId}: unknown kind '{step.Kind}' for a tokenizer training");
        }
    }

    /// <summary>Counts the pre-tokens of the task's share of the inputs into its count file (nothing when it exists).</summary>
    public static void Count(TokenizerTrainRequest request, string outDir, int task, int tasks, int threads, Action<string>? log)
    {
        string path = CountFile(outDir, task, tasks);
        if (File.Exists(path)) return;
        var files = FilesOf(request.Inputs, task, tasks).ToList();
        var trainer = new BpeTrainer(request.Options(threads));
        trainer.AddAll(BpeTrainer.ReadTexts(files));
        var words = trainer.WordCounts();
        BpeCounts.Write(path, words, trainer.PreTokens);
        log?.Invoke($"counted {trainer.PreTokens:N0} pre-tokens ({words.Count:N0} distinct) of {files.Count} file(s) into {path}");
    }

    /// <summary>
    /// Sums every task's counts, runs the merges, writes the tokenizer into <paramref name="outDir"/> as the
    /// local command does, then <c>_SUCCESS</c>, and removes the count files.
    /// </summary>
    public static ByteBpeModel Merge(TokenizerTrainRequest request, string outDir, int tasks, int threads, Action<string>? log)
    {
        var trainer = new BpeTrainer(request.Options(threads));
        for (int t = 0; t < tasks; t++)
        {
            string path = CountFile(outDir, t, tasks);
            if (!File.Exists(path)) throw new InvalidOperationException($"{path}: missing: task {t} of step c0 did not finish (tokenizer train --resume)");
            trainer.AddCounts(BpeCounts.Words(path), BpeCounts.PreTokens(path));
        }
        if (trainer.PreTokens == 0)
            throw new InputException(request.Inputs.Count == 1 ? request.Inputs[0] : $"{request.Inputs[0]} (and {request.Inputs.Count - 1} more --input files)",
                $"no text to train a tokenizer on ({request.Inputs.Count} file(s) read, all empty)");
        var model = trainer.Train(log);
        ByteBpeFiles.Write(model, outDir);
        File.WriteAllText(Path.Combine(outDir, OutputDirectory.SuccessFile), "");
        Directory.Delete(CountsDir(outDir), recursive: true);
        log?.Invoke($"{outDir}: vocabulary {model.VocabSize:N0} ({model.Merges.Count:N0} merges) from {trainer.PreTokens:N0} pre-tokens");
        return model;
    }
}
