using System.Diagnostics;
using System.Globalization;
using System.Text;
using System.Text.Json;
using DataForge.Determinism;
using DataForge.Execution;
using DataForge.Training.Evaluation;
using TorchSharp;
using static TorchSharp.torch;

namespace DataForge.Training;

/// <summary>Live state for a progress display.</summary>
public sealed record TrainProgress(int Step, int Steps, long Tokens, double Loss, double Lr, double TokensPerSecond, TimeSpan Eta, string Phase, double? ValLoss);

/// <summary>How a run is started (not part of TRAIN.json).</summary>
public sealed class TrainRunOptions
{
    public bool Resume { get; init; }
    /// <summary>Clear a previous DataForge run in the run directory (never a directory DataForge did not write).</summary>
    public bool Overwrite { get; init; }
    /// <summary>Where notes go (what --overwrite removes).</summary>
    public Action<string>? Log { get; init; }
    public CancellationToken Cancellation { get; init; }
    public Action<TrainProgress>? Progress { get; init; }
    /// <summary>Loads the tokenizer in a directory (for samples and export); null = no samples, no tokenizer files.</summary>
    public Func<string, ITextCodec>? LoadCodec { get; init; }
    /// <summary>Stop after this step as if interrupted (tests of resume).</summary>
    public int? StopAfterStep { get; init; }
}

public sealed record SourceReport(string Path, long Windows, long Drawn, double Epochs, double? MaxEpochs, bool CapReached);

public sealed record TrainResult(string RunDirectory, int Steps, long Tokens, double FinalLoss, double? ValLoss, IReadOnlyList<SourceReport> Sources, string? StoppedBecause);

/// <summary>Training interrupted (Ctrl-C or StopAfterStep) after a checkpoint was written.</summary>
public sealed class TrainingInterruptedException(string message, int step) : OperationCanceledException(message)
{
    public int Step { get; } = step;
}

/// <summary>
/// The training loop: curriculum data, forward/backward with accumulation, clipping, AdamW with the schedule's lr,
/// metrics.jsonl, evaluation, checkpoints (every N steps and on interruption), resume, export and samples.
/// </summary>
public static class Trainer
{
    // Written files are indented; snake_case for the configs and reports others read.
    static readonly JsonSerializerOptions Snake = new() { WriteIndented = true, PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower };
    static readonly JsonSerializerOptions Indented = new() { WriteIndented = true };

    static readonly JsonSerializerOptions Compact = new() { WriteIndented = false };

    // Sampling settings of the run's samples.txt, also the exported generation_config.json's.
    const double SampleTemperature = 0.8;
    const int SampleTopK = 40;
    const double SampleTopP = 0.95;

