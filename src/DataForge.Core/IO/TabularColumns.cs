using System.Text.Encodings.Web;
using System.Text.Json;
using Apache.Arrow;
using DataForge.Documents;

namespace DataForge.IO;

/// <summary>
/// Assembles a document batch from named columns of a table (parquet, CSV, Arrow): maps the text,
/// id and core columns, keeps supported typed columns, and folds the rest into <c>meta</c>.
/// </summary>
internal sealed class TabularBatchAssembler(string textColumn, string idColumn, string defaultSource, bool sourceFixed)
{
    public string TextColumn { get; } = textColumn;
    public string IdColumn { get; } = idColumn;

    static readonly JsonWriterOptions MetaJson = new() { Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping };

    /// <summary>
    /// Builds a batch from string columns (CSV, parquet strings) and typed extra arrays.
    /// Rows whose text is null are reported through <paramref name="reject"/> and left out.
    /// </summary>
    public DocumentBatch Build(int rows, IReadOnlyDictionary<string, string?[]> strings, IReadOnlyList<(string Name, IArrowArray Array)> typed,
        Func<int, string> fallbackId, Action<int, string> reject, IReadOnlyList<(string Name, Func<int, string?> Json)> metaColumns)
    {
        var text = strings[TextColumn];
        strings.TryGetValue(IdColumn, out var ids);
        strings.TryGetValue(Columns.Source, out var sources);
        strings.TryGetValue(Columns.Url, out var urls);
        strings.TryGetValue(Columns.Lang, out var langs);
        strings.TryGetValue(Columns.Meta, out var metas);
        var extraStrings = strings.Where(kv => kv.Key != TextColumn && kv.Key != IdColumn && !Columns.IsCore(kv.Key)).ToList();
        var keep = new List<int>(rows);
        var b = new DocumentBatchBuilder();
        var metaBuf = new System.Buffers.ArrayBufferWriter<byte>();
        for (int i = 0; i < rows; i++)
        {
            if (text[i] is null) { reject(i, $"column '{TextColumn}' is null"); continue; }
            keep.Add(i);
            b.Id.Append(ids?[i] ?? fallbackId(i));
            b.Text.Append(text[i]!);
            b.Source.Append(!sourceFixed && sources?[i] is { } s ? s : defaultSource);
            AppendOptional(b.Url, urls?[i]);
            AppendOptional(b.Lang, langs?[i]);
            if (extraStrings.Count == 0 && metaColumns.Count == 0) AppendOptional(b.Meta, metas?[i]);
            else
            {
                metaBuf.ResetWrittenCount();
                using (var w = new Utf8JsonWriter(metaBuf, MetaJson))
                {
                    w.WriteStartObject();
                    if (metas?[i] is { } m)
                    {
                        // A meta object is merged; anything else is kept under "meta".
                        JsonDocument? doc = null;
                        try { doc = JsonDocument.Parse(m); } catch (JsonException) { }
                        using (doc)
                        {
                            if (doc?.RootElement.ValueKind == JsonValueKind.Object)
                                foreach (var p in doc.RootElement.EnumerateObject()) p.WriteTo(w);
                            else if (doc is not null) { w.WritePropertyName("meta"); doc.RootElement.WriteTo(w); }
                            else w.WriteString("meta", m);
                        }
                    }
                    foreach (var (name, col) in extraStrings) if (col[i] is { } v) w.WriteString(name, v);
                    foreach (var (name, json) in metaColumns) if (json(i) is { } v) { w.WritePropertyName(name); w.WriteRawValue(v); }
                    w.WriteEndObject();
                }
                b.Meta.Append(metaBuf.WrittenSpan);
            }
        }
        var batch = b.Build();
        if (typed.Count == 0) return batch;
        var rowsKept = keep.ToArray();
        foreach (var (name, array) in typed)
            batch = batch.WithColumn(name, rowsKept.Length == rows ? array : ArrowTake.Take(array, rowsKept));
        return batch;
    }

    static void AppendOptional(Utf8ColumnBuilder b, string? v)
    {
        if (v is null) b.AppendNull(); else b.Append(v);
    }
}
