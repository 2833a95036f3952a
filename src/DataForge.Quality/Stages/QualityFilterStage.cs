using System.Collections.Concurrent;
using DataForge.Documents;
using DataForge.Execution;
using DataForge.Stages;
using DataForge.Configuration;

namespace DataForge.Quality.Stages;

public sealed class QualityFilterOptions : IValidatableOptions
{
    [Option("Keep documents whose score is at least this (e.g. 0.018112 for DCLM's fastText classifier).")]
    public double? Threshold { get; init; }

    [Option("Keep this fraction of documents with the highest scores (exact over the whole corpus; ties broken by input order).", ExclusiveMin = 0, Max = 1)]
    public double? TopFraction { get; init; }

    [Option("Score column to filter on (written by quality_score or fasttext_score).")]
    public string Column { get; init; } = "quality";

    public void Validate(OptionsValidation v)
    {
        if (Threshold is null == TopFraction is null) v.Error("threshold", "expected exactly one of threshold or top_fraction");
        if (Threshold is { } t && !double.IsFinite(t)) v.Error("threshold", "expected a finite number");
    }
}

/// <summary>
/// Keeps documents by quality score: a fixed <c>threshold</c>, or the exact <c>top_fraction</c> of the corpus.
/// Top fraction runs in two phases: every partition spills its scores (4 bytes per document); the exact score of
/// rank ceil(fraction * N) is found with two histogram passes (bounded memory); documents above it are kept, and
/// of those equal to it only as many as needed, first in input order, so exactly ceil(fraction * N) survive.
/// </summary>
[Stage("quality_filter", StageShape.Global, "Keeps documents whose quality score is at least 'threshold', or exactly the top 'top_fraction' of the corpus (exact corpus-wide quantile).")]
public sealed class QualityFilterStage(QualityFilterOptions options, StageInit init) : GlobalStage(init)
{
    public const string BelowThreshold = "quality_filter.below_threshold";
    public const string BelowTopFraction = "quality_filter.below_top_fraction";
    float _threshold = options.Threshold is { } t ? (float)t : float.NaN;
    readonly ConcurrentDictionary<int, long> _tieCutoff = new();

    public override IGlobalObserver CreateObserver(int partition, GlobalContext context)
        => options.TopFraction is null ? new NullObserver() : new ScoreSpillObserver(ScoreSpillObserver.PathFor(context, partition), options.Column, Type);

    sealed class NullObserver : IGlobalObserver
    {
        public void Observe(DocumentBatch batch, long rowOffset) { }
        public void Complete() { }
    }

    public override void Resolve(GlobalContext context)
    {
        if (options.TopFraction is null) return;
        ResolveTopFraction(context, options.TopFraction.Value);
        // Kept on disk too, for apply in a process that did not resolve (Reopen): the threshold's bits, then (partition, rows) pairs.
        var state = new List<long> { BitConverter.SingleToInt32Bits(_threshold) };
        foreach (var (p, rows) in _tieCutoff.OrderBy(kv => kv.Key)) { state.Add(p); state.Add(rows); }
        DataForge.Dedup.RowResults.Write<long>(context.WorkDirectory, ResolvedFile, 0, state.ToArray());
    }

    const string ResolvedFile = "resolved";

    public override void Reopen(GlobalContext context)
    {
        if (options.TopFraction is null) return;
        var state = DataForge.Dedup.RowResults.ReadAll<long>(context.WorkDirectory, ResolvedFile, 0);
        _threshold = BitConverter.Int32BitsToSingle((int)state[0]);
        _tieCutoff.Clear();
        for (int i = 1; i + 1 < state.Length; i += 2) _tieCutoff[(int)state[i]] = state[i + 1];
    }

    void ResolveTopFraction(GlobalContext context, double fraction)
    {
        var spilled = new SpilledScores(Enumerable.Range(0, context.PartitionCount).Select(p => ScoreSpillObserver.PathFor(context, p)).ToList());
        long n = spilled.Count();
        long keep = (long)Math.Ceiling(fraction * n - 1e-9);
        _tieCutoff.Clear();
        if (keep <= 0) { _threshold = float.PositiveInfinity; return; }
        float t = spilled.OrderStatistics([n - keep])[0];
        // Documents strictly above t are kept; of those equal to t, the first (keep - above) in (partition, row) order.
        long above = 0;
        spilled.ForEach((_, _, v) => { if (SpilledScores.Key(v) > SpilledScores.Key(t)) above++; });
        long quota = keep - above;
        spilled.ForEach((p, row, v) =>
        {
            if (SpilledScores.Key(v) == SpilledScores.Key(t) && quota > 0)
            {
                quota--;
                _tieCutoff[p] = row + 1;
            }
        });
        _threshold = t;
        context.Stats.AddCounter("quality_filter.kept_target", keep);
    }

    public override DocumentBatch Apply(DocumentBatch batch, StageContext context)
    {
        var scores = ScoreColumn.Read(batch, options.Column, Type);
        if (options.TopFraction is null)
            return RowFilter.Apply(batch, context, (_, i) => scores[i] >= _threshold ? null : BelowThreshold);
        uint tk = SpilledScores.Key(_threshold);
        long cutoff = _tieCutoff.GetValueOrDefault(context.Partition, 0);
        long offset = context.RowOffset;
        return RowFilter.Apply(batch, context, (_, i) =>
        {
            uint k = SpilledScores.Key(scores[i]);
            return k > tk || (k == tk && offset + i < cutoff) ? null : BelowTopFraction;
        });
    }
}
