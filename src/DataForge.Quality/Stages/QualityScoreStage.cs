using DataForge.Documents;
using DataForge.Execution;
using DataForge.Pipelines;
using DataForge.Quality.Features;
using DataForge.Quality.Model;
using DataForge.Stages;
using DataForge.Configuration;

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
public sealed class QualityScoreStage : ScoreStage
{
    readonly QualityModel _model;
    readonly FeaturizerPool _pool;

    public QualityScoreStage(QualityScoreOptions options, StageInit init) : base(init, options.Column)
    {
        string path = ModelPath(init, options.Model, " (train one with 'dataforge quality train', see docs/quality.md)");
        try
        {
            _model = QualityModel.Load(path);
        }
        catch (InvalidDataException ex)
        {
            throw new OptionException("model", ex.Message);
        }
        _pool = new FeaturizerPool(_model.Settings);
    }

    protected override DocumentScorer CreateScorer()
    {
        var featurizer = _pool.Get();
        var idx = new int[512];
        var val = new float[512];
        return text => _model.Score(text, featurizer, ref idx, ref val);
    }
}