    public static TrainResult Run(TrainOptions o, TrainRunOptions run)
    {
        if (o.Task == "sft") return SftTrainer.Run(o, run);
        string runDir = Path.GetFullPath(o.Output);
        string metricsPath = Path.Combine(runDir, "metrics.jsonl");
        string ckptRoot = Path.Combine(runDir, "checkpoints");
        // Refused before the lock creates the directory: it could be inside the data, and --overwrite would clear it.
        RefuseOverlap(o, runDir);

        // Everything is read and checked before anything is written, so bad data leaves no half-made run behind.
        using var data = new CurriculumData(o, o.Model.ContextLength);
        var first = data.Sources[0].Dir;
        foreach (var s in data.Sources)
            if (s.Dir.VocabSize != first.VocabSize || s.Dir.EotId != first.EotId)
                throw new InputException(Path.Combine(s.Dir.Path, "tokens.json"), $"vocab_size {s.Dir.VocabSize} / eot_id {s.Dir.EotId} differ from {first.Path} ({first.VocabSize} / {first.EotId})");
        int vocab = o.Model.VocabSize ?? first.VocabSize;
        if (vocab < first.VocabSize)
            throw new RunSetupException($"$.model.vocab_size: {vocab} is smaller than the data's vocab_size {first.VocabSize} ({Path.Combine(first.Path, "tokens.json")})");
        var valDir = o.Eval.Data is { } vd ? new TokenDir(vd, "$.eval.data") : first;
        // Its end-of-text id goes into the exported config and stops samples: it must be the training data's.
        if (valDir.VocabSize != first.VocabSize || valDir.EotId != first.EotId)
            throw new InputException(Path.Combine(valDir.Path, "tokens.json"), $"vocab_size {valDir.VocabSize} / eot_id {valDir.EotId} differ from {first.Path} ({first.VocabSize} / {first.EotId})");
        using var val = valDir.Open("val");
        val.Windows(o.Model.ContextLength);   // throws when val.bin holds less than one window
        string? tokDir = o.Tokenizer ?? first.Tokenizer;
        ITextCodec? codec = tokDir is not null && run.LoadCodec is not null ? run.LoadCodec(tokDir) : null;

        // The task list is read now: a bad one is reported before anything is written.
        var evalTasks = o.Eval.Tasks is { } tasksPath ? EvalTasks.Load(tasksPath) : null;
        if (evalTasks is not null && codec is null)
            throw new RunSetupException("$.eval.tasks: evaluation tasks are text and need the run's tokenizer (set tokenizer, or train on token directories that name one)");

        NativeMemory.KeepFreedMemory();
        if (o.Threads > 0) torch.set_num_threads(o.Threads);
        var device = torch.device(o.Device);
        bool bf16 = o.Precision == "bf16";

        // One writer per run directory; a second train (or any DataForge writer) is refused with exit code 3.
        using var outputLock = OutputLock.Acquire(runDir, "train");
        string? latest;
        try { latest = PrepareRunDirectory(runDir, ckptRoot, run); }
        catch { outputLock.Abandon(); throw; }
        File.WriteAllText(Path.Combine(runDir, "config.json"), o.ToJson());

        using var model = new GptModel(o.Model, vocab, device, o.Seed);
        using var opt = new AdamW(model.Parameters, o.Optimizer.Betas[0], o.Optimizer.Betas[1], o.Optimizer.Eps, o.WeightDecay);
        var schedule = LrSchedule.From(o);

        int step = 0;
        long tokens = 0;
        if (latest is not null)
        {
            model.Load(Safetensors.Read(Path.Combine(latest, "model.safetensors")), latest);
            opt.Load(Safetensors.Read(Path.Combine(latest, "optimizer.safetensors")), latest);
            (step, tokens) = Checkpoints.RestoreState(Path.Combine(latest, "state.json"), data, opt);
            Checkpoints.TruncateMetrics(metricsPath, step);
        }

        using var metrics = new StreamWriter(new FileStream(metricsPath, FileMode.Append, FileAccess.Write, FileShare.Read)) { AutoFlush = true };
        int ctx = o.Model.ContextLength, mb = o.Batch.MicroBatch;
        var buf = new long[mb * (ctx + 1)];
        var clock = Stopwatch.StartNew();
        long tokensAtLog = tokens;
        double secondsAtLog = 0, lastLoss = double.NaN;
        double? lastVal = null;
        string? stopped = null;
        List<TaskResult>? finalTasks = null;
        int startStep = step;
        long startTokens = tokens;

        while (step < o.Steps)
        {
            if (run.Cancellation.IsCancellationRequested || (run.StopAfterStep is { } stop && step >= stop))
            {
                Checkpoints.SaveCheckpoint(o, model, opt, data, ckptRoot, step, tokens, vocab, valDir.EotId);
                throw new TrainingInterruptedException($"interrupted at step {step}; checkpoint written, continue with --resume", step);
            }
            int s = step + 1;
            int phase = data.PhaseAt(s, o.Steps);
            int accum = LrSchedule.Accumulation(o.Batch, s);
            double lr = schedule.At(s);
            double lossSum = 0;
            try
            {
                for (int a = 0; a < accum; a++)
                {
                    data.NextBatch(phase, mb, buf);
                    using var scope = torch.NewDisposeScope();
                    torch.manual_seed((long)(Seeds.DeriveChained((ulong)o.Seed, (ulong)s, (ulong)a) >> 1));
                    var windows = torch.tensor(buf, [mb, ctx + 1], int64).to(device);
                    var loss = model.Loss(windows, bf16, training: true);
                    (loss / accum).backward();
                    lossSum += loss.item<float>();
                }
            }
            catch (DataExhaustedException ex)
            {
                stopped = ex.Message;
                opt.ZeroGrad();
                break;
            }
            double gradNorm = opt.ClipGradNorm(o.Optimizer.GradClip);
            opt.Update(lr);
            model.NormaliseWeights();
            opt.ZeroGrad();
            step = s;
            tokens += (long)accum * mb * ctx;
            lastLoss = lossSum / accum;

            bool evalNow = o.Eval.Every > 0 && step % o.Eval.Every == 0 || step == o.Steps;
            double? valLoss = evalNow ? Evaluate(model, val, o, device, bf16) : null;
            if (valLoss is not null) lastVal = valLoss;
            List<TaskResult>? taskResults = null;
            if (evalNow && evalTasks is not null)
            {
                // The last step evaluates every item (its results are the final model's); earlier ones may be limited.
                taskResults = new Evaluator(model, codec!, valDir.EotId, evalTasks, bf16).Run(step == o.Steps ? 0 : o.Eval.TasksLimit);
                if (step == o.Steps) finalTasks = taskResults;
            }
            if (step % o.Eval.LogEvery == 0 || valLoss is not null || step == o.Steps)
            {
                double now = clock.Elapsed.TotalSeconds;
                double tps = (tokens - tokensAtLog) / Math.Max(1e-9, now - secondsAtLog);
                tokensAtLog = tokens; secondsAtLog = now;
                var line = new Dictionary<string, object?>
                {
                    ["step"] = step, ["tokens"] = tokens, ["lr"] = lr, ["loss"] = Math.Round(lastLoss, 6),
                    ["grad_norm"] = Math.Round(gradNorm, 6), ["tokens_per_s"] = Math.Round(tps, 1), ["phase"] = data.PhaseName(phase),
                };
                if (valLoss is { } vl) { line["val_loss"] = Math.Round(vl, 6); line["val_ppl"] = Math.Round(Math.Exp(vl), 4); }
                if (taskResults is not null) line["tasks"] = taskResults.ToDictionary(t => $"{t.Name}/{t.Metric}", t => Math.Round(t.Value, 6));
                metrics.WriteLine(JsonSerializer.Serialize(line, Compact));
            }
            double rate = (tokens - startTokens) / Math.Max(1e-9, clock.Elapsed.TotalSeconds);
            double stepsPerSec = (step - startStep) / Math.Max(1e-9, clock.Elapsed.TotalSeconds);
            run.Progress?.Invoke(new TrainProgress(step, o.Steps, tokens, lastLoss, lr, rate,
                TimeSpan.FromSeconds(stepsPerSec > 0 ? (o.Steps - step) / stepsPerSec : 0), data.PhaseName(phase), lastVal));
            if (o.Eval.CheckpointEvery > 0 && step % o.Eval.CheckpointEvery == 0 && step < o.Steps)
                Checkpoints.SaveCheckpoint(o, model, opt, data, ckptRoot, step, tokens, vocab, valDir.EotId);
        }
        if (stopped is not null) lastVal = Evaluate(model, val, o, device, bf16);

        string final = Path.Combine(runDir, "final");
        Directory.CreateDirectory(final);
        Export(model, final, vocab, valDir.EotId, o);
        codec?.ExportTo(final);
        if (codec is not null)
        {
            var sb = new StringBuilder();
            foreach (var prompt in o.Eval.SamplePrompts)
            {
                var ids = Generator.Generate(model, codec.Encode(prompt), o.Eval.SampleTokens, SampleTemperature, SampleTopK, SampleTopP, o.Seed, valDir.EotId, bf16);
                sb.Append("### ").Append(prompt).Append('\n').Append(prompt).Append(codec.Decode(ids)).Append("\n\n");
            }
            File.WriteAllText(Path.Combine(runDir, "samples.txt"), sb.ToString());
        }
        if (evalTasks is not null)
        {
            var evaluator = new Evaluator(model, codec!, valDir.EotId, evalTasks, bf16);
            var clock2 = Stopwatch.StartNew();
            PeakMemory.Reset();
            finalTasks ??= evaluator.Run();
            new EvalReport(final, Path.GetFileName(runDir), Path.GetFullPath(o.Eval.Tasks!), Math.Round(clock2.Elapsed.TotalSeconds, 3), finalTasks, evaluator.Edge(Path.Combine(final, "model.safetensors")))
                .Write(Path.Combine(runDir, "eval"));
        }
        var reports = data.Sources.Select(src => new SourceReport(src.Dir.Path, src.Windows, src.Drawn, src.Epochs, src.MaxEpochs, src.Exhausted)).ToList();
        File.WriteAllText(Path.Combine(runDir, "sources.json"), JsonSerializer.Serialize(new { sources = reports, stopped_because = stopped }, Snake) + "\n");
        return new TrainResult(runDir, step, tokens, lastLoss, lastVal, reports, stopped);
    }

