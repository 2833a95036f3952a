using System.Text;
using DataForge.Documents;
using DataForge.Execution;
using DataForge.Stages;
using DataForge.Configuration;

namespace DataForge.Quality.Stages;

public sealed class QualityBucketOptions : IValidatableOptions
{
    [Option("Increasing score edges; bucket i holds edges[i-1] <= score < edges[i] (n edges make n+1 buckets).")]
    public List<double>? Edges { get; init; }

    [Option("Increasing fractions in (0, 1); the edges become the corpus' score quantiles at these fractions (exact).", ExclusiveMin = 0, Max = 1)]
    public List<double>? Quantiles { get; init; }

    [Option("Bucket names, lowest score first (one more than edges or quantiles); default q0, q1, ...")]
    public List<string>? Labels { get; init; }

    [Option("Score column to bucket.")]
    public string Column { get; init; } = "quality";

    [Option("Name of the utf8 column receiving the bucket label.")]
    public string OutputColumn { get; init; } = "quality_bucket";

    public void Validate(OptionsValidation v)
    {
        var cuts = Edges ?? Quantiles;
        if (Edges is null == Quantiles is null) { v.Error("edges", "expected exactly one of edges or quantiles"); return; }
        string name = Edges is null ? "quantiles" : "edges";
        if (cuts!.Count == 0) v.Error(name, "expected at least one value");
        for (int i = 1; i < cuts.Count; i++)
            if (!(cuts[i] > cuts[i - 1])) v.Error(name, $"expected increasing values ({cuts[i]} after {cuts[i - 1]})");
        if (Quantiles is not null && Quantiles.Any(q => q is <= 0 or >= 1)) v.Error("quantiles", "expected fractions strictly between 0 and 1");
        if (Labels is not null && Labels.Count != cuts.Count + 1) v.Error("labels", $"expected {cuts.Count + 1} labels for {cuts.Count} {name}, found {Labels.Count}");
        if (Labels is not null && Labels.Distinct(StringComparer.Ordinal).Count() != Labels.Count) v.Error("labels", "expected distinct labels");
        if (Columns.IsCore(OutputColumn)) v.Error("output_column", $"'{OutputColumn}' is a core column; choose another name");
    }
}

/// <summary>Labels documents by score bucket (for mixing), from fixed edges or exact corpus quantiles.</summary>
[Stage("quality_bucket", StageShape.Global, "Adds a utf8 'quality_bucket' column: the bucket of the quality score, from fixed 'edges' or exact corpus 'quantiles'.")]
public sealed class QualityBucketStage(QualityBucketOptions options, StageInit init) : GlobalStage(init)
{
    float[] _edges = options.Edges?.Select(e => (float)e).ToArray() ?? [];
    readonly byte[][] _labels = (options.Labels ?? Enumerable.Range(0, (options.Edges ?? options.Quantiles)!.Count + 1).Select(i => $"q{i}").ToList())
        .Select(Encoding.UTF8.GetBytes).ToArray();

    public override IGlobalObserver CreateObserver(int partition, GlobalContext context)
        => options.Quantiles is null ? new NoOp() : new ScoreSpillObserver(ScoreSpillObserver.PathFor(context, partition), options.Column, Type);

    sealed class NoOp : IGlobalObserver
    {
        public void Observe(DocumentBatch batch, long rowOffset) { }
        public void Complete() { }
    }

    public override void Resolve(GlobalContext context)
    {
        if (options.Quantiles is not { } qs) return;
        var spilled = new SpilledScores(Enumerable.Range(0, context.PartitionCount).Select(p => ScoreSpillObserver.PathFor(context, p)).ToList());
        long n = spilled.Count();
        if (n == 0) { _edges = qs.Select(q => (float)q).ToArray(); return; }
        // Edge j = the score of ascending rank floor(q_j * n): about a fraction q_j of documents lies below it.
        _edges = spilled.OrderStatistics(qs.Select(q => Math.Min(n - 1, (long)Math.Floor(q * n))).ToList());
        // Kept on disk too, for apply in a process that did not resolve (Reopen).
        DataForge.Dedup.RowResults.Write<float>(context.WorkDirectory, EdgesFile, 0, _edges);
    }

    const string EdgesFile = "edges";

    public override void Reopen(GlobalContext context)
    {
        if (options.Quantiles is not { } qs) return;
        string path = DataForge.Dedup.RowResults.PathFor(context.WorkDirectory, EdgesFile, 0);
        // No file: resolve saw no documents and took the quantiles themselves as edges.
        _edges = File.Exists(path) ? DataForge.Dedup.RowResults.ReadAll<float>(context.WorkDirectory, EdgesFile, 0) : qs.Select(q => (float)q).ToArray();
    }

    /// <summary>The bucket of a score: the number of edges at or below it (NaN: bucket 0).</summary>
    public static int Bucket(float score, ReadOnlySpan<float> edges)
    {
        int b = 0;
        while (b < edges.Length && SpilledScores.Key(score) >= SpilledScores.Key(edges[b])) b++;
        return b;
    }

    public override DocumentBatch Apply(DocumentBatch batch, StageContext context)
    {
        var scores = ScoreColumn.Read(batch, options.Column, Type);
        var col = new Utf8ColumnBuilder(batch.Length, batch.Length * 8 + 16);
        var counts = new long[_labels.Length];
        for (int i = 0; i < batch.Length; i++)
        {
            int b = Bucket(scores[i], _edges);
            col.Append(_labels[b]);
            counts[b]++;
        }
        for (int b = 0; b < counts.Length; b++)
            if (counts[b] > 0) context.Count($"quality_bucket.{Encoding.UTF8.GetString(_labels[b])}", counts[b]);
        return batch.WithColumn(options.OutputColumn, col.Build());
    }
}
