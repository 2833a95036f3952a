using System.Text.Json.Nodes;
using DataForge.Determinism;
using DataForge.Documents;
using DataForge.Execution;
using DataForge.Pipelines;
using DataForge.Stages;
using DataForge.Configuration;

namespace DataForge.Tokenization;

public sealed class TokensSinkOptions : IHasOutputPath, IValidatableOptions
{
    [Option("Output directory: train.bin, val.bin, tokens.json (and Megatron files). run --output overrides it.", Required = true)]
    public string Path { get; set; } = "";

    [Option("Tokenizer: o200k_base, cl100k_base, a tokenizer directory (dataforge tokenizer train) or a SentencePiece .model file.", Required = true)]
    public string Tokenizer { get; init; } = "";

    [Option("Token file layout: nanogpt (train.bin/val.bin), megatron (train_text_document.bin/.idx, val_...), or both.", AllowedValues = ["nanogpt", "megatron", "both"])]
    public string Format { get; init; } = TokenFormats.NanoGpt;

    [Option("Fraction of documents (decided per document id, seeded) that go to the validation split.", Min = 0, Max = 1)]
    public double ValFraction { get; init; } = 0.01;

    [Option("Seed of the train/val split; default: the pipeline seed.", Min = 0)]
    public long? Seed { get; init; }

    public void OverridePath(string path) => Path = path;

    public void Validate(OptionsValidation v)
    {
        if (string.IsNullOrWhiteSpace(Tokenizer)) v.Error("tokenizer", "expected a tokenizer name or path");
    }
}

/// <summary>
/// Tokenizes documents into a tokens directory (docs/reference.md#token-shards): each partition writes its
/// own part files, which <see cref="Finish"/> concatenates in partition order, so the result does not
/// depend on the number of workers.
/// </summary>
[Stage("tokens", StageShape.Sink, "Tokenizes documents into nanoGPT train.bin/val.bin and/or Megatron .bin/.idx token shards with tokens.json; each document ends with the end-of-text id.")]
public sealed class TokensSink : SinkStage
{
    const string PartsDir = "_token_parts";
    readonly TokensSinkOptions _options;
    readonly TextTokenizer _tokenizer;
    readonly ulong _seed;
    readonly ulong _threshold;

    public TokensSink(TokensSinkOptions options, StageInit init) : base(init)
    {
        _options = options;
        OutputPath = init.ResolvePath(options.Path);
        _tokenizer = TextTokenizer.Load(options.Tokenizer, init.BaseDirectory);
        _seed = options.Seed is { } s ? (ulong)s : init.Seed;
        _threshold = ValThreshold(options.ValFraction);
    }

    public override string OutputPath { get; }
    public override string Format => "tokens";

    internal static ulong ValThreshold(double fraction) => fraction >= 1 ? ulong.MaxValue : (ulong)(fraction * 18446744073709551616.0);

    /// <summary>Whether a document goes to the validation split (by id and seed, independent of order).</summary>
    internal static bool IsVal(ReadOnlySpan<byte> id, ulong seed, ulong threshold)
        => threshold > 0 && (threshold == ulong.MaxValue || Seeds.Derive(ValSplitSeed(seed), id) < threshold);

    /// <summary>The seed of the train/val decisions: the stage seed salted with "val", so they differ from other per-id decisions.</summary>
    internal static ulong ValSplitSeed(ulong seed) => seed ^ 0x76616c;

    public override IPartitionSink Open(int partition, SinkContext context)
        => new Part(this, Path.Combine(context.OutputDirectory, PartsDir, $"{partition:D5}"));

    sealed class Part(TokensSink sink, string dir) : IPartitionSink
    {
        readonly TokenDirectoryWriter _writer = new(dir, sink._tokenizer, TokenFormats.Megatron);

        public void Write(DocumentBatch batch)
        {
            for (int i = 0; i < batch.Length; i++)
                (IsVal(batch.Id.GetBytes(i), sink._seed, sink._threshold) ? _writer.Val : _writer.Train).AddDocument(sink._tokenizer.Encode(batch.Text.GetString(i)));
        }

        public IReadOnlyList<ShardInfo> Complete()
        {
            _writer.Complete();
            return [new ShardInfo($"{PartsDir}/{Path.GetFileName(dir)}", _writer.Train.Documents + _writer.Val.Documents, 0, "")];
        }

        public void Dispose() => _writer.Dispose();
    }

    public override IReadOnlyList<ShardInfo> Finish(string outputDirectory, IReadOnlyList<ShardInfo> partitionShards)
    {
        string parts = Path.Combine(outputDirectory, PartsDir);
        var dirs = partitionShards.Select(s => Path.Combine(outputDirectory, s.File)).ToList();
        // A resumed run whose previous attempt finished assembling (and removed the parts) but not the run.
        if (dirs.Count > 0 && dirs.All(d => !Directory.Exists(d)) && File.Exists(Path.Combine(outputDirectory, TokenDirectoryWriter.MetadataFile)))
            return ExistingShards(outputDirectory);
        using (var w = new TokenDirectoryWriter(outputDirectory, _tokenizer, _options.Format))
        {
            var buf = new int[1024];
            foreach (var d in dirs)
                foreach (var (split, writer) in new[] { ("train", w.Train), ("val", w.Val) })
                {
                    using var r = new MegatronReader(Path.Combine(d, split + "_text_document"));
                    for (int i = 0; i < r.Count; i++)
                    {
                        var doc = r.Read(i, ref buf);
                        writer.AddDocument(doc[..^1]);
                    }
                }
            w.Complete(new JsonObject { ["val_fraction"] = _options.ValFraction, ["seed"] = _seed });
            FaultPoints.At("tokens:assembled");
            if (Directory.Exists(parts)) Directory.Delete(parts, recursive: true);
            return OutputShards(outputDirectory, w);
        }
    }

    static List<ShardInfo> ExistingShards(string dir)
    {
        using var meta = System.Text.Json.JsonDocument.Parse(File.ReadAllBytes(Path.Combine(dir, TokenDirectoryWriter.MetadataFile)));
        var list = new List<ShardInfo>();
        foreach (var split in new[] { "train", "val" })
        {
            long docs = meta.RootElement.GetProperty(split + "_documents").GetInt64();
            foreach (var f in new[] { split + ".bin", split + "_text_document.bin", split + "_text_document.idx" })
            {
                string p = Path.Combine(dir, f);
                if (!File.Exists(p)) continue;
                bool counts = f == split + ".bin" || (f.EndsWith(".bin", StringComparison.Ordinal) && !File.Exists(Path.Combine(dir, split + ".bin")));
                list.Add(new ShardInfo(f, counts ? docs : 0, new FileInfo(p).Length, MegatronReader.HashFile(p)));
            }
        }
        return list;
    }

    internal static List<ShardInfo> OutputShards(string dir, TokenDirectoryWriter w)
    {
        var list = new List<ShardInfo>();
        foreach (var (split, writer) in new[] { ("train", w.Train), ("val", w.Val) })
            foreach (var f in new[] { split + ".bin", writer.MegatronPrefix + ".bin", writer.MegatronPrefix + ".idx" })
            {
                string p = Path.Combine(dir, f);
                if (!File.Exists(p)) continue;
                // Rows once per split: on the nanoGPT file, else on the Megatron .bin.
                bool counts = f == split + ".bin" || (f.EndsWith(".bin", StringComparison.Ordinal) && !File.Exists(Path.Combine(dir, split + ".bin")));
                list.Add(new ShardInfo(f, counts ? writer.Documents : 0, new FileInfo(p).Length, MegatronReader.HashFile(p)));
            }
        return list;
    }
}
