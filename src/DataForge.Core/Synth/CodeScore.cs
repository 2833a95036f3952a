using DataForge.Documents;
using DataForge.Execution;
using DataForge.Filters;
using DataForge.Stages;
using DataForge.Configuration;

namespace DataForge.Synth;

public sealed class CodeScoreOptions
{
    [Option("Drop documents scoring below this (reason code_score.below_min); default: keep all and only add the columns.", Min = 0, Max = 1)]
    public double? MinScore { get; init; }

    [Option("URL domains that count as evidence of code; an entry ending in .* matches any suffix (docs.*). Default: github.com, stackoverflow.com, docs.*, ...")]
    public List<string>? CodeDomains { get; init; }

    [Option("File of keyword sets replacing the built-in ones: one line per language, 'python: def self elif ...' (# comments).")]
    public string? KeywordsFile { get; init; }
}

/// <summary>Adds <c>code_score</c> (float32, 0..1) and <c>code_lang</c> (utf8, null when no language is evident).</summary>
[Stage("code_score", StageShape.Map, "Scores evidence of program code (fenced blocks, code-shaped lines, keyword density per language, code domains); adds code_score and code_lang.")]
public sealed class CodeScoreStage : MapStage
{
    readonly CodeEvidence _evidence;
    readonly double? _min;
    static readonly double[] Edges = Histogram.UnitEdges(20);

    public CodeScoreStage(CodeScoreOptions options, StageInit init) : base(init)
    {
        var keywords = options.KeywordsFile is { } k ? CodeEvidence.LoadKeywords(init.ResolvePath(k), "keywords_file") : null;
        _evidence = new CodeEvidence(keywords, options.CodeDomains);
        _min = options.MinScore;
    }

    public override DocumentBatch Process(DocumentBatch batch, StageContext context)
    {
        var scores = new PrimitiveColumnBuilder<float>(batch.Length);
        var langs = new Utf8ColumnBuilder(batch.Length, 16 * batch.Length + 16);
        for (int i = 0; i < batch.Length; i++)
        {
            var text = TextRuleStage.Decode(batch.GetText(i));
            string url = batch.Url.IsNull(i) ? "" : batch.Url.GetString(i);
            var f = _evidence.Analyze(text, url);
            scores.Append(f.Score);
            if (f.Lang is null) langs.AppendNull(); else langs.Append(f.Lang);
            context.Stats.Observe("code_score", f.Score, Edges);
        }
        var result = batch.WithColumn("code_score", scores.Build()).WithColumn("code_lang", langs.Build());
        if (_min is not { } min) return result;
        var col = (Apache.Arrow.FloatArray)result.Column("code_score")!;
        return RowFilter.Apply(result, context, (b, i) => col.GetValue(i) < min ? "code_score.below_min" : null);
    }
}
