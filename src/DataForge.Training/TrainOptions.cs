using System.Text;
using DataForge.Configuration;

namespace DataForge.Training;

/// <summary>TRAIN.json: one pretraining run from scratch (model, optimiser, schedule, batch, curriculum), or supervised fine-tuning of a trained model on chat data.</summary>
public sealed class TrainOptions : IValidatableOptions
{
    [Option("Run name, used in logs and the exported config.")]
    public string Name { get; set; } = "run";

    [Option("pretrain: train from scratch on token directories (phases); sft: fine-tune the model in init_from on chat conversations (sft), with the loss on the assistant's tokens only.",
        AllowedValues = ["pretrain", "sft"])]
    public string Task { get; set; } = "pretrain";

    [Option("sft: a run's final/ or checkpoint directory whose model (options, weights and tokenizer) the fine-tuning starts from; the model section is taken from it.")]
    public string? InitFrom { get; set; }

    [Option("Run directory (metrics.jsonl, checkpoints/, final/, samples.txt); relative to the working directory.", Required = true)]
    public string Output { get; set; } = "";

    [Option("Seed for initialisation, data order and dropout.")]
    public long Seed { get; set; } = 1234;

    [Option("Device: cpu, or cuda / cuda:N when a TorchSharp CUDA package and a GPU are present.")]
    public string Device { get; set; } = "cpu";

    [Option("Intra-op threads for libtorch (0 = number of cores).", Min = 0)]
    public int Threads { get; set; }

    [Option("Arithmetic: fp32, or bf16 mixed precision (bf16 matmuls and activations; fp32 master weights, optimiser state, norms, softmax and loss).",
        AllowedValues = ["fp32", "bf16"])]
    public string Precision { get; set; } = "fp32";

    [Option("Optimizer steps in the whole run (required for pretrain; sft derives them from sft.epochs).", Min = 1)]
    public int Steps { get; set; }

    [Option("Tokenizer directory for generation and export (default: the one named by the first phase's tokens.json).")]
    public string? Tokenizer { get; set; }

    [Option("Model architecture.")]
    public ModelOptions Model { get; set; } = new();

    [Option("AdamW optimiser.")]
    public OptimizerOptions Optimizer { get; set; } = new();

    [Option("Learning-rate schedule: MiniCPM warmup-stable-decay or cosine (docs/reference.md#learning-rate-schedules).")]
    public ScheduleOptions Schedule { get; set; } = new();

    [Option("Batch size: micro-batch, accumulation, doubling steps.")]
    public BatchOptions Batch { get; set; } = new();

    [Option("Curriculum phases in order; each reads its own token data (pretrain only).")]
    public List<PhaseOptions> Phases { get; set; } = [];

    [Option("Supervised fine-tuning data and chat template (task sft).")]
    public SftOptions Sft { get; set; } = new();

    [Option("Evaluation, logging and checkpoint cadence.")]
    public EvalOptions Eval { get; set; } = new();

    public void Validate(OptionsValidation v)
    {
        if (Task == "sft")
        {
            ValidateSft(v);
            return;
        }
        if (Steps < 1) v.Error("steps", "missing required option; expected an integer >= 1");
        if (InitFrom is not null) v.Error("init_from", "init_from is for task sft (pretraining starts from scratch)");
        if (Sft.Train.Count > 0) v.Error("sft", "sft data is for task sft");
        if (Phases.Count == 0) v.Error("phases", "expected at least one phase");
        if (!Device.Equals("cpu", StringComparison.Ordinal) && !Device.StartsWith("cuda", StringComparison.Ordinal))
            v.Error("device", $"expected cpu, cuda or cuda:N, found \"{Device}\"");
        int prev = 0;
        var names = new HashSet<string>(StringComparer.Ordinal);
        for (int i = 0; i < Phases.Count; i++)
        {
            var p = Phases[i];
            if (!names.Add(p.Name)) v.Error("phases", $"phase names must be unique; \"{p.Name}\" repeats");
            int end = p.UntilStep ?? Steps;
            if (i < Phases.Count - 1 && p.UntilStep is null) v.Error("phases", $"phase \"{p.Name}\" needs until_step (only the last phase may omit it)");
            if (end <= prev) v.Error("phases", $"phase \"{p.Name}\": until_step {end} must be greater than the previous phase's end {prev}");
            if (i == Phases.Count - 1 && end != Steps) v.Error("phases", $"the last phase must end at steps ({Steps}), found until_step {end}");
            prev = end;
        }
        if (Schedule.Type == "wsd")
        {
            int decayStart = Schedule.DecayStartFor(Steps);
            if (decayStart < Warmup) v.Error("schedule", $"decay_start ({decayStart}) must be >= warmup_steps ({Warmup})");
            if (decayStart > Steps) v.Error("schedule", $"decay_start ({decayStart}) must be <= steps ({Steps})");
        }
        if (Warmup > Steps) v.Error("schedule", $"warmup_steps ({Warmup}) must be <= steps ({Steps})");
        foreach (var e in Model.Problems()) v.Error("model", e);
        ValidateOptimizer(v);
    }

