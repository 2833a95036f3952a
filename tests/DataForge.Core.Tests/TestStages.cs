using System.Collections.Concurrent;
using System.IO.Hashing;
using DataForge.Documents;
using DataForge.Execution;
using DataForge.Stages;
using DataForge.Configuration;

namespace DataForge.Tests;

public sealed class NoOptions;

/// <summary>A small global stage (exact text dedup, first occurrence kept) that exercises the engine's global phases.</summary>
[Stage("test_exact_dedup", StageShape.Global, "Test only: drops documents whose text appeared earlier in input order.")]
public sealed class TestExactDedup(NoOptions options, StageInit init) : GlobalStage(init)
{
    readonly ConcurrentDictionary<int, bool[]> _keep = new();
    string? _dir;
    public NoOptions Options => options;

    public override IGlobalObserver CreateObserver(int partition, GlobalContext context) => new Observer(Path.Combine(context.WorkDirectory, $"hashes-{partition:D5}.bin"));

    sealed class Observer(string path) : IGlobalObserver
    {
        readonly List<ulong> _hashes = [];
        public void Observe(DocumentBatch batch, long rowOffset)
        {
            Assert.Equal(_hashes.Count, rowOffset);
            for (int i = 0; i < batch.Length; i++) _hashes.Add(XxHash64.HashToUInt64(batch.GetText(i)));
        }

        public void Complete()
        {
            using var w = new BinaryWriter(File.Create(path + ".tmp"));
            w.Write(_hashes.Count);
            foreach (var h in _hashes) w.Write(h);
            w.Close();
            File.Move(path + ".tmp", path, true);
        }
    }

    public override void Resolve(GlobalContext context)
    {
        _dir = context.WorkDirectory;
        var seen = new HashSet<ulong>();
        for (int p = 0; p < context.PartitionCount; p++)
        {
            string path = Path.Combine(_dir, $"hashes-{p:D5}.bin");
            if (!File.Exists(path)) { _keep[p] = []; continue; }
            using var r = new BinaryReader(File.OpenRead(path));
            int n = r.ReadInt32();
            var keep = new bool[n];
            for (int i = 0; i < n; i++) keep[i] = seen.Add(r.ReadUInt64());
            _keep[p] = keep;
        }
        context.Stats.AddCounter("test_exact_dedup.unique", seen.Count);
    }

    public override DocumentBatch Apply(DocumentBatch batch, StageContext context)
    {
        var keep = _keep[context.Partition];
        long offset = context.RowOffset;
        return RowFilter.Apply(batch, context, (b, i) => keep[offset + i] ? null : "test_exact_dedup.duplicate");
    }
}

public sealed class ExplodeOptions
{
    [Option("Throw when this many batches have passed through all instances.", Min = 0)]
    public int AfterBatches { get; init; }

    [Option("File created when the stage throws; while it exists the stage passes everything (so a resumed run succeeds).", Required = true)]
    public string Marker { get; init; } = "";
}

/// <summary>Fails the run after N batches, to leave a half-finished output directory behind.</summary>
[Stage("test_explode", StageShape.Map, "Test only: throws once after a number of batches.")]
public sealed class TestExplode(ExplodeOptions options, StageInit init) : MapStage(init)
{
    int _seen;
    public override DocumentBatch Process(DocumentBatch batch, StageContext context)
    {
        if (!File.Exists(options.Marker) && Interlocked.Increment(ref _seen) > options.AfterBatches)
        {
            File.WriteAllText(options.Marker, "");
            throw new InvalidOperationException("boom");
        }
        return batch;
    }
}

/// <summary>Test only: one document per paragraph; documents without text produce nothing (dropped).</summary>
[Stage("test_split_paragraphs", StageShape.Expand, "Test only: splits documents into paragraphs.")]
public sealed class TestSplitParagraphs(NoOptions options, StageInit init) : ExpandStage(init)
{
    public NoOptions Options => options;

    public override DocumentBatch Expand(DocumentBatch batch, StageContext context)
    {
        var b = new DocumentBatchBuilder();
        for (int i = 0; i < batch.Length; i++)
        {
            var paragraphs = batch.Text.GetString(i).Split("\n\n", StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
            if (paragraphs.Length == 0) { context.Drop(batch, i, "test_split_paragraphs.empty"); continue; }
            for (int p = 0; p < paragraphs.Length; p++)
                b.Append(System.Text.Encoding.UTF8.GetBytes($"{batch.GetId(i)}/p{p}"), System.Text.Encoding.UTF8.GetBytes(paragraphs[p]), batch.Source.GetBytes(i));
        }
        return b.Build();
    }
}

/// <summary>Test only: returns every batch as it is (a map stage that is not masked, so the executor compacts before it).</summary>
[Stage("test_pass_through", StageShape.Map, "Test only: passes batches through unchanged.")]
public sealed class TestPassThrough(NoOptions options, StageInit init) : MapStage(init)
{
    public NoOptions Options => options;
    public override DocumentBatch Process(DocumentBatch batch, StageContext context) => batch;
}

/// <summary>
/// Test only: declares a type that a built-in stage already has, for the plugin clash error. Registries that
/// add this assembly with <see cref="StageRegistry.With"/> keep the built-in stage.
/// </summary>
[Stage("normalize", StageShape.Map, "Test only: a stage type that clashes with a built-in one.")]
public sealed class TestClashingNormalize(NoOptions options, StageInit init) : MapStage(init)
{
    public NoOptions Options => options;
    public override DocumentBatch Process(DocumentBatch batch, StageContext context) => batch;
}
