using DataForge.Documents;
using DataForge.Execution;
using DataForge.Pipelines;
using DataForge.Quality.Features;
using DataForge.Quality.Model;
using DataForge.Stages;

namespace DataForge.Quality.Stages;

public sealed class QualityScoreOptions
{
    [Option("Path to a model zip written by 'dataforge quality train'.", Required = true)]
    public string Model { get; init; } = "";

    [Option("Name of the float32 column the probability of high quality is written to.")]
    public string Column { get; init; } = "quality";
}

/// <summary>Adds the quality classifier's probability as a float32 column; scores are a sparse dot product per document.</summary>
[Stage("quality_score", StageShape.Map, "Adds a float32 'quality' column: the DataForge quality classifier's probability that a document is high quality.")]
public sealed class QualityScoreStage : MapStage
{
    readonly QualityModel _model;
    readonly FeaturizerPool _pool;
    readonly string _column;
    static readonly double[] Edges = Histogram.UnitEdges(50);

    public QualityScoreStage(QualityScoreOptions options, StageInit init) : base(init)
    {
        if (string.IsNullOrWhiteSpace(options.Column)) throw new OptionException("column", "expected a column name");
        if (Columns.IsCore(options.Column)) throw new OptionException("column", $"'{options.Column}' is a core column; choose another name");
        string path = init.ResolvePath(options.Model);
        if (!File.Exists(path)) throw new OptionException("model", $"file not found: {path} (train one with 'dataforge quality train', see docs/quality.md)");
        try
        {
            _model = QualityModel.Load(path);
        }
        catch (InvalidDataException ex)
        {
            throw new OptionException("model", ex.Message);
        }
        _pool = new FeaturizerPool(_model.Settings);
        _column = options.Column;
    }

    public override DocumentBatch Process(DocumentBatch batch, StageContext context)
    {
        var featurizer = _pool.Get();
        var idx = new int[512];
        var val = new float[512];
        var col = new PrimitiveColumnBuilder<float>(batch.Length);
        for (int i = 0; i < batch.Length; i++)
        {
            float p = _model.Score(batch.GetText(i), featurizer, ref idx, ref val);
            col.Append(p);
            context.Stats.Observe(_column, p, Edges);
        }
        return batch.WithColumn(_column, col.Build());
    }
}
