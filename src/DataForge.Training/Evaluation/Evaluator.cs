using System.Diagnostics;
using System.Text;
using System.Text.Json;
using System.Text.Json.Serialization;
using DataForge.Determinism;
using DataForge.Execution;
using TorchSharp;
using static TorchSharp.torch;

namespace DataForge.Training.Evaluation;

/// <summary>One metric of one task, as eval.json records it.</summary>
public sealed record TaskResult(string Name, string Kind, string Metric, double Value, double? Stderr, long N, double Seconds);

/// <summary>What edge deployment cares about: size, memory and speed.</summary>
public sealed record EdgeMetrics(long Parameters, long Bytes, double PeakRssMb, double PrefillTokensPerS, double DecodeTokensPerS);

/// <summary>The result of evaluating one model on one task list (eval.json).</summary>
public sealed record EvalReport(string Model, string ModelName, string TasksFile, double Seconds, IReadOnlyList<TaskResult> Tasks, EdgeMetrics? Edge)
{
    static readonly JsonSerializerOptions Json = new()
    {
        WriteIndented = true, PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower, NumberHandling = JsonNumberHandling.AllowNamedFloatingPointLiterals,
    };

    public const string FileName = "eval.json";

    /// <summary>Writes <c>DIR/eval.json</c> atomically.</summary>
    public void Write(string directory)
    {
        Directory.CreateDirectory(directory);
        JsonFiles.WriteAtomic(Path.Combine(directory, FileName), w => JsonSerializer.Serialize(w, this, Json));
    }
}

/// <summary>
/// Runs a task list on a model: perplexity (loss, perplexity, bits per byte), multiple choice (acc, acc_norm as
/// lm-evaluation-harness computes them) and generation (exact match after answer extraction), with few-shot
/// examples drawn with the seed, and the model's edge metrics.
/// </summary>
public sealed class Evaluator(ILanguageModel model, ITextCodec codec, int eot, EvalTasks tasks)
{
    /// <summary>DataForge's TorchSharp model (fp32, or bf16).</summary>
    public Evaluator(GptModel model, ITextCodec codec, int eot, EvalTasks tasks, bool bf16 = false) : this(new TorchLanguageModel(model, bf16), codec, eot, tasks) { }

    readonly Scorer _scorer = new(model, codec, eot, tasks.BatchSize);

    /// <param name="limit">Items per task at most (0 = each task's own limit).</param>
    /// <param name="log">Progress lines (one per task).</param>
    public List<TaskResult> Run(int limit = 0, Action<string>? log = null)
    {
        var results = new List<TaskResult>();
        foreach (var task in tasks.Tasks)
        {
            var clock = Stopwatch.StartNew();
            int max = limit > 0 && (task.Limit == 0 || limit < task.Limit) ? limit : task.Limit;
            var data = new TaskData(task, tasks.BaseDirectory);
            var produced = task.Kind switch
            {
                "perplexity" => Perplexity(task, data, max),
                "multiple_choice" => MultipleChoice(task, data, max),
                _ => Generate(task, data, max),
            };
            double seconds = clock.Elapsed.TotalSeconds;
            foreach (var r in produced)
            {
                var withTime = r with { Seconds = Math.Round(seconds, 3) };
                results.Add(withTime);
                log?.Invoke($"{withTime.Name} {withTime.Metric} {withTime.Value:G5}" + (withTime.Stderr is { } se ? $" ± {se:G3}" : "") + $" (n {withTime.N}, {seconds:F1}s)");
            }
        }
        return results;
    }

    static double Stderr(double p, long n) => n > 1 ? Math.Sqrt(p * (1 - p) / (n - 1)) : 0;

    List<TaskResult> MultipleChoice(EvalTask task, TaskData data, int max)
    {
        var items = data.ChoiceItems(data.Files(task.Data));
        if (max > 0 && items.Count > max) items = items.Take(max).ToList();
        var shots = FewShotPool(task, data, () => data.ChoiceItems(data.Files(task.FewShotData)), items);
        var requests = new List<(string, string)>();
        for (int i = 0; i < items.Count; i++)
        {
            string prefix = FewShotPrefix(task, i, shots, s => s.Context + s.Continuations[s.Gold]);
            foreach (var c in items[i].Continuations) requests.Add((prefix + items[i].Context, c));
        }
        var scores = _scorer.Loglikelihood(requests);
        int at = 0;
        long right = 0, rightNorm = 0;
        foreach (var item in items)
        {
            var s = scores.Skip(at).Take(item.Continuations.Count).ToList();
            at += item.Continuations.Count;
            if (ArgMax(s.Select(x => x.LogProb).ToList()) == item.Gold) right++;
            // Length-normalised by characters of the continuation, as the harness does.
            if (ArgMax(s.Select((x, j) => x.LogProb / Math.Max(1, item.Continuations[j].Length)).ToList()) == item.Gold) rightNorm++;
        }
        long n = items.Count;
        double acc = n == 0 ? 0 : right / (double)n, accNorm = n == 0 ? 0 : rightNorm / (double)n;
        return
        [
            new(task.Name, task.Kind, "acc", acc, Stderr(acc, n), n, 0),
            new(task.Name, task.Kind, "acc_norm", accNorm, Stderr(accNorm, n), n, 0),
        ];
    }

