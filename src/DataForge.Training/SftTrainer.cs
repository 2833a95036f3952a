using System.Diagnostics;
using System.Text;
using System.Text.Json;
using DataForge.Configuration;
using DataForge.Determinism;
using DataForge.Execution;
using DataForge.Synth;
using TorchSharp;
using static TorchSharp.torch;

namespace DataForge.Training;

/// <summary>
/// Supervised fine-tuning (task sft): the model in init_from trained on chat conversations with the loss on the
/// assistant's tokens only; conversations packed into windows (each attending only to itself, optionally), epochs in
/// an order chosen by the seed, validation loss on held-out conversations, checkpoints and resume as in pretraining.
/// </summary>
public static class SftTrainer
{
    /// <summary>The file in an exported model directory naming the chat template it was fine-tuned with.</summary>
    public const string ChatFile = "dataforge_chat.json";

    static readonly JsonSerializerOptions Compact = new() { WriteIndented = false };
    static readonly JsonSerializerOptions Snake = new() { WriteIndented = true, PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower };

    /// <summary>What the data gave: conversations and windows of each part, and conversations cut to the context.</summary>
    public sealed record SftDataReport(int TrainConversations, int ValConversations, int TrainWindows, int ValWindows, int Truncated, long TrainedTargetsPerEpoch);

