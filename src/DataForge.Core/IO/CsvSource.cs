using System.Buffers;
using System.Text;
using System.Text.Encodings.Web;
using System.Text.Json;
using System.Text.Unicode;
using CsvHelper;
using DataForge.Documents;
using DataForge.Execution;
using DataForge.Stages;
using DataForge.Configuration;

namespace DataForge.IO;

public sealed class CsvReaderOptions : ReaderOptions
{
    [Option("Column (header name) holding the document text.")]
    public string TextColumn { get; init; } = "text";

    [Option("Column holding the document id; rows without one get PATH:LINE.")]
    public string IdColumn { get; init; } = "id";

    [Option("Field separator (one ASCII character).")]
    public string Delimiter { get; init; } = ",";

    [Option("Longest record accepted, in bytes (guards against an unclosed quote swallowing the file).", Min = 1024)]
    public int MaxRecordBytes { get; init; } = 256 << 20;
}

/// <summary>
/// CSV reader (CsvHelper, RFC 4180 quoting, header row required). Files are not split, because a
/// quoted field may span lines. Columns other than text, id and the core ones go to <c>meta</c>.
/// </summary>
[Stage("csv", StageShape.Source, "Reads CSV files with a header row (RFC 4180 quoting; plain, .gz or .zst).")]
public sealed class CsvSource : FileSourceStage
{
    readonly CsvReaderOptions _options;

    public CsvSource(CsvReaderOptions options, StageInit init) : base(options, init)
    {
        _options = options;
        if (options.Delimiter.Length != 1 || options.Delimiter[0] > 127)
            throw new DataForge.Configuration.OptionException("delimiter", $"expected one ASCII character, found \"{options.Delimiter}\"");
    }

    public override IReadOnlyList<PartitionSpec> Plan(PlanContext context) => PlanByFile(context, splittable: false);

    static readonly JsonWriterOptions MetaJson = new() { Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping, SkipValidation = true };

    public override IEnumerable<DocumentBatch> Read(PartitionSpec partition, SourceContext ctx)
    {
        string path = partition.Path!, display = DisplayPath(path);
        using var stream = InputFiles.OpenDecompressed(path);
        using var csv = CsvReader.Create(stream, new CsvHelper.CsvReaderOptions
        {
            Separator = _options.Delimiter[0],
            HasHeader = true,
            Mode = CsvMode.Rfc4180,
            MalformedData = CsvMalformedDataHandling.Throw,
            FieldCountMismatch = CsvFieldCountHandling.Allow,
            TrackLineNumbers = true,
            MaxRecordSize = _options.MaxRecordBytes,
            SkipEmptyLines = true,
        }, leaveOpen: true);
        IReadOnlyList<string> header;
        try { header = csv.Headers; }
        catch (Exception ex) when (ex is CsvFormatException or InputException)
        {
            ctx.FileFault($"{display}:{Math.Max(1, (ex as CsvFormatException)?.LineNumber ?? 1)}", ex is CsvFormatException cf ? Explain(cf) : ((InputException)ex).Reason);
            yield break;
        }
        if (header.Count == 0)
        {
            ctx.Reject(display, "empty file; expected a header row", default);
            yield break;
        }
        int textIndex = IndexOf(header, _options.TextColumn);
        if (textIndex < 0)
        {
            ctx.Reject(display, $"no column '{_options.TextColumn}' in the header (columns: {string.Join(", ", header)}); set text_column", default);
            yield break;
        }
        int idIndex = IndexOf(header, _options.IdColumn);
        int srcIndex = _options.Source is null ? IndexOf(header, Columns.Source) : -1;
        int urlIndex = IndexOf(header, Columns.Url), langIndex = IndexOf(header, Columns.Lang);
        var metaColumns = Enumerable.Range(0, header.Count)
            .Where(c => c != textIndex && c != idIndex && !Columns.IsCore(header[c]) && header[c] != _options.IdColumn)
            .Select(c => (Index: c, Name: Encoding.UTF8.GetBytes(header[c]))).ToArray();
        byte[] sourceName = Encoding.UTF8.GetBytes(SourceName(path));
        var meta = new ArrayBufferWriter<byte>(256);
        using var metaWriter = new Utf8JsonWriter(meta, MetaJson);
        var b = new DocumentBatchBuilder();
        while (true)
        {
            bool more;
            try { more = csv.Read(); }
            catch (CsvFormatException ex)
            {
                // Malformed quoting leaves no trustworthy record boundary after it, so reading stops here
                // (with on_error "skip", after the records read so far are handed on).
                ctx.FileFault($"{display}:{Math.Max(1, ex.LineNumber)}", Explain(ex));
                more = false;
            }
            catch (InputException ex)
            {
                ctx.FileFault($"{display}:{csv.LineNumber + 1}", ex.Reason);
                more = false;
            }
            if (more)
            {
                long line = csv.LineNumber;
                if (csv.FieldCount != header.Count)
                    ctx.Reject($"{display}:{line}", $"expected {header.Count} fields as in the header, found {csv.FieldCount}", csv.RawRecord);
                else if (!Utf8.IsValid(csv.RawRecord))
                    ctx.Reject($"{display}:{line}", "invalid UTF-8 in the record", csv.RawRecord);
                else
                {
                    if (idIndex >= 0 && !csv.IsEmpty(idIndex)) b.Id.Append(csv.GetSpan(idIndex));
                    else b.Id.Append($"{display}:{line}");
                    b.Text.Append(csv.GetSpan(textIndex));
                    if (srcIndex >= 0 && !csv.IsEmpty(srcIndex)) b.Source.Append(csv.GetSpan(srcIndex)); else b.Source.Append(sourceName);
                    Optional(b.Url, csv, urlIndex);
                    Optional(b.Lang, csv, langIndex);
                    if (metaColumns.Length == 0) b.Meta.AppendNull();
                    else
                    {
                        meta.ResetWrittenCount();
                        metaWriter.Reset(meta);
                        metaWriter.WriteStartObject();
                        foreach (var (c, name) in metaColumns) metaWriter.WriteString(name, csv.GetSpan(c));
                        metaWriter.WriteEndObject();
                        metaWriter.Flush();
                        b.Meta.Append(meta.WrittenSpan);
                    }
                }
            }
            if (b.Count >= ctx.BatchRows || b.TextBytes >= ctx.BatchBytes || (!more && b.Count > 0))
            {
                var batch = b.Build();
                ctx.Stats.In += batch.Length;
                ctx.Stats.Out += batch.Length;
                ctx.Stats.OutBytes += batch.TextBytes;
                ctx.BytesRead = csv.ByteOffset;
                yield return batch;
                b = new DocumentBatchBuilder();
            }
            if (!more) break;
        }
        ctx.BytesRead = partition.Bytes;
    }

    static void Optional(Utf8ColumnBuilder b, CsvReader csv, int index)
    {
        if (index < 0 || csv.IsEmpty(index)) b.AppendNull(); else b.Append(csv.GetSpan(index));
    }

    static int IndexOf(IReadOnlyList<string> header, string name)
    {
        for (int i = 0; i < header.Count; i++) if (header[i] == name) return i;
        return -1;
    }

    static string Explain(CsvFormatException ex)
    {
        string m = ex.Message.Split('\n')[0];
        return m.Contains("quote", StringComparison.OrdinalIgnoreCase)
            ? $"malformed CSV: bad quote ({m})"
            : $"malformed CSV: {m}";
    }
}
