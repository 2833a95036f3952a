using DataForge.Documents;
using DataForge.Execution;
using DataForge.Pipelines;
using DataForge.Quality.FastText;
using DataForge.Stages;

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
public sealed class FastTextScoreStage : MapStage
{
    readonly FastTextModel _model;
    readonly int _label;
    readonly string _column;
    static readonly double[] Edges = Histogram.UnitEdges(50);

    public FastTextScoreStage(FastTextScoreOptions options, StageInit init) : base(init)
    {
        if (string.IsNullOrWhiteSpace(options.Column)) throw new OptionException("column", "expected a column name");
        if (Columns.IsCore(options.Column)) throw new OptionException("column", $"'{options.Column}' is a core column; choose another name");
        string path = init.ResolvePath(options.Model);
        if (!File.Exists(path)) throw new OptionException("model", $"file not found: {path}");
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
        _column = options.Column;
    }

    public override DocumentBatch Process(DocumentBatch batch, StageContext context)
    {
        var scratch = new FastTextModel.Scratch();
        var probs = new float[_model.Labels.Count];
        var col = new PrimitiveColumnBuilder<float>(batch.Length);
        for (int i = 0; i < batch.Length; i++)
        {
            _model.Predict(batch.GetText(i), probs, scratch);
            float p = probs[_label];
            col.Append(p);
            context.Stats.Observe(_column, p, Edges);
        }
        return batch.WithColumn(_column, col.Build());
    }
}
