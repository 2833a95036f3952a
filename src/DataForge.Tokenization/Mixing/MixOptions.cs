using DataForge.Configuration;

namespace DataForge.Tokenization.Mixing;

/// <summary>One source of a mixture: a pipeline output directory (MIX.json), or a <c>source</c> value (mix stage).</summary>
public sealed class MixSourceOptions : IValidatableOptions
{
    [Option("Source name, used in weight keys (\"name\" or \"name/bucket\") and the report. In the mix stage: the value of the documents' source column.", Required = true)]
    public string Name { get; init; } = "";

    [Option("Output directory of a pipeline (its shards are read), or a shard file or glob. Required in MIX.json; not allowed in the mix stage.")]
    public string? Path { get; init; }

    [Option("Column whose value splits the source into buckets (e.g. quality_bucket); weight keys are then \"name/value\". Missing values form the bucket \"none\".")]
    public string? BucketColumn { get; init; }

    [Option("Repetition cap: at most this many passes over the source's (bucket's) tokens, summed over all phases.", ExclusiveMin = 0)]
    public double MaxEpochs { get; init; } = 1;

    public void Validate(OptionsValidation v)
    {
        if (Name.Length == 0 || Name.Contains('/')) v.Error("name", "expected a non-empty name without '/'");
    }
}

/// <summary>A training phase (e.g. stable, decay): its token budget and target weights.</summary>
public sealed class MixPhaseOptions : IValidatableOptions
{
    [Option("Phase name; its tokens go to OUTPUT/<name>/.", Required = true)]
    public string Name { get; init; } = "";

    [Option("Token budget of the phase (end-of-text tokens included).", Min = 1, Required = true)]
    public long Tokens { get; init; }

    [Option("Target share of the phase's tokens by \"source\" or \"source/bucket\"; normalised to sum 1. A bare source name over a bucketed source spreads its weight over the buckets in proportion to their tokens.", Min = 0, Required = true)]
    public Dictionary<string, double> Weights { get; init; } = [];

    public void Validate(OptionsValidation v)
    {
        if (Name.Length == 0 || Name.IndexOfAny(['/', '\\']) >= 0 || Name is "." or "..") v.Error("name", "expected a non-empty name usable as a directory name");
        if (Weights.Count == 0 || Weights.Values.Sum() <= 0) v.Error("weights", "expected at least one positive weight");
    }
}

/// <summary>What MIX.json and the mix stage have in common.</summary>
public class MixSettings : IValidatableOptions
{
    [Option("Tokenizer: o200k_base, cl100k_base, a tokenizer directory (dataforge tokenizer train) or a SentencePiece .model file.", Required = true)]
    public string Tokenizer { get; init; } = "";

    [Option("Seed of the shuffles, the interleaving and the train/val split; default: 42 (mix stage: the pipeline seed).", Min = 0)]
    public long? Seed { get; init; }

    [Option("Token file layout of each phase directory: nanogpt, megatron or both.", AllowedValues = ["nanogpt", "megatron", "both"])]
    public string Format { get; init; } = TokenFormats.NanoGpt;

    [Option("Fraction of the selected documents (decided per document, seeded) written to val.bin instead of train.bin.", Min = 0, Max = 1)]
    public double ValFraction { get; init; } = 0.005;

    [Option("When a repetition cap makes a target impossible: fail (stop, naming the source, the shortfall and the achievable weight) or redistribute (spread the shortfall over the other entries of the phase, and report it).", AllowedValues = ["fail", "redistribute"])]
    public string OnShortfall { get; init; } = "fail";

    [Option("Sources of the mixture.", Required = true)]
    public List<MixSourceOptions> Sources { get; init; } = [];

    [Option("Phases, in training order; repetition caps count over all of them.", Required = true)]
    public List<MixPhaseOptions> Phases { get; init; } = [];

    public virtual void Validate(OptionsValidation v)
    {
        if (Sources.Count == 0) v.Error("sources", "expected at least one source");
        if (Phases.Count == 0) v.Error("phases", "expected at least one phase");
        var names = Sources.Select(s => s.Name).ToList();
        foreach (var dup in names.GroupBy(n => n).Where(g => g.Count() > 1)) v.Error("sources", $"source name '{dup.Key}' is used twice");
        foreach (var dup in Phases.GroupBy(p => p.Name).Where(g => g.Count() > 1)) v.Error("phases", $"phase name '{dup.Key}' is used twice");
        foreach (var p in Phases)
            foreach (var key in p.Weights.Keys)
            {
                string src = key.Split('/')[0];
                if (!names.Contains(src))
                    v.Error("phases", $"phase '{p.Name}': weight key '{key}' names no source{NameSuggester.DidYouMean(src, names)}; expected \"source\" or \"source/bucket\"");
                else if (key.Contains('/') && Sources.First(s => s.Name == src).BucketColumn is null)
                    v.Error("phases", $"phase '{p.Name}': weight key '{key}' names a bucket, but source '{src}' has no bucket_column");
            }
    }
}

/// <summary>MIX.json: sources (pipeline output directories), phases, and where the token directories go.</summary>
public sealed class MixConfig : MixSettings
{
    [Option("Name of the mixture (recorded in mix_report.json).")]
    public string Name { get; init; } = "mix";

    [Option("Output directory: OUTPUT/<phase>/ (train.bin, val.bin, tokens.json) per phase and OUTPUT/mix_report.json. dataforge mix --output overrides it.", Required = true)]
    public string Output { get; set; } = "";

    [Option("Where the mix runs: in this process (the default) or as Slurm jobs, tokenizing the sources' shard files in an array job (docs/cluster.md). The mix is the same either way.")]
    public DataForge.Execution.ExecutorOptions Executor { get; init; } = new();

    public override void Validate(OptionsValidation v)
    {
        base.Validate(v);
        foreach (var s in Sources.Where(s => string.IsNullOrEmpty(s.Path)))
            v.Error("sources", $"source '{s.Name}': expected a path (a pipeline output directory or shard files)");
    }

    /// <summary>Reads and validates a MIX.json file; errors carry file:line:col and the JSON path.</summary>
    public static MixConfig Load(string path)
    {
        byte[] bytes = File.ReadAllBytes(path);
        return Parse(bytes, path);
    }

    public static MixConfig Parse(ReadOnlySpan<byte> json, string file)
        => OptionsBinder.BindConfig<MixConfig>(json, file);
}