    /// <summary>Refuses a run directory that is, contains or lies inside a data directory the run reads.</summary>
    static void RefuseOverlap(TrainOptions o, string runDir)
    {
        var inputs = o.Phases.SelectMany((p, pi) => p.Sources.Select((s, si) => (s.Path, Where: $"$.phases[{pi}].sources[{si}].path"))).ToList();
        if (o.Eval.Data is { } vd) inputs.Add((vd, "$.eval.data"));
        foreach (var (path, where) in inputs)
            if (OutputDirectory.Overlap(runDir, path) is { } how)
                throw new RunSetupException($"{runDir}: the run directory {how} the training data directory {Path.GetFullPath(path)} ({where}); choose an output outside the data");
    }

    /// <summary>
    /// Under the lock: a fresh run gets an empty (or, with Overwrite, cleared) DataForge run directory; a resumed one
    /// its latest checkpoint. Returns that checkpoint, or null for a fresh start.
    /// </summary>
    internal static string? PrepareRunDirectory(string runDir, string ckptRoot, TrainRunOptions run)
    {
        if (run.Resume && run.Overwrite) throw new RunSetupException("--resume and --overwrite cannot be combined");
        if (run.Resume)
        {
            if (Checkpoints.LatestCheckpoint(ckptRoot) is { } latest)
            {
                OutputDirectory.Claim(runDir, "train");
                return latest;
            }
            // A run that stopped before its first checkpoint has nothing to continue from; starting over is the
            // user's call (it discards what the directory holds), so the same command is refused until they make it.
            if (!OutputDirectory.IsEmpty(runDir))
                throw new RunSetupException($"{runDir}: --resume, but the run directory has no checkpoint yet (checkpoints/step-N/ is written every eval.checkpoint_every steps and on Ctrl-C); start afresh with --overwrite instead of --resume");
            // An empty or new directory: nothing to resume, so the run starts (a script can always pass --resume).
        }
        OutputDirectory.PrepareFresh(runDir, "train", run.Overwrite, run.Log, "run directory",
            "use --resume to continue it, --overwrite to start afresh, or --output elsewhere");
        return null;
    }

