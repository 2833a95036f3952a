using DataForge.Determinism;
using DataForge.Documents;
using DataForge.Execution;
using DataForge.Stages;
using DataForge.Configuration;

namespace DataForge.Filters;

public sealed class SampleOptions
{
    [Option("Fraction of documents to keep.", Min = 0, Max = 1, Required = true)]
    public double Fraction { get; init; }

    [Option("Seed of the sample; default: the pipeline seed.", Min = 0)]
    public long? Seed { get; init; }
}

/// <summary>
/// Keeps a seeded fraction of documents. The decision hashes the document id with the seed, so it
/// is the same whatever the partitioning, worker count or position of the document.
/// </summary>
[Stage("sample", StageShape.Map, "Keeps a seeded random fraction of documents (decided per document id, independent of partitioning).")]
public sealed class SampleStage(SampleOptions options, StageInit init) : RowRuleStage(init)
{
    public const string Reason = "sample.not_sampled";
    readonly ulong _seed = options.Seed is { } s ? (ulong)s : init.Seed;
    readonly ulong _threshold = options.Fraction >= 1 ? ulong.MaxValue : (ulong)(options.Fraction * 18446744073709551616.0);

    public static bool Keep(ReadOnlySpan<byte> id, ulong seed, ulong threshold, bool all)
        => all || Seeds.Derive(seed, id) < threshold;

    protected override string? Rule(DocumentBatch batch, int row, StageContext context)
        => Keep(batch.Id.GetBytes(row), _seed, _threshold, options.Fraction >= 1) ? null : Reason;
}