    void ValidateOptimizer(OptionsValidation v)
    {
        if (Optimizer.Betas.Length != 2 || Optimizer.Betas.Any(b => b is < 0 or >= 1)) v.Error("optimizer", "betas must be two numbers in [0, 1)");
        if (Optimizer.MinLr > Optimizer.Lr) v.Error("optimizer", $"min_lr ({Optimizer.MinLr}) must be <= lr ({Optimizer.Lr})");
        for (int i = 1; i < Batch.DoubleAtSteps.Count; i++)
            if (Batch.DoubleAtSteps[i] <= Batch.DoubleAtSteps[i - 1]) v.Error("batch", "double_at_steps must be increasing");
    }

    void ValidateSft(OptionsValidation v)
    {
        if (InitFrom is null) v.Error("init_from", "task sft needs init_from (a run's final/ or checkpoint directory)");
        if (Sft.Train.Count == 0) v.Error("sft", "task sft needs sft.train (chat JSON Lines files)");
        if (Phases.Count > 0) v.Error("phases", "task sft reads sft.train, not phases");
        if (Steps != 0) v.Error("steps", "task sft derives its steps from sft.epochs; remove steps");
        if (Eval.Data is not null) v.Error("eval", "eval.data is for pretraining; task sft validates on held-out conversations (sft.val or sft.val_fraction)");
        if (Eval.Tasks is not null) v.Error("eval", "eval.tasks runs during pretraining only; evaluate the fine-tuned final/ with dataforge eval");
        // The model is the one in init_from; a model section would be silently ignored.
        if (System.Text.Json.JsonSerializer.Serialize(Model) != System.Text.Json.JsonSerializer.Serialize(new ModelOptions()))
            v.Error("model", "task sft takes the model from init_from; remove the model section");
        ValidateOptimizer(v);
    }

    /// <summary>Warmup steps: schedule.warmup_steps, by default 100 for GPT pretraining and 0 for nGPT (as the paper trains) and for sft.</summary>
    internal int Warmup => Schedule.WarmupSteps ?? (Task == "sft" || Model.Architecture == "ngpt" ? 0 : 100);

    /// <summary>Weight decay: optimizer.weight_decay, by default 0.1, and 0 for nGPT (its matrices are normalised after every step).</summary>
    internal double WeightDecay => Optimizer.WeightDecay ?? (Model.Architecture == "ngpt" ? 0.0 : 0.1);

    /// <summary>Reads and validates a TRAIN.json file; relative data paths resolve against the working directory.</summary>
    public static TrainOptions Load(string path) => Parse(File.ReadAllBytes(path), path);

    public static TrainOptions Parse(ReadOnlySpan<byte> json, string file)
        => OptionsBinder.BindConfig<TrainOptions>(json, file);

    internal string ToJson()
    {
        using var ms = new MemoryStream();
        using (var w = new System.Text.Json.Utf8JsonWriter(ms, new System.Text.Json.JsonWriterOptions { Indented = true }))
            System.Text.Json.JsonSerializer.Serialize(w, this, new System.Text.Json.JsonSerializerOptions
            {
                PropertyNamingPolicy = System.Text.Json.JsonNamingPolicy.SnakeCaseLower,
            });
        return Encoding.UTF8.GetString(ms.ToArray()) + "\n";
    }
}

public sealed class ModelOptions
{
    [Option("gpt: pre-norm Transformer (norm, mlp, dropout options apply); ngpt: the normalised Transformer of Loshchilov et al. 2024 (no norms, unit-norm weights and hidden states, SwiGLU; docs/training.md#ngpt).",
        AllowedValues = ["gpt", "ngpt"])]
    public string Architecture { get; set; } = "gpt";

    [Option("Vocabulary size (default: the data's tokens.json vocab_size).", Min = 2)]
    public int? VocabSize { get; set; }

    [Option("Context length in tokens.", Min = 2)]
    public int ContextLength { get; set; } = 256;

    [Option("Transformer blocks.", Min = 1)]
    public int NLayers { get; set; } = 4;

    [Option("Model width.", Min = 2)]
    public int DModel { get; set; } = 256;

    [Option("Attention heads (the head size d_model / n_heads must be even).", Min = 1)]
    public int NHeads { get; set; } = 4;

