using System.Text;
using DataForge.Determinism;
using DataForge.Documents;
using DataForge.Execution;
using DataForge.Stages;
using DataForge.Configuration;

namespace DataForge.Synth;

/// <summary>Options every generator has (docs/synth.md#generators-sources-math_generate-list_dict_generate: <c>count</c>, <c>seed</c>, <c>kinds</c>, <c>languages</c>).</summary>
public abstract class GeneratorOptions
{
    [Option("Number of items to generate.", Required = true, Min = 0)]
    public long Count { get; init; }

    [Option("Seed of the generator; default: the pipeline seed. Item i depends only on (seed, i).", Min = 0)]
    public long? Seed { get; init; }

    [Option("Items per partition (partitions are fixed ranges of item indices, so the output does not depend on --workers).", Min = 1)]
    public int ItemsPerPartition { get; init; } = 50_000;
}

/// <summary>One generated document.</summary>
public readonly record struct GeneratedItem(string Text, string Lang, byte[] Meta);

/// <summary>
/// A source that generates items: partitions are fixed chunks of the index range and item i is
/// generated from a generator seeded by (seed, i), so output is identical for any worker count.
/// </summary>
public abstract class GeneratorSource : SourceStage
{
    readonly long _count;
    readonly int _chunk;
    readonly byte[] _source;

    protected GeneratorSource(GeneratorOptions options, StageInit init) : base(init)
    {
        _count = options.Count;
        _chunk = options.ItemsPerPartition;
        Seed = options.Seed is { } s ? (ulong)s : init.Seed;
        _source = Encoding.UTF8.GetBytes(init.Name);
    }

    protected ulong Seed { get; }

    /// <summary>Generates item <paramref name="index"/> from its own generator.</summary>
    public abstract GeneratedItem Generate(long index, ref SplitMix64 rng);

    /// <summary>Item <paramref name="index"/>, exactly as the stage writes it.</summary>
    public GeneratedItem Item(long index)
    {
        var rng = new SplitMix64(Seeds.DeriveForIndex(Seed, (ulong)index));
        return Generate(index, ref rng);
    }

    public override IReadOnlyList<PartitionSpec> Plan(PlanContext context)
    {
        var parts = new List<PartitionSpec>();
        for (long s = 0, p = 0; s < _count; s += _chunk, p++)
        {
            long e = Math.Min(_count, s + _chunk);
            parts.Add(new PartitionSpec($"{Name}[{s}..{e})", null, s, e, (int)p));
        }
        return parts;
    }

    public override IEnumerable<DocumentBatch> Read(PartitionSpec partition, SourceContext ctx)
    {
        var b = new DocumentBatchBuilder();
        for (long i = partition.Start; i < partition.End; i++)
        {
            ctx.Cancellation.ThrowIfCancellationRequested();
            var item = Item(i);
            b.Append(Encoding.UTF8.GetBytes($"{Name}-{i:D8}"), Encoding.UTF8.GetBytes(item.Text), _source,
                lang: Encoding.UTF8.GetBytes(item.Lang), meta: item.Meta, hasLang: true, hasMeta: true);
            ctx.BytesRead = i + 1 - partition.Start;
            if (b.Count >= ctx.BatchRows || b.TextBytes >= ctx.BatchBytes)
            {
                yield return Flush(b, ctx);
                b = new DocumentBatchBuilder();
            }
        }
        if (b.Count > 0) yield return Flush(b, ctx);
    }

    static DocumentBatch Flush(DocumentBatchBuilder b, SourceContext ctx)
    {
        var batch = b.Build();
        ctx.Stats.In += batch.Length;
        ctx.Stats.Out += batch.Length;
        ctx.Stats.OutBytes += batch.TextBytes;
        return batch;
    }

    /// <summary>Checks a list option against the allowed names, with a precise message.</summary>
    protected static string[] Choose(List<string>? given, string[] all, string option)
    {
        if (given is null) return all;
        if (given.Count == 0) throw new DataForge.Configuration.OptionException(option, $"expected at least one of: {string.Join(", ", all)}");
        foreach (var g in given)
            if (Array.IndexOf(all, g) < 0)
                throw new DataForge.Configuration.OptionException(option, $"unknown value '{g}'; expected one of: {string.Join(", ", all)}");
        return given.Distinct(StringComparer.Ordinal).ToArray();
    }
}
