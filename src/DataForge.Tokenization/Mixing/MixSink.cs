using DataForge.Documents;
using DataForge.Execution;
using DataForge.Pipelines;
using DataForge.Stages;
using DataForge.Configuration;

namespace DataForge.Tokenization.Mixing;

public sealed class MixSinkOptions : MixSettings, IHasOutputPath
{
    [Option("Output directory: OUTPUT/<phase>/ per phase and OUTPUT/mix_report.json. run --output overrides it.", Required = true)]
    public string Path { get; set; } = "";

    public void OverridePath(string path) => Path = path;

    public override void Validate(OptionsValidation v)
    {
        base.Validate(v);
        foreach (var s in Sources.Where(s => s.Path is not null))
            v.Error("sources", $"source '{s.Name}': path is not allowed in the mix stage (its documents are those whose source column is '{s.Name}')");
    }
}

/// <summary>
/// The <c>mix</c> stage: documents of the pipeline are tokenized and spilled per (source, bucket) by
/// each partition; once all partitions are done, <see cref="Finish"/> mixes them into one tokens
/// directory per phase (see <see cref="Mixer"/>). Sources are matched by the <c>source</c> column.
/// </summary>
[Stage("mix", StageShape.Sink, "Mixes documents by source and bucket into per-phase token shards (weights in tokens, token budgets, max_epochs repetition caps) with mix_report.json.")]
public sealed class MixSink : SinkStage
{
    const string PartsDir = "_mix_parts";
    /// <summary>Inside the parts directory; partition directories are named by number, so this never clashes.</summary>
    const string StagingDir = "mixed";
    readonly MixSinkOptions _options;
    readonly TextTokenizer _tokenizer;
    readonly ulong _seed;
    readonly Dictionary<string, MixSourceOptions> _sources;

    public MixSink(MixSinkOptions options, StageInit init) : base(init)
    {
        _options = options;
        OutputPath = init.ResolvePath(options.Path);
        _tokenizer = TextTokenizer.Load(options.Tokenizer, init.BaseDirectory);
        _seed = options.Seed is { } s ? (ulong)s : init.Seed;
        _sources = options.Sources.ToDictionary(s => s.Name, StringComparer.Ordinal);
    }

    public override string OutputPath { get; }
    public override string Format => "tokens";

    public override IPartitionSink Open(int partition, SinkContext context)
        => new Part(this, Path.Combine(context.OutputDirectory, PartsDir, $"{partition:D5}"));

    sealed class Part(MixSink sink, string dir) : IPartitionSink
    {
        readonly MixSpillWriter _spill = new(dir, sink._tokenizer);
        long _rows;

        public void Write(DocumentBatch batch)
        {
            var columns = new Dictionary<string, string[]?>(StringComparer.Ordinal);
            _spill.AddBatch(batch, (b, i) =>
            {
                string source = b.Source.GetString(i);
                if (!sink._sources.TryGetValue(source, out var so) || so.BucketColumn is not { } bc) return new MixKey(source, null);
                if (!columns.TryGetValue(bc, out var values)) columns[bc] = values = MixSpillWriter.BucketValues(b, bc);
                if (values is null) throw new InputException($"mix: source '{source}': the documents have no column '{bc}' and no '{bc}' field in meta (bucket_column)");
                return new MixKey(source, values[i]);
            }, threads: 1);
            _rows += batch.Length;
        }

        public IReadOnlyList<ShardInfo> Complete()
        {
            _spill.Complete();
            return [new ShardInfo($"{PartsDir}/{Path.GetFileName(dir)}", _rows, 0, "")];
        }

        public void Dispose() => _spill.Dispose();
    }

    public override IReadOnlyList<ShardInfo> Finish(string outputDirectory, IReadOnlyList<ShardInfo> partitionShards)
    {
        var dirs = partitionShards.Select(s => Path.Combine(outputDirectory, s.File)).ToList();
        string parts = Path.Combine(outputDirectory, PartsDir);
        // Phases are written beside the parts and moved into place complete, as dataforge mix does; the
        // pipeline runner writes _SUCCESS after this returns.
        string staging = Path.Combine(parts, StagingDir);
        // A resumed run whose previous attempt finished mixing (and removed the parts) but not the run: keep its output.
        bool done = dirs.Count > 0 && dirs.All(d => !Directory.Exists(d)) && File.Exists(Path.Combine(outputDirectory, Mixer.ReportFile));
        if (!done)
        {
            // A staging an interrupted attempt completed is moved as it is; the mix is deterministic either way.
            if (!Mixer.IsStaged(staging)) Mixer.MixFromSpills(_options, Name, _tokenizer, dirs, staging, _seed);
            Mixer.Publish(staging, outputDirectory);
        }
        // Renamed before it is removed: a kill while removing must not leave some partitions' spills without the others.
        string removing = parts + ".removing";
        if (Directory.Exists(removing)) Directory.Delete(removing, recursive: true);
        if (Directory.Exists(parts))
        {
            Directory.Move(parts, removing);
            Directory.Delete(removing, recursive: true);
        }
        var shards = new List<ShardInfo>();
        foreach (var phase in _options.Phases.Select(p => p.Name))
            foreach (var f in Directory.EnumerateFiles(Path.Combine(outputDirectory, phase)).Order(StringComparer.Ordinal))
                shards.Add(new ShardInfo($"{phase}/{Path.GetFileName(f)}", 0, new FileInfo(f).Length, MegatronReader.HashFile(f)));
        return shards;
    }
}