    [Option("MLP: gelu (2 matrices) or swiglu (3 matrices, Llama/Qwen2 style).", AllowedValues = ["gelu", "swiglu"])]
    public string Mlp { get; set; } = "gelu";

    [Option("MLP hidden size (default: 4 x d_model for gelu, 8/3 x d_model rounded up to 64 for swiglu).", Min = 1)]
    public int? MlpHidden { get; set; }

    [Option("Normalisation: rmsnorm or layernorm (pre-norm blocks and a final norm).", AllowedValues = ["rmsnorm", "layernorm"])]
    public string Norm { get; set; } = "rmsnorm";

    [Option("Normalisation epsilon.", ExclusiveMin = 0)]
    public double NormEps { get; set; } = 1e-5;

    [Option("RoPE base.", ExclusiveMin = 0)]
    public double RopeTheta { get; set; } = 10000;

    [Option("Bias on the q, k, v projections only (Qwen2 style).")]
    public bool QkvBias { get; set; }

    [Option("Normalise q and k per head after projection, before RoPE (same kind as norm).")]
    public bool QkNorm { get; set; }

    [Option("Dropout on the attention weights.", Min = 0, Max = 0.99)]
    public double AttentionDropout { get; set; }

    [Option("Dropout after the attention and MLP outputs.", Min = 0, Max = 0.99)]
    public double HiddenDropout { get; set; }

    [Option("Dropout on the token embeddings.", Min = 0, Max = 0.99)]
    public double EmbeddingDropout { get; set; }

    [Option("Output projection shares the token embedding matrix.")]
    public bool TieEmbeddings { get; set; } = true;

    [Option("Standard deviation of the normal initialisation (residual projections get std / sqrt(2 x n_layers), nanoGPT style).", ExclusiveMin = 0)]
    public double InitStd { get; set; } = 0.02;

    /// <summary>Combinations the model cannot build, as messages.</summary>
    internal IEnumerable<string> Problems()
    {
        if (DModel % NHeads != 0) yield return $"d_model ({DModel}) must be a multiple of n_heads ({NHeads})";
        else if (DModel / NHeads % 2 != 0) yield return "the head size (d_model / n_heads) must be even for RoPE";
        if (Architecture != "ngpt") yield break;
        if (Mlp != "swiglu") yield return "architecture ngpt uses a SwiGLU MLP: set mlp to swiglu";
        if (QkvBias || QkNorm) yield return "architecture ngpt has no qkv_bias or qk_norm (q and k are normalised per head and scaled by s_qk)";
        if (AttentionDropout > 0 || HiddenDropout > 0 || EmbeddingDropout > 0) yield return "architecture ngpt trains without dropout: set the dropouts to 0";
    }

    internal int Hidden => MlpHidden ?? (Mlp == "gelu" ? 4 * DModel : (8 * DModel / 3 + 63) / 64 * 64);
}

public sealed class OptimizerOptions
{
    [Option("Peak learning rate (eta).", ExclusiveMin = 0)]
    public double Lr { get; set; } = 1e-3;

    [Option("Floor for linear and cosine decay.", Min = 0)]
    public double MinLr { get; set; } = 1e-4;

    [Option("AdamW betas [beta1, beta2].")]
    public double[] Betas { get; set; } = [0.9, 0.95];

    [Option("AdamW epsilon.", ExclusiveMin = 0)]
    public double Eps { get; set; } = 1e-8;

    [Option("Decoupled weight decay, applied to weights with 2 or more dimensions only (default 0.1; 0 for architecture ngpt).", Min = 0)]
    public double? WeightDecay { get; set; }

    [Option("Clip the global gradient L2 norm to this value (0 = no clipping).", Min = 0)]
    public double GradClip { get; set; } = 1.0;
}

public sealed class ScheduleOptions
{
    [Option("wsd (warmup, stable, decay) or cosine (warmup, cosine to min_lr at the last step).", AllowedValues = ["wsd", "cosine"])]
    public string Type { get; set; } = "wsd";

    [Option("Warmup steps W: lr = eta * s / W for s < W (default 100; 0 for architecture ngpt and for task sft).", Min = 0)]
    public int? WarmupSteps { get; set; }

    [Option("wsd: step T where decay starts (default: 90% of steps, so the decay is about 10% of the tokens).", Min = 0)]
    public int? DecayStart { get; set; }

    /// <summary>The step where the decay starts: <see cref="DecayStart"/>, by default 90% of the run.</summary>
    internal int DecayStartFor(int steps) => DecayStart ?? (int)Math.Round(steps * 0.9);

    [Option("wsd decay shape: exponential (eta * 0.5^((s - T) / half_life)), linear or cosine to min_lr.",
        AllowedValues = ["exponential", "linear", "cosine"])]
    public string Decay { get; set; } = "exponential";