    static int ArgMax(List<double> values)
    {
        int best = 0;
        for (int i = 1; i < values.Count; i++) if (values[i] > values[best]) best = i;
        return best;
    }

    List<TaskResult> Generate(EvalTask task, TaskData data, int max)
    {
        var items = data.GenerateItems(data.Files(task.Data));
        if (max > 0 && items.Count > max) items = items.Take(max).ToList();
        var shots = FewShotPool(task, data, () => data.GenerateItems(data.Files(task.FewShotData)), items);
        long right = 0;
        for (int i = 0; i < items.Count; i++)
        {
            // Examples show the delimiter before their answers; the item's prompt ends where the model's answer starts
            // (a trailing space would be a token of its own to a byte-level BPE, one the model rarely saw there).
            string prompt = FewShotPrefix(task, i, shots, s => s.Prompt + data.TargetDelimiter + s.Answer) + items[i].Prompt;
            string text = Continue(task, prompt, Seeds.Derive((ulong)tasks.Seed, $"{task.Name}/generate/{i}"));
            string predicted = Answers.Extract(text, task.Extract, task.AnswerRegex);
            string gold = Answers.Extract(items[i].Answer, task.Extract, task.AnswerRegex);
            if (predicted.Length > 0 && Answers.Matches(predicted, gold, task.Match)) right++;
        }
        long n = items.Count;
        double em = n == 0 ? 0 : right / (double)n;
        return [new(task.Name, task.Kind, "exact_match", em, Stderr(em, n), n, 0)];
    }

    /// <summary>The model's continuation of a prompt, cut at the first stop sequence.</summary>
    string Continue(EvalTask task, string prompt, ulong seed)
    {
        var ids = codec.Encode(prompt);
        // Keep room for the answer inside the context: the prompt's last tokens are what the model sees.
        int room = Math.Max(1, model.ContextLength - task.MaxTokens);
        if (ids.Length > room) ids = ids[^room..];
        // Generation stops as soon as a stop string appears (checked on the text decoded so far).
        var output = model.Generate(ids, task.MaxTokens, task.Temperature, 0, 1.0, (long)(seed >> 1), eot,
            stop: task.Stop.Count == 0 ? null : tokens => Answers.StopAt(codec.Decode(tokens), task.Stop) >= 0).Tokens;
        string text = codec.Decode(output);
        int stop = Answers.StopAt(text, task.Stop);
        return stop >= 0 ? text[..stop] : text;
    }

    /// <summary>Few-shot examples come from few_shot_data, else from the task's own items (never the item itself).</summary>
    static IReadOnlyList<T> FewShotPool<T>(EvalTask task, TaskData data, Func<List<T>> fromFiles, List<T> items)
        => task.FewShot == 0 ? [] : task.FewShotData.Count > 0 ? fromFiles() : items;

    /// <summary>k examples drawn without replacement with a seed of the task and item, rendered and joined.</summary>
    string FewShotPrefix<T>(EvalTask task, int item, IReadOnlyList<T> pool, Func<T, string> render)
    {
        if (task.FewShot == 0 || pool.Count == 0) return "";
        var rng = new SplitMix64(Seeds.Derive((ulong)tasks.Seed, $"{task.Name}/fewshot/{item}"));
        var candidates = Enumerable.Range(0, pool.Count).Where(j => task.FewShotData.Count > 0 || j != item).ToList();
        rng.Shuffle(candidates, BoundedDraw.MultiplyHigh);
        var sb = new StringBuilder();
        foreach (var j in candidates.Take(task.FewShot)) sb.Append(render(pool[j])).Append(task.FewShotSeparator);
        return sb.ToString();
    }

