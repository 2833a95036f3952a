using DataForge.Documents;
using DataForge.Execution;
using DataForge.Pipelines;
using DataForge.Stages;
using DataForge.Configuration;

namespace DataForge.Quality.Stages;

/// <summary>Scores one document's UTF-8 text; an instance serves one batch on one thread.</summary>
public delegate float DocumentScorer(ReadOnlySpan<byte> text);

/// <summary>
/// A stage that adds one float32 score column and records the scores' histogram: the shared part of
/// <c>quality_score</c> and <c>fasttext_score</c>, which differ only in the model behind the score.
/// </summary>
public abstract class ScoreStage : MapStage
{
    static readonly double[] Edges = Histogram.UnitEdges(50);
    readonly string _column;

    protected ScoreStage(StageInit init, string column) : base(init)
    {
        if (string.IsNullOrWhiteSpace(column)) throw new OptionException("column", "expected a column name");
        if (Columns.IsCore(column)) throw new OptionException("column", $"'{column}' is a core column; choose another name");
        _column = column;
    }

    /// <summary>The model file's full path; a missing file is an option error with a hint.</summary>
    protected static string ModelPath(StageInit init, string model, string hint = "")
    {
        string path = init.ResolvePath(model);
        if (!File.Exists(path)) throw new OptionException("model", $"file not found: {path}{hint}");
        return path;
    }

    /// <summary>A scorer with its own scratch buffers, used for one batch.</summary>
    protected abstract DocumentScorer CreateScorer();

    public override DocumentBatch Process(DocumentBatch batch, StageContext context)
    {
        var score = CreateScorer();
        var col = new PrimitiveColumnBuilder<float>(batch.Length);
        for (int i = 0; i < batch.Length; i++)
        {
            float p = score(batch.GetText(i));
            col.Append(p);
            context.Stats.Observe(_column, p, Edges);
        }
        return batch.WithColumn(_column, col.Build());
    }
}