    public static TrainResult Run(TrainOptions o, TrainRunOptions run)
    {
        string runDir = Path.GetFullPath(o.Output);
        string metricsPath = Path.Combine(runDir, "metrics.jsonl");
        string ckptRoot = Path.Combine(runDir, "checkpoints");
        string init = Path.GetFullPath(o.InitFrom!);
        if (OutputDirectory.Overlap(runDir, init) is { } how)
            throw new RunSetupException($"{runDir}: the run directory {how} the init_from directory {init}; choose an output outside it");
        foreach (var path in o.Sft.Train.Concat(o.Sft.Val))
            if (OutputDirectory.Overlap(runDir, path) is { } h2)
                throw new RunSetupException($"{runDir}: the run directory {h2} the fine-tuning data {Path.GetFullPath(path)}; choose an output outside the data");
        if (!Directory.Exists(init)) throw new RunSetupException($"$.init_from: {init}: no such directory (expected a run's final/ or checkpoint directory)");
        if (run.LoadCodec is null) throw new RunSetupException("task sft tokenises text and needs a tokenizer loader");

        ChatTemplate template;
        try { template = new ChatTemplate(o.Sft.Template); }
        catch (OptionException ex) { throw new RunSetupException($"$.sft.template: {ex.Message}"); }

        var device = torch.device(o.Device);
        bool bf16 = o.Precision == "bf16";
        var (model, eot) = Trainer.LoadModel(init, device);
        using var _model = model;
        var codec = run.LoadCodec(o.Tokenizer ?? init);
        var encoder = new ChatEncoder(codec, template, eot);

        // Everything is read and checked before anything is written.
        var all = o.Sft.Train.SelectMany(p => SftData.Read(p, template, o.Sft.System)).ToList();
        var (trainConversations, valConversations) = o.Sft.Val.Count > 0
            ? (all, o.Sft.Val.SelectMany(p => SftData.Read(p, template, o.Sft.System)).ToList())
            : SftData.HoldOut(all, o.Sft.ValFraction, o.Seed);
        if (trainConversations.Count == 0) throw new InputException(o.Sft.Train[0], "no conversations to train on");
        int ctx = model.Options.ContextLength;
        var trainWindows = SftData.Pack([.. trainConversations.Select(encoder.Encode)], ctx, o.Sft.Pack, eot, out int truncated);
        var valWindows = SftData.Pack([.. valConversations.Select(encoder.Encode)], ctx, o.Sft.Pack, eot, out int truncatedVal);
        var report = new SftDataReport(trainConversations.Count, valConversations.Count, trainWindows.Count, valWindows.Count, truncated + truncatedVal,
            trainWindows.Sum(w => (long)w.TrainedTargets));
        if (report.TrainedTargetsPerEpoch == 0) throw new InputException(o.Sft.Train[0], "the conversations have no assistant tokens within the context window");

        int mb = o.Batch.MicroBatch, perStep = mb * o.Batch.GradAccum;
        if (o.Batch.DoubleAtSteps.Count > 0) throw new RunSetupException("$.batch.double_at_steps: task sft keeps one batch size (its steps follow from the epochs)");
        var order = Enumerable.Range(0, o.Sft.Epochs).SelectMany(e => SftData.EpochOrder(trainWindows.Count, o.Seed, e)).ToArray();
        int steps = (order.Length + perStep - 1) / perStep;
        int warmup = o.Warmup;
        if (warmup > steps) throw new RunSetupException($"$.schedule.warmup_steps: {warmup} is more than the run's {steps} steps ({o.Sft.Epochs} epoch(s) of {trainWindows.Count} windows, {perStep} per step)");
        int decayStart = o.Schedule.Type == "wsd" ? Math.Clamp(o.Schedule.DecayStartFor(steps), warmup, steps) : warmup;
        var schedule = new LrSchedule(o.Schedule.Type, o.Optimizer.Lr, o.Optimizer.MinLr, warmup, decayStart, steps, o.Schedule.Decay, o.Schedule.HalfLife);
        bool blockMask = o.Sft.Pack && o.Sft.BlockAttention;

        NativeMemory.KeepFreedMemory();
        if (o.Threads > 0) torch.set_num_threads(o.Threads);
        using var outputLock = OutputLock.Acquire(runDir, "train");
        string? latest;
        try { latest = Trainer.PrepareRunDirectory(runDir, ckptRoot, run); }
        catch { outputLock.Abandon(); throw; }
        File.WriteAllText(Path.Combine(runDir, "config.json"), o.ToJson());

        double weightDecay = o.Optimizer.WeightDecay ?? (model.IsNgpt ? 0.0 : 0.1);
        using var opt = new AdamW(model.Parameters, o.Optimizer.Betas[0], o.Optimizer.Betas[1], o.Optimizer.Eps, weightDecay);
        int step = 0;
        long tokens = 0;
        if (latest is not null)
        {
            model.Load(Safetensors.Read(Path.Combine(latest, "model.safetensors")), latest);
            opt.Load(Safetensors.Read(Path.Combine(latest, "optimizer.safetensors")), latest);
            (step, tokens) = RestoreState(Path.Combine(latest, "state.json"), opt, steps);
            Checkpoints.TruncateMetrics(metricsPath, step);
        }
        int vocab = model.VocabSize;
        Dictionary<string, object> State(int s, long t) => new()
        {
            ["task"] = "sft", ["step"] = s, ["tokens"] = t, ["optimizer_step"] = opt.Step, ["steps"] = steps, ["train_windows"] = trainWindows.Count,
        };

        using var metrics = new StreamWriter(new FileStream(metricsPath, FileMode.Append, FileAccess.Write, FileShare.Read)) { AutoFlush = true };
        var clock = Stopwatch.StartNew();
        long tokensAtLog = tokens, startTokens = tokens;
        int startStep = step;
        double secondsAtLog = 0, lastLoss = double.NaN;
        double? lastVal = null;
        while (step < steps)
        {
            if (run.Cancellation.IsCancellationRequested || (run.StopAfterStep is { } stop && step >= stop))
            {
                Checkpoints.WriteCheckpoint(o, model, opt, ckptRoot, step, vocab, eot, State(step, tokens));
                throw new TrainingInterruptedException($"interrupted at step {step}; checkpoint written, continue with --resume", step);
            }
            int s = step + 1;
            double lr = schedule.At(s);
            var picked = order.Skip((s - 1) * perStep).Take(perStep).Select(i => trainWindows[i]).ToList();
            int count = picked.Sum(w => w.TrainedTargets);
            double lossSum = 0;
            for (int a = 0; a * mb < picked.Count; a++)
            {
                var micro = picked.Skip(a * mb).Take(mb).ToList();
                using var scope = torch.NewDisposeScope();
                torch.manual_seed((long)(Seeds.DeriveChained((ulong)o.Seed, (ulong)s, (ulong)a) >> 1));
                var sum = MicroBatchLoss(model, micro, ctx, blockMask, bf16, training: true);
                // The step's loss is the mean over all its trained targets, whichever micro-batch holds them.
                (sum / Math.Max(1, count)).backward();
                lossSum += sum.item<float>();
            }
            double gradNorm = opt.ClipGradNorm(o.Optimizer.GradClip);
            opt.Update(lr);
            model.NormaliseWeights();
            opt.ZeroGrad();
            step = s;
            tokens += (long)picked.Count * ctx;
            lastLoss = lossSum / Math.Max(1, count);

            bool evalNow = (o.Eval.Every > 0 && step % o.Eval.Every == 0 || step == steps) && valWindows.Count > 0;
            double? valLoss = evalNow ? Evaluate(model, valWindows, ctx, mb, blockMask, bf16) : null;
            if (valLoss is not null) lastVal = valLoss;
            if (step % o.Eval.LogEvery == 0 || valLoss is not null || step == steps)
            {
                double now = clock.Elapsed.TotalSeconds;
                double tps = (tokens - tokensAtLog) / Math.Max(1e-9, now - secondsAtLog);
                tokensAtLog = tokens; secondsAtLog = now;
                var line = new Dictionary<string, object?>
                {
                    ["step"] = step, ["tokens"] = tokens, ["lr"] = lr, ["loss"] = Math.Round(lastLoss, 6), ["trained_targets"] = count,
                    ["grad_norm"] = Math.Round(gradNorm, 6), ["tokens_per_s"] = Math.Round(tps, 1),
                    ["epoch"] = Math.Round((double)Math.Min(order.Length, step * perStep) / trainWindows.Count, 4),
                };
                if (valLoss is { } vl) { line["val_loss"] = Math.Round(vl, 6); line["val_ppl"] = Math.Round(Math.Exp(vl), 4); }
                metrics.WriteLine(JsonSerializer.Serialize(line, Compact));
            }
            double rate = (tokens - startTokens) / Math.Max(1e-9, clock.Elapsed.TotalSeconds);
            double stepsPerSec = (step - startStep) / Math.Max(1e-9, clock.Elapsed.TotalSeconds);
            run.Progress?.Invoke(new TrainProgress(step, steps, tokens, lastLoss, lr, rate,
                TimeSpan.FromSeconds(stepsPerSec > 0 ? (steps - step) / stepsPerSec : 0), "sft", lastVal));
            if (o.Eval.CheckpointEvery > 0 && step % o.Eval.CheckpointEvery == 0 && step < steps)
                Checkpoints.WriteCheckpoint(o, model, opt, ckptRoot, step, vocab, eot, State(step, tokens));
        }

        string final = Path.Combine(runDir, "final");
        Directory.CreateDirectory(final);
        Trainer.Export(model, final, vocab, eot, o);
        codec.ExportTo(final);
        File.WriteAllText(Path.Combine(final, ChatFile), JsonSerializer.Serialize(new { template = o.Sft.Template, system = o.Sft.System }, Snake) + "\n");
        var sb = new StringBuilder();
        foreach (var prompt in o.Eval.SamplePrompts)
        {
            var (reply, ended) = Reply(model, encoder, new Conversation(o.Sft.System, [new ChatMessage("user", prompt)]), o.Eval.SampleTokens, 0, o.Seed, bf16);
            sb.Append("### ").Append(prompt).Append('\n').Append(codec.Decode(reply)).Append(ended ? "\n[end of turn]\n\n" : "\n[no end of turn]\n\n");
        }
        File.WriteAllText(Path.Combine(runDir, "samples.txt"), sb.ToString());
        File.WriteAllText(Path.Combine(runDir, "sft_data.json"), JsonSerializer.Serialize(report, Snake) + "\n");
        return new TrainResult(runDir, step, tokens, lastLoss, lastVal, [], null);
    }