    List<TaskResult> Perplexity(EvalTask task, TaskData data, int max)
    {
        int window = Math.Min(task.Window ?? model.ContextLength, model.ContextLength);
        int stride = Math.Min(task.Stride ?? window, window);
        // Per source: negative log-likelihood (nats), predicted tokens, and UTF-8 bytes of the text they spell.
        var totals = new SortedDictionary<string, (double Nll, long Tokens, long Bytes)>(StringComparer.Ordinal);
        void Add(string source, int[] tokens, long bytes)
        {
            var scores = _scorer.Score(Scorer.RollingWindows(tokens, window, stride));
            totals.TryGetValue(source, out var t);
            totals[source] = (t.Nll - scores.Sum(s => s.LogProb), t.Tokens + scores.Sum(s => s.Tokens), t.Bytes + bytes);
        }
        int docs = 0;
        var tokenDirs = task.Data.Select(d => Path.GetFullPath(Path.Combine(tasks.BaseDirectory, d))).Where(Directory.Exists).ToList();
        foreach (var dir in tokenDirs)
        {
            // A token directory's val.bin: documents separated by end-of-text, each scored as a text document is;
            // read in chunks, so memory holds one chunk and the current document, not the file.
            using var file = new TokenDir(dir).Open("val");
            var chunk = new long[Math.Min(file.Count, 1L << 20)];
            var doc = new List<int>();
            void EndDocument()
            {
                if (doc.Count > 0 && (max == 0 || docs < max))
                {
                    Add(Path.GetFileName(dir), [eot, .. doc, eot], Encoding.UTF8.GetByteCount(codec.Decode(doc)));
                    docs++;
                }
                doc.Clear();
            }
            for (long at = 0; at < file.Count && (max == 0 || docs < max); at += chunk.Length)
            {
                var span = chunk.AsSpan(0, (int)Math.Min(chunk.Length, file.Count - at));
                file.Read(at, span);
                foreach (long t in span)
                    if (t == eot) EndDocument(); else doc.Add((int)t);
            }
            EndDocument();
        }
        var files = task.Data.Where(d => !tokenDirs.Contains(Path.GetFullPath(Path.Combine(tasks.BaseDirectory, d)))).ToList();
        if (files.Count > 0)
            foreach (var d in data.Documents(data.Files(files)))
            {
                if (max > 0 && docs >= max) break;
                Add(d.Source, [eot, .. codec.Encode(d.Text), eot], Encoding.UTF8.GetByteCount(d.Text));
                docs++;
            }
        var results = new List<TaskResult>();
        void Emit(string name, double nll, long tokens, long bytes)
        {
            double loss = tokens == 0 ? 0 : nll / tokens;
            results.Add(new(name, task.Kind, "loss", loss, null, tokens, 0));
            results.Add(new(name, task.Kind, "perplexity", Math.Exp(loss), null, tokens, 0));
            // Bits per byte: comparable across tokenizers (the end-of-text predictions are counted, their bytes are not).
            results.Add(new(name, task.Kind, "bits_per_byte", bytes == 0 ? 0 : nll / Math.Log(2) / bytes, null, bytes, 0));
        }
        Emit(task.Name, totals.Values.Sum(t => t.Nll), totals.Values.Sum(t => t.Tokens), totals.Values.Sum(t => t.Bytes));
        if (totals.Count > 1)
            foreach (var (source, t) in totals) Emit($"{task.Name}[{source}]", t.Nll, t.Tokens, t.Bytes);
        return results;
    }

    /// <summary>
    /// Size, memory and speed: parameters, the weights file's bytes, the process's peak resident memory, and
    /// tokens/s of prompt processing (a 128-token prompt) and of greedy decoding with the KV cache (64 tokens), after a warm-up.
    /// </summary>
    /// <param name="weights">The model's weights file (model.safetensors, or a GGUF file).</param>
    public EdgeMetrics Edge(string weights)
    {
        long bytes = File.Exists(weights) ? new FileInfo(weights).Length : 0;
        int promptLength = Math.Min(128, Math.Max(1, model.ContextLength / 2));
        // Greedy, and never stopped by end-of-text (no valid id is -1): the prompt once (prefill), then one token per step.
        var prompt = Enumerable.Range(0, promptLength).Select(i => (i * 7919 + 13) % model.VocabSize).Where(i => i != eot).ToList();
        int decode = Math.Min(64, Math.Max(1, model.ContextLength - prompt.Count));
        model.Generate(prompt, 2, 0, 0, 1.0, 0, -1); // warm-up
        var (generated, prefill, decodeSeconds) = model.Generate(prompt, decode, 0, 0, 1.0, 0, -1);
        return new EdgeMetrics(model.ParameterCount, bytes, Math.Round(PeakMemory.Megabytes(), 1),
            Math.Round(prompt.Count / Math.Max(prefill, 1e-9), 1), Math.Round(Math.Max(0, generated.Count - 1) / Math.Max(decodeSeconds, 1e-9), 1));
    }
}

/// <summary>
/// Peak resident memory of this process. Linux lets a process reset its high-water mark (writing 5 to
/// /proc/self/clear_refs), so an evaluation can measure its own peak even after other work in the same
/// process (a workflow, the end of training); memory that work still holds counts.
/// </summary>
public static class PeakMemory
{
    public static void Reset()
    {
        try { File.WriteAllText("/proc/self/clear_refs", "5"); }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException) { }
    }

    public static double Megabytes()
    {
        try
        {
            foreach (var line in File.ReadLines("/proc/self/status"))
                if (line.StartsWith("VmHWM:", StringComparison.Ordinal))
                    return long.Parse(line[6..].Trim().Split(' ')[0], System.Globalization.CultureInfo.InvariantCulture) / 1024.0;
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException or FormatException) { }
        using var self = Process.GetCurrentProcess();
        return self.PeakWorkingSet64 / 1048576.0;
    }
}