    /// <summary>Mean validation loss over the first batches x micro_batch windows of val.bin (no dropout).</summary>
    public static double Evaluate(GptModel model, TokenFile val, TrainOptions o, Device device, bool bf16)
    {
        int ctx = o.Model.ContextLength, mb = o.Batch.MicroBatch;
        long windows = val.Windows(ctx);
        var buf = new long[mb * (ctx + 1)];
        double sum = 0;
        long w = 0;
        using var _ = torch.no_grad();
        for (int b = 0; b < o.Eval.Batches; b++)
        {
            for (int r = 0; r < mb; r++, w++) val.Read(w % windows * ctx, buf.AsSpan(r * (ctx + 1), ctx + 1));
            using var scope = torch.NewDisposeScope();
            var t = torch.tensor(buf, [mb, ctx + 1], int64).to(device);
            sum += model.Loss(t, bf16, training: false).item<float>();
        }
        return sum / o.Eval.Batches;
    }

    /// <summary>
    /// model.safetensors (fp32), a Hugging Face style config.json (with the exact DataForge model options under "dataforge")
    /// and generation_config.json.
    /// </summary>
    public static void Export(GptModel model, string dir, int vocab, int eot, TrainOptions o)
    {
        Safetensors.Write(Path.Combine(dir, "model.safetensors"), model.ToSafeTensors());
        File.WriteAllText(Path.Combine(dir, "config.json"), HfConfig(model.Options, vocab, eot));
        File.WriteAllText(Path.Combine(dir, "generation_config.json"), GenerationConfig(model.Options, eot));
    }

    /// <summary>Hugging Face generation_config.json: the end-of-text id and the sampling settings of the run's samples.</summary>
    public static string GenerationConfig(ModelOptions m, int eot)
    {
        var cfg = new Dictionary<string, object>
        {
            ["bos_token_id"] = eot,
            ["eos_token_id"] = eot,
            ["pad_token_id"] = eot,
            ["do_sample"] = true,
            ["temperature"] = SampleTemperature,
            ["top_k"] = SampleTopK,
            ["top_p"] = SampleTopP,
            ["max_length"] = m.ContextLength,
        };
        return JsonSerializer.Serialize(cfg, Snake) + "\n";
    }