    /// <summary>
    /// The assistant's reply to a conversation (greedy at temperature 0) and whether it ended with the end-of-turn token
    /// (rather than running out of tokens or context).
    /// </summary>
    public static (List<int> Reply, bool EndedTurn) Reply(GptModel model, ChatEncoder encoder, Conversation c, int maxTokens, double temperature, long seed, bool bf16,
        int topK = 0, double topP = 1)
    {
        // The generator drops the end-of-text it stops at; asked not to stop (-1), it keeps it and the reply is cut there.
        var ids = Generator.Generate(model, encoder.Prompt(c), maxTokens, temperature, topK, topP, seed, -1, bf16,
            stop: output => output[^1] == encoder.EndOfTurn);
        bool ended = ids.Count > 0 && ids[^1] == encoder.EndOfTurn;
        if (ended) ids.RemoveAt(ids.Count - 1);
        return (ids, ended);
    }

    /// <summary>Summed loss of the trained targets of some windows (block-diagonal attention when asked).</summary>
    internal static Tensor MicroBatchLoss(GptModel model, IReadOnlyList<SftWindow> windows, int ctx, bool blockMask, bool bf16, bool training)
    {
        int n = windows.Count;
        var device = model.Device;
        var input = torch.tensor(windows.SelectMany(w => w.Input).ToArray(), [n, ctx], int64).to(device);
        var target = torch.tensor(windows.SelectMany(w => w.Target).ToArray(), [n, ctx], int64).to(device);
        Tensor? positions = null, visible = null;
        if (blockMask)
        {
            positions = torch.tensor(windows.SelectMany(w => w.Position).ToArray(), [n, ctx], int64).to(device);
            visible = torch.tensor(SftData.BlockCausalMask(windows, ctx), [n, 1, ctx, ctx], ScalarType.Bool).to(device);
        }
        return model.MaskedLossSum(input, target, bf16, training, positions, visible);
    }

