using Apache.Arrow;
using Apache.Arrow.Types;

namespace DataForge.Documents;

/// <summary>Names of the columns every document batch has.</summary>
public static class Columns
{
    public const string Id = "id";
    public const string Text = "text";
    public const string Source = "source";
    public const string Url = "url";
    public const string Lang = "lang";
    public const string Meta = "meta";

    /// <summary>The core columns, in the order every batch starts with.</summary>
    public static readonly string[] Core = [Id, Text, Source, Url, Lang, Meta];

    public static bool IsCore(string name) => System.Array.IndexOf(Core, name) >= 0;
}

/// <summary>
/// A batch of documents: an Arrow <see cref="RecordBatch"/> whose first columns are
/// <see cref="Columns.Core"/> (utf8; url, lang and meta nullable), followed by columns stages add.
/// Text stays UTF-8 in Arrow buffers; stages read it as spans.
/// </summary>
public sealed class DocumentBatch : IDisposable
{
    public DocumentBatch(RecordBatch batch)
    {
        Batch = batch;
        Id = Utf8(Columns.Id);
        Text = Utf8(Columns.Text);
        Source = Utf8(Columns.Source);
        Url = Utf8(Columns.Url);
        Lang = Utf8(Columns.Lang);
        Meta = Utf8(Columns.Meta);
    }

    StringArray Utf8(string name)
        => Batch.Column(name) as StringArray
           ?? throw new InvalidOperationException($"document batch column '{name}' must be utf8, found {Batch.Schema.GetFieldByName(name)?.DataType.Name ?? "nothing"}");

    public RecordBatch Batch { get; }
    public int Length => Batch.Length;
    public StringArray Id { get; }
    public StringArray Text { get; }
    public StringArray Source { get; }
    public StringArray Url { get; }
    public StringArray Lang { get; }
    public StringArray Meta { get; }
    public Schema Schema => Batch.Schema;

    public ReadOnlySpan<byte> GetText(int row) => Text.GetBytes(row);
    public string GetId(int row) => Id.GetString(row);

    /// <summary>Total UTF-8 bytes of text in the batch.</summary>
    public long TextBytes => Text.ValueOffsets[Length] - Text.ValueOffsets[0];

    public IArrowArray? Column(string name)
    {
        int i = Batch.Schema.GetFieldIndex(name);
        return i < 0 ? null : Batch.Column(i);
    }

    /// <summary>A batch with the column replaced (same name) or appended.</summary>
    public DocumentBatch WithColumn(string name, IArrowArray array)
    {
        if (array.Length != Length) throw new ArgumentException($"column '{name}' has {array.Length} rows, batch has {Length}");
        var fields = Batch.Schema.FieldsList.ToList();
        var arrays = Enumerable.Range(0, fields.Count).Select(Batch.Column).ToList();
        var field = new Field(name, array.Data.DataType, nullable: true);
        int at = fields.FindIndex(f => f.Name == name);
        if (at >= 0) { fields[at] = field; arrays[at] = array; }
        else { fields.Add(field); arrays.Add(array); }
        return new DocumentBatch(new RecordBatch(new Schema(fields, Batch.Schema.Metadata), arrays, Length));
    }

    /// <summary>The rows whose <paramref name="keep"/> flag is set, in order.</summary>
    public DocumentBatch Filter(ReadOnlySpan<bool> keep)
    {
        int n = 0;
        foreach (bool k in keep[..Length]) if (k) n++;
        if (n == Length) return this;
        var rows = new int[n];
        for (int i = 0, j = 0; i < Length; i++) if (keep[i]) rows[j++] = i;
        return Take(rows);
    }

    /// <summary>The given rows, in the given order.</summary>
    public DocumentBatch Take(ReadOnlySpan<int> rows)
    {
        var arrays = new IArrowArray[Batch.ColumnCount];
        for (int c = 0; c < arrays.Length; c++) arrays[c] = ArrowTake.Take(Batch.Column(c), rows);
        return new DocumentBatch(new RecordBatch(Batch.Schema, arrays, rows.Length));
    }

    /// <summary>
    /// Returns the batch's pooled buffers. Columns shared with other batches are released too, so
    /// the executor disposes a whole chain of batches only when all of them are done with.
    /// </summary>
    public void Dispose()
    {
        for (int c = 0; c < Batch.ColumnCount; c++) PooledBuffer.Release(Batch.Column(c));
    }

    /// <summary>An empty batch with this batch's schema.</summary>
    public DocumentBatch Empty() => Take([]);

    public static Schema CoreSchema { get; } = new(
        Columns.Core.Select(n => new Field(n, StringType.Default, nullable: n is Columns.Url or Columns.Lang or Columns.Meta)),
        null);
}

/// <summary>Builds batches row by row from UTF-8 spans (readers, expand stages, generators).</summary>
public sealed class DocumentBatchBuilder
{
    public Utf8ColumnBuilder Id { get; } = new();
    public Utf8ColumnBuilder Text { get; }
    public Utf8ColumnBuilder Source { get; } = new();
    public Utf8ColumnBuilder Url { get; } = new();
    public Utf8ColumnBuilder Lang { get; } = new();
    public Utf8ColumnBuilder Meta { get; } = new();

    public DocumentBatchBuilder(int capacityBytes = 1 << 20) => Text = new Utf8ColumnBuilder(1024, capacityBytes);

    public int Count => Text.Count;
    public long TextBytes => Text.ByteLength;

    /// <summary>Appends a document; null spans for url/lang/meta mean "absent".</summary>
    public void Append(ReadOnlySpan<byte> id, ReadOnlySpan<byte> text, ReadOnlySpan<byte> source,
        ReadOnlySpan<byte> url = default, ReadOnlySpan<byte> lang = default, ReadOnlySpan<byte> meta = default,
        bool hasUrl = false, bool hasLang = false, bool hasMeta = false)
    {
        Id.Append(id);
        Text.Append(text);
        Source.Append(source);
        AppendOptional(Url, url, hasUrl);
        AppendOptional(Lang, lang, hasLang);
        AppendOptional(Meta, meta, hasMeta);
    }

    static void AppendOptional(Utf8ColumnBuilder b, ReadOnlySpan<byte> v, bool present)
    {
        if (present) b.Append(v); else b.AppendNull();
    }

    public DocumentBatch Build()
    {
        var arrays = new IArrowArray[] { Id.Build(), Text.Build(), Source.Build(), Url.Build(), Lang.Build(), Meta.Build() };
        return new DocumentBatch(new RecordBatch(DocumentBatch.CoreSchema, arrays, Text.Count));
    }
}