    public static string HfConfig(ModelOptions m, int vocab, int eot)
    {
        // nGPT has no Hugging Face counterpart: like other non-Llama shapes it is DataForge's own model type.
        bool llamaLike = m.Mlp == "swiglu" && m.Norm == "rmsnorm" && m.Architecture == "gpt";
        string arch = !llamaLike ? "DataForgeForCausalLM" : m.QkNorm ? "Qwen3ForCausalLM" : m.QkvBias ? "Qwen2ForCausalLM" : "LlamaForCausalLM";
        string type = m.Architecture == "ngpt" ? "dataforge_ngpt" : !llamaLike ? "dataforge" : m.QkNorm ? "qwen3" : m.QkvBias ? "qwen2" : "llama";
        var cfg = new Dictionary<string, object?>
        {
            ["architectures"] = new[] { arch },
            ["model_type"] = type,
            ["vocab_size"] = vocab,
            ["hidden_size"] = m.DModel,
            ["intermediate_size"] = m.Hidden,
            ["num_hidden_layers"] = m.NLayers,
            ["num_attention_heads"] = m.NHeads,
            ["num_key_value_heads"] = m.NHeads,
            ["head_dim"] = m.DModel / m.NHeads,
            ["max_position_embeddings"] = m.ContextLength,
            ["hidden_act"] = m.Mlp == "swiglu" ? "silu" : "gelu",
            ["rms_norm_eps"] = m.NormEps,
            ["rope_theta"] = m.RopeTheta,
            ["attention_bias"] = m.QkvBias,
            ["attention_dropout"] = m.AttentionDropout,
            ["tie_word_embeddings"] = m.TieEmbeddings,
            ["bos_token_id"] = eot,
            ["eos_token_id"] = eot,
            ["torch_dtype"] = "float32",
            ["dataforge"] = m,
        };
        return JsonSerializer.Serialize(cfg, Snake) + "\n";
    }

    /// <summary>Loads a model saved by <see cref="Export"/> (a final/ or checkpoint directory).</summary>
    public static (GptModel Model, int Eot) LoadModel(string dir, Device device)
    {
        var cfg = ReadExportedConfig(dir);
        string weights = Path.Combine(dir, "model.safetensors");
        if (!File.Exists(weights)) throw new FileNotFoundException($"{weights}: not found (expected a run's final/ or checkpoint directory)");
        var model = new GptModel(cfg.Model, cfg.VocabSize, device, 0);
        try { model.Load(Safetensors.Read(weights), dir); }
        catch { model.Dispose(); throw; }
        return (model, cfg.Eot);
    }

    /// <summary>The config.json <see cref="Export"/> wrote: the model options, vocabulary size, end-of-text id and Hugging Face model_type.</summary>
    public static ExportedConfig ReadExportedConfig(string dir)
    {
        string cfgPath = Path.Combine(dir, "config.json");
        if (!File.Exists(cfgPath)) throw new FileNotFoundException($"{cfgPath}: not found (expected a run's final/ or checkpoint directory)");
        try
        {
            using var doc = JsonDocument.Parse(File.ReadAllBytes(cfgPath));
            var r = doc.RootElement;
            var m = r.GetProperty("dataforge").Deserialize<ModelOptions>(Snake)!;
            int vocab = r.GetProperty("vocab_size").GetInt32();
            int eot = r.GetProperty("eos_token_id").GetInt32();
            string type = r.TryGetProperty("model_type", out var t) && t.ValueKind == JsonValueKind.String ? t.GetString()! : "";
            return new ExportedConfig(cfgPath, m, vocab, eot, type);
        }
        catch (Exception ex) when (ex is JsonException or KeyNotFoundException or InvalidOperationException or FormatException)
        {
            throw new InputException(cfgPath, $"not a config.json DataForge exported (expected \"vocab_size\", \"eos_token_id\" and the model options under \"dataforge\"): {ex.Message}", ex);
        }
    }
}

/// <summary>What an exported model directory's config.json says (see <see cref="Trainer.ReadExportedConfig"/>).</summary>
public sealed record ExportedConfig(string Path, ModelOptions Model, int VocabSize, int Eot, string ModelType);