    /// <summary>Mean loss over every trained target of the validation windows (no dropout).</summary>
    public static double Evaluate(GptModel model, IReadOnlyList<SftWindow> windows, int ctx, int mb, bool blockMask, bool bf16)
    {
        using var _ = torch.no_grad();
        double sum = 0;
        long count = 0;
        for (int i = 0; i < windows.Count; i += mb)
        {
            var batch = windows.Skip(i).Take(mb).ToList();
            using var scope = torch.NewDisposeScope();
            sum += MicroBatchLoss(model, batch, ctx, blockMask, bf16, training: false).item<float>();
            count += batch.Sum(w => w.TrainedTargets);
        }
        return count == 0 ? double.NaN : sum / count;
    }

    static (int Step, long Tokens) RestoreState(string statePath, AdamW opt, int steps)
    {
        try
        {
            using var st = JsonDocument.Parse(File.ReadAllBytes(statePath));
            var r = st.RootElement;
            if (!r.TryGetProperty("task", out var task) || task.GetString() != "sft")
                throw new InputException(statePath, "the checkpoint is not of a fine-tuning run; resume it with its own config");
            if (r.GetProperty("steps").GetInt32() != steps)
                throw new InputException(statePath, $"the run had {r.GetProperty("steps").GetInt32()} steps when the checkpoint was written, {steps} now: its data or options changed");
            opt.Step = r.GetProperty("optimizer_step").GetInt64();
            return (r.GetProperty("step").GetInt32(), r.GetProperty("tokens").GetInt64());
        }
        catch (Exception ex) when (ex is JsonException or KeyNotFoundException or InvalidOperationException or FormatException)
        {
            throw new InputException(statePath, $"not a checkpoint state DataForge wrote: {ex.Message}", ex);
        }
    }

    /// <summary>The chat template and system message a fine-tuned model directory names (the default template when it names none).</summary>
    public static (ChatTemplate Template, string? System) ChatOf(string modelDir)
    {
        string path = Path.Combine(modelDir, ChatFile);
        if (!File.Exists(path)) return (new ChatTemplate(ChatTemplate.Llama3), null);
        try
        {
            using var doc = JsonDocument.Parse(File.ReadAllBytes(path));
            var r = doc.RootElement;
            string? system = r.TryGetProperty("system", out var s) && s.ValueKind == JsonValueKind.String ? s.GetString() : null;
            return (new ChatTemplate(r.GetProperty("template").GetString()!), system);
        }
        catch (Exception ex) when (ex is JsonException or KeyNotFoundException or InvalidOperationException or OptionException)
        {
            throw new InputException(path, $"expected {{\"template\": \"...\", \"system\": ...}}: {ex.Message}", ex);
        }
    }
}
