using Apache.Arrow;
using Apache.Arrow.Ipc;
using DataForge.Documents;
using DataForge.Execution;
using DataForge.Stages;

namespace DataForge.IO;

/// <summary>Arrow IPC file reader. Batches keep their extra columns as they are.</summary>
[Stage("arrow", StageShape.Source, "Reads Arrow IPC files (as written by the arrow sink); extra columns are kept.")]
public sealed class ArrowSource(TableReaderOptions options, StageInit init) : FileSourceStage(options, init)
{
    public override IReadOnlyList<PartitionSpec> Plan(PlanContext context) => PlanByFile(context, splittable: false);

    public override IEnumerable<DocumentBatch> Read(PartitionSpec partition, SourceContext ctx)
    {
        string path = partition.Path!, display = DisplayPath(path);
        using var fs = InputFiles.OpenRead(path);
        ArrowFileReader reader;
        try
        {
            reader = new ArrowFileReader(fs, leaveOpen: true);
            if (reader.Schema is null) throw new InvalidDataException("no schema");
        }
        catch (Exception ex) when (ex is not InputException)
        {
            ctx.FileFault(display, $"not a readable Arrow IPC file ({ex.Message})");
            yield break;
        }
        using var _ = reader;
        long row = 0;
        while (true)
        {
            RecordBatch? rb;
            try { rb = reader.ReadNextRecordBatch(); }
            catch (Exception ex)
            {
                // Batches before the damage are kept with on_error "skip".
                ctx.FileFault(display, $"corrupt Arrow IPC data after row {row} ({ex.Message})");
                yield break;
            }
            if (rb is null) break;
            var batch = ArrowDocuments.FromRecordBatch(rb, options.TextColumn, options.IdColumn, SourceName(path), options.Source is not null,
                i => $"{display}#{row + i}", out string? error);
            if (batch is null)
            {
                ctx.Reject(display, error!, default);
                yield break;
            }
            row += rb.Length;
            ctx.Stats.In += batch.Length;
            ctx.Stats.Out += batch.Length;
            ctx.Stats.OutBytes += batch.TextBytes;
            ctx.BytesRead = fs.Position;
            yield return batch;
        }
    }
}

/// <summary>Turns an arbitrary Arrow record batch into a document batch (core columns first).</summary>
public static class ArrowDocuments
{
    public static DocumentBatch? FromRecordBatch(RecordBatch rb, string textColumn, string idColumn, string source, bool sourceFixed,
        Func<int, string> fallbackId, out string? error)
    {
        error = null;
        int ti = rb.Schema.GetFieldIndex(textColumn);
        if (ti < 0 || rb.Column(ti) is not StringArray text)
        {
            error = ti < 0
                ? $"no column '{textColumn}' (columns: {string.Join(", ", rb.Schema.FieldsList.Select(f => f.Name))}); set text_column"
                : $"column '{textColumn}' must be utf8, found {rb.Schema.GetFieldByIndex(ti).DataType.Name}";
            return null;
        }
        StringArray? Str(string name) => rb.Schema.GetFieldIndex(name) is var i and >= 0 ? rb.Column(i) as StringArray : null;
        var id = Str(idColumn);
        var src = sourceFixed ? null : Str(Columns.Source);
        int n = rb.Length;
        var idB = new Utf8ColumnBuilder(n);
        var srcB = new Utf8ColumnBuilder(n);
        for (int i = 0; i < n; i++)
        {
            if (id is not null && !id.IsNull(i)) idB.Append(id.GetBytes(i)); else idB.Append(fallbackId(i));
            if (src is not null && !src.IsNull(i)) srcB.Append(src.GetBytes(i)); else srcB.Append(source);
        }
        IArrowArray Optional(string name)
        {
            if (Str(name) is { } a) return a;
            var b = new Utf8ColumnBuilder(n);
            for (int i = 0; i < n; i++) b.AppendNull();
            return b.Build();
        }
        var arrays = new List<IArrowArray> { idB.Build(), text, srcB.Build(), Optional(Columns.Url), Optional(Columns.Lang), Optional(Columns.Meta) };
        var fields = DocumentBatch.CoreSchema.FieldsList.ToList();
        for (int c = 0; c < rb.ColumnCount; c++)
        {
            var f = rb.Schema.GetFieldByIndex(c);
            if (f.Name == textColumn || f.Name == idColumn || Columns.IsCore(f.Name)) continue;
            if (f.DataType.TypeId is not (Apache.Arrow.Types.ArrowTypeId.String or Apache.Arrow.Types.ArrowTypeId.Float or Apache.Arrow.Types.ArrowTypeId.Double
                or Apache.Arrow.Types.ArrowTypeId.Int32 or Apache.Arrow.Types.ArrowTypeId.Int64 or Apache.Arrow.Types.ArrowTypeId.Boolean))
            {
                error = $"column '{f.Name}' has type {f.DataType.Name}, which DataForge cannot carry (supported: utf8, float, double, int32, int64, bool); drop or convert it first";
                return null;
            }
            fields.Add(f);
            arrays.Add(rb.Column(c));
        }
        return new DocumentBatch(new RecordBatch(new Schema(fields, null), arrays, n));
    }
}