    [Option("Half-life in steps of the exponential decay (default: (steps - decay_start) / 5).", ExclusiveMin = 0)]
    public double? HalfLife { get; set; }
}

public sealed class BatchOptions
{
    [Option("Sequences per forward pass.", Min = 1)]
    public int MicroBatch { get; set; } = 16;

    [Option("Micro-batches accumulated per optimizer step at the start.", Min = 1)]
    public int GradAccum { get; set; } = 1;

    [Option("Steps at which the batch size doubles (the accumulation doubles; same micro-batch).", Min = 1)]
    public List<int> DoubleAtSteps { get; set; } = [];
}

public sealed class PhaseOptions : IValidatableOptions
{
    [Option("Phase name (metrics.jsonl 'phase').", Required = true)]
    public string Name { get; set; } = "";

    [Option("Last step of the phase, inclusive (steps are 1-based: the phase covers the steps after the previous phase's until_step up to and including this one); the last phase may omit it and ends at steps.", Min = 1)]
    public int? UntilStep { get; set; }

    [Option("Token sources sampled in proportion to their weights.", Required = true)]
    public List<SourceOptions> Sources { get; set; } = [];

    public void Validate(OptionsValidation v)
    {
        if (Sources.Count == 0) v.Error("sources", "expected at least one source");
    }
}

public sealed class SourceOptions
{
    [Option("Token directory with train.bin, val.bin and tokens.json; the same path in several phases is the same source for repetition caps.", Required = true)]
    public string Path { get; set; } = "";

    [Option("Sampling weight within the phase.", ExclusiveMin = 0)]
    public double Weight { get; set; } = 1;

    [Option("Cap on repetitions of this source over the whole run, in epochs of its train tokens (null = no cap); a capped source stops being sampled.", ExclusiveMin = 0)]
    public double? MaxEpochs { get; set; }
}

public sealed class EvalOptions
{
    [Option("Evaluate validation loss every N steps (0 = only at the end).", Min = 0)]
    public int Every { get; set; } = 100;

    [Option("Validation micro-batches per evaluation (windows taken in order from the start of val.bin).", Min = 1)]
    public int Batches { get; set; } = 8;

    [Option("Token directory whose val.bin is the validation set (default: the first source of the first phase).")]
    public string? Data { get; set; }

    [Option("Write a metrics line every N steps.", Min = 1)]
    public int LogEvery { get; set; } = 10;

    [Option("Write a checkpoint every N steps (0 = only on interruption).", Min = 0)]
    public int CheckpointEvery { get; set; } = 500;

    [Option("Checkpoints kept (older ones are deleted).", Min = 1)]
    public int KeepCheckpoints { get; set; } = 2;

    [Option("A TASKS.json (see dataforge eval) run at every evaluation and at the end: task results go into the evaluation lines of metrics.jsonl and, for the final model, into eval/eval.json in the run directory (needs a tokenizer).")]
    public string? Tasks { get; set; }

    [Option("Items per task at the evaluations during training (0 = each task's own limit); the final evaluation uses every item.", Min = 0)]
    public int TasksLimit { get; set; }

    [Option("Prompts for samples.txt at the end of the run (needs a tokenizer).")]
    public List<string> SamplePrompts { get; set; } = ["Once upon a time"];

    [Option("Tokens generated per sample.", Min = 1)]
    public int SampleTokens { get; set; } = 64;
}

public sealed class SftOptions
{
    [Option("JSON Lines files of conversations: chat_format output (\"text\" in the chat template), Alpaca records (instruction, input, output) or multi-turn \"messages\" ([{role, content}]); an optional \"system\" field.")]
    public List<string> Train { get; set; } = [];

    [Option("Held-out conversation files for the validation loss (default: val_fraction of the train conversations, chosen by the seed).")]
    public List<string> Val { get; set; } = [];

    [Option("Fraction of the train conversations held out for validation when val is empty.", Min = 0, Max = 0.5)]
    public double ValFraction { get; set; } = 0.05;

    [Option("Chat template with {system} (optional), {user} and {assistant}; the text after {assistant} ends a turn. Default Llama-3-like (as chat_format).")]
    public string Template { get; set; } = Synth.ChatTemplate.Llama3;

    [Option("System message for conversations that carry none (default: no system turn).")]
    public string? System { get; set; }

    [Option("Epochs over the train conversations (the run's steps follow from it).", Min = 1)]
    public int Epochs { get; set; } = 1;

    [Option("Pack several conversations into each context window (otherwise one per window, padded).")]
    public bool Pack { get; set; } = true;

    [Option("With pack: each conversation attends only to itself and its RoPE positions start at 0 (block-diagonal causal attention).")]
    public bool BlockAttention { get; set; } = true;
}
