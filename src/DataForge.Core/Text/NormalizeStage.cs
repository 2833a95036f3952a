using System.Text;
using DataForge.Documents;
using DataForge.Execution;
using DataForge.Stages;
using DataForge.Configuration;

namespace DataForge.Text;

public sealed class NormalizeOptions
{
    [Option("Unicode normalisation form: \"NFC\" (canonical composition), \"NFKC\" (also folds compatibility characters such as full-width letters and ligatures) or \"none\".", AllowedValues = ["NFC", "NFKC", "none"])]
    public string Form { get; init; } = "NFC";

    [Option("Collapse runs of spaces inside a line to one space (indentation at line start is kept, so code survives).")]
    public bool CollapseSpaces { get; init; } = true;

    [Option("Blank lines allowed in a row; longer runs collapse to this many.", Min = 0, Max = 100)]
    public int MaxBlankLines { get; init; } = 1;

    [Option("Remove control and invisible format characters (C0/C1 controls except tab and newline, DEL, BOM, zero-width space, soft hyphen).")]
    public bool RemoveControls { get; init; } = true;

    [Option("Drop documents that are empty after normalisation (reason normalize.empty).")]
    public bool DropEmpty { get; init; } = true;
}

/// <summary>Unicode normalisation and whitespace/control/line-ending cleanup of the text column.</summary>
[Stage("normalize", StageShape.Map, "Unicode NFC/NFKC, line endings to \\n, control characters removed, spaces and blank lines collapsed, text trimmed.")]
public sealed class NormalizeStage(NormalizeOptions options, StageInit init) : MapStage(init), IMaskedStage
{
    public const string EmptyReason = "normalize.empty";
    readonly NormalizationForm? _form = options.Form switch { "NFKC" => NormalizationForm.FormKC, "none" => null, _ => NormalizationForm.FormC };
    readonly CleanupRules _rules = new(options.CollapseSpaces, options.MaxBlankLines, options.RemoveControls);

    public override DocumentBatch Process(DocumentBatch batch, StageContext context) => MaskedStage.Run(this, batch, context);

    public DocumentBatch ProcessMasked(DocumentBatch batch, bool[] alive, StageContext context)
    {
        var text = new Utf8ColumnBuilder(batch.Length, (int)Math.Min(int.MaxValue, batch.TextBytes + 64));
        byte[]? scratch = null;
        long changed = 0;
        for (int i = 0; i < batch.Length; i++)
        {
            // Rows dropped earlier are left empty: they are removed before anything reads them.
            if (!alive[i]) { text.Append(ReadOnlySpan<byte>.Empty); continue; }
            var original = batch.GetText(i);
            var normalized = Normalizer.UnicodeNormalize(original, _form, ref scratch);
            var dest = text.Reserve(normalized.Length);
            int n = Normalizer.Clean(normalized, dest, _rules, out bool cleaned);
            if (cleaned || normalized != original) changed++;
            text.Commit(n);
            if (n == 0 && options.DropEmpty)
            {
                alive[i] = false;
                context.Drop(batch, i, EmptyReason);
            }
        }
        context.Count("normalize.changed", changed);
        return batch.WithColumn(Columns.Text, text.Build());
    }
}
