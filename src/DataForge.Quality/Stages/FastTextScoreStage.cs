using DataForge.Documents;
using DataForge.Execution;
using DataForge.Pipelines;
using DataForge.Quality.FastText;
using DataForge.Stages;
using DataForge.Configuration;

namespace DataForge.Quality.Stages;

public sealed class FastTextScoreOptions
{
    [Option("Path to a fastText supervised model (.bin as written by 'fasttext supervised', e.g. DCLM's classifier).", Required = true)]
    public string Model { get; init; } = "";

    [Option("Label whose probability becomes the score.")]
    public string Label { get; init; } = "__label__hq";

    [Option("Name of the float32 column the score is written to.")]
    public string Column { get; init; } = "fasttext_quality";
}

/// <summary>Scores documents with a fastText supervised model, as <c>fasttext predict-prob</c> does.</summary>
[Stage("fasttext_score", StageShape.Map, "Adds a float32 column with a fastText supervised model's probability of a label (same values as 'fasttext predict-prob').")]
public sealed class FastTextScoreStage : ScoreStage
{
    readonly FastTextModel _model;
    readonly int _label;

    public FastTextScoreStage(FastTextScoreOptions options, StageInit init) : base(init, options.Column)
    {
        string path = ModelPath(init, options.Model);
        try
        {
            _model = FastTextModel.Load(path);
        }
        catch (Exception ex) when (ex is InvalidDataException or NotSupportedException)
        {
            throw new OptionException("model", ex.Message);
        }
        _label = _model.LabelIndex(options.Label);
        if (_label < 0) throw new OptionException("label", $"the model has no label '{options.Label}'; its labels: {string.Join(", ", _model.Labels)}");
    }

    protected override DocumentScorer CreateScorer()
    {
        var scratch = new FastTextModel.Scratch();
        var probs = new float[_model.Labels.Count];
        return text =>
        {
            _model.Predict(text, probs, scratch);
            return probs[_label];
        };
    }
}
