using System.Buffers;
using System.Text;
using System.Text.Encodings.Web;
using System.Text.Json;
using System.Text.Unicode;
using DataForge.Documents;
using DataForge.Execution;
using DataForge.Stages;
using DataForge.Configuration;

namespace DataForge.IO;

public sealed class JsonlReaderOptions : ReaderOptions
{
    [Option("Field holding the document text.")]
    public string TextField { get; init; } = "text";

    [Option("Field holding the document id (string or number); documents without one get PATH@BYTE_OFFSET.")]
    public string IdField { get; init; } = "id";

    [Option("Longest line accepted, in bytes; a longer line is an error naming file and offset.", Min = 1024)]
    public long MaxLineBytes { get; init; } = 512L << 20;
}

/// <summary>
/// JSON Lines reader (plain, .gz, .zst). Large plain files are split into byte ranges. Fields other
/// than text, id, source, url and lang are kept as a JSON object in <c>meta</c>.
/// </summary>
[Stage("jsonl", StageShape.Source, "Reads JSON Lines files (plain, .gz or .zst); one JSON object per line.")]
public sealed class JsonlSource(JsonlReaderOptions options, StageInit init) : FileSourceStage(options, init)
{
    readonly byte[] _textField = Encoding.UTF8.GetBytes(options.TextField);
    readonly byte[] _idField = Encoding.UTF8.GetBytes(options.IdField);

    public override IReadOnlyList<PartitionSpec> Plan(PlanContext context) => PlanByFile(context, splittable: true);

    public override IEnumerable<DocumentBatch> Read(PartitionSpec partition, SourceContext ctx)
    {
        string path = partition.Path!;
        string display = DisplayPath(path);
        byte[] sourceName = Encoding.UTF8.GetBytes(SourceName(path));
        bool ranged = InputFiles.DetectCompression(path) == Compression.None && (partition.Start > 0 || partition.End < new FileInfo(path).Length);
        using var stream = ranged ? InputFiles.OpenRead(path) : InputFiles.OpenDecompressed(path);
        if (ranged && partition.Start > 0) stream.Seek(partition.Start - 1, SeekOrigin.Begin);
        // With on_error "skip" a line over max_line_bytes is rejected like a malformed record and stepped over,
        // never held whole in memory; with "fail" the reader's error stops the run.
        LineReader.TooLongHandler? tooLong = !ctx.Skipping ? null : (start, number, prefix) => ctx.Reject(
            $"{display}:{(ranged ? LineNumberAt(path, start) : number)}", $"a line starting at byte {start} is longer than max_line_bytes ({options.MaxLineBytes})", prefix, recordIsPrefix: true);
        var lines = new LineReader(stream, display, ranged && partition.Start > 0 ? partition.Start - 1 : 0,
            ranged ? partition.End : long.MaxValue, ranged && partition.Start > 0, options.MaxLineBytes, onTooLong: tooLong);
        var parser = new LineParser(this, sourceName, display);
        int capacity = (int)Math.Min(ctx.BatchBytes + (1 << 20), 1 << 30);
        var builder = new DocumentBatchBuilder(capacity);
        bool any = false;
        while (NextLine(lines, display, ctx, out var line))
        {
            if (!any && lines.LineOffset == 0 && line.StartsWith((ReadOnlySpan<byte>)[0xEF, 0xBB, 0xBF])) line = line[3..];
            any = true;
            if (IsBlank(line)) continue;
            string? error = parser.Parse(line, lines.LineOffset, builder);
            if (error is not null)
                ctx.Reject($"{display}:{LineNumber(path, lines, ranged)}", error, line);
            ctx.BytesRead = lines.Consumed - partition.Start;
            if (builder.Count >= ctx.BatchRows || builder.TextBytes >= ctx.BatchBytes)
            {
                var batch = builder.Build();
                ctx.Stats.Out += batch.Length;
                ctx.Stats.In += batch.Length;
                ctx.Stats.OutBytes += batch.TextBytes;
                yield return batch;
                builder = new DocumentBatchBuilder(capacity);
            }
        }
        ctx.BytesRead = partition.Bytes;
        if (!any && partition.Start == 0 && !lines.Faulted)
            ctx.Reject(display, "empty file; expected JSON Lines (one JSON object per line)", default);
        if (builder.Count > 0)
        {
            var batch = builder.Build();
            ctx.Stats.Out += batch.Length;
            ctx.Stats.In += batch.Length;
            ctx.Stats.OutBytes += batch.TextBytes;
            yield return batch;
        }
    }

    /// <summary>
    /// Reads a line; decompression errors get the line number they occurred at, and with on_error "skip"
    /// end the file (what was read before them is kept).
    /// </summary>
    static bool NextLine(LineReader lines, string display, SourceContext ctx, out ReadOnlySpan<byte> line)
    {
        try { return lines.TryReadLine(out line); }
        catch (InputException ex)
        {
            if (!ctx.Skipping) throw new InputException($"{display}:{lines.LinesRead + 1}", ex.Reason, ex);
            ctx.FileFault($"{display}:{lines.LinesRead + 1}", ex.Reason);
            lines.Faulted = true;
            line = default;
            return false;
        }
    }

    static bool IsBlank(ReadOnlySpan<byte> line)
    {
        foreach (byte b in line) if (b is not ((byte)' ' or (byte)'\t' or (byte)'\r')) return false;
        return true;
    }

    /// <summary>1-based line number; for byte ranges it is counted from the file start, on the error path only.</summary>
    static long LineNumber(string path, LineReader lines, bool ranged) => ranged ? LineNumberAt(path, lines.LineOffset) : lines.LinesRead;

    /// <summary>1-based number of the line starting at byte <paramref name="offset"/> of an uncompressed file.</summary>
    static long LineNumberAt(string path, long offset)
    {
        long count = 1, remaining = offset;
        using var fs = InputFiles.OpenRead(path);
        var buf = new byte[1 << 20];
        while (remaining > 0)
        {
            int n = fs.Read(buf, 0, (int)Math.Min(buf.Length, remaining));
            if (n == 0) break;
            count += buf.AsSpan(0, n).Count((byte)'\n');
            remaining -= n;
        }
        return count;
    }

    /// <summary>Parses one JSON line into the batch builder; returns an error message instead of throwing.</summary>
    sealed class LineParser(JsonlSource owner, byte[] sourceName, string display)
    {
        byte[] _text = new byte[1 << 16];
        byte[] _id = new byte[256];
        readonly ArrayBufferWriter<byte> _meta = new(1024);
        readonly Utf8JsonWriter _metaWriter = new(Stream.Null, new JsonWriterOptions { Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping, SkipValidation = true });
        readonly byte[] _displayPrefix = Encoding.UTF8.GetBytes(display + "@");
        byte[] _source = [], _url = [], _lang = [];

        public string? Parse(ReadOnlySpan<byte> line, long offset, DocumentBatchBuilder builder)
        {
            if (!Utf8.IsValid(line)) return $"invalid UTF-8 at byte {InvalidAt(line)} of the line";
            var r = new Utf8JsonReader(line, new JsonReaderOptions { MaxDepth = 256 });
            int textLen = -1, textStart = -1, idLen = -1, srcLen = -1, urlLen = -1, langLen = -1;
            bool metaStarted = false;
            _meta.ResetWrittenCount();
            _metaWriter.Reset(_meta);
            try
            {
                if (!r.Read() || r.TokenType != JsonTokenType.StartObject)
                    return $"expected a JSON object, found {Describe(r.TokenType)}";
                while (r.Read() && r.TokenType == JsonTokenType.PropertyName)
                {
                    if (r.ValueTextEquals(owner._textField))
                    {
                        r.Read();
                        if (r.TokenType != JsonTokenType.String)
                            return $"field '{owner.JsonlOptions.TextField}' must be a string, found {Describe(r.TokenType)}";
                        if (r.ValueIsEscaped) { textLen = CopyString(ref r, ref _text); textStart = -1; }
                        else
                        {
                            // Unescaped text is appended straight from the line buffer (one copy fewer).
                            textStart = (int)r.TokenStartIndex + 1;
                            textLen = r.ValueSpan.Length;
                        }
                    }
                    else if (r.ValueTextEquals(owner._idField))
                    {
                        r.Read();
                        if (r.TokenType == JsonTokenType.String) idLen = CopyString(ref r, ref _id);
                        else if (r.TokenType == JsonTokenType.Number) { idLen = r.ValueSpan.Length; Ensure(ref _id, idLen); r.ValueSpan.CopyTo(_id); }
                        else if (r.TokenType != JsonTokenType.Null)
                            return $"field '{owner.JsonlOptions.IdField}' must be a string or number, found {Describe(r.TokenType)}";
                    }
                    else if (r.ValueTextEquals("source"u8)) { if (!OptionalString(ref r, ref _source, ref srcLen)) return "field 'source' must be a string"; }
                    else if (r.ValueTextEquals("url"u8)) { if (!OptionalString(ref r, ref _url, ref urlLen)) return "field 'url' must be a string"; }
                    else if (r.ValueTextEquals("lang"u8)) { if (!OptionalString(ref r, ref _lang, ref langLen)) return "field 'lang' must be a string"; }
                    else if (r.ValueTextEquals("meta"u8))
                    {
                        r.Read();
                        if (r.TokenType == JsonTokenType.StartObject)
                        {
                            while (r.Read() && r.TokenType == JsonTokenType.PropertyName)
                                CopyMember(ref r, line, ref metaStarted);
                        }
                        else if (r.TokenType != JsonTokenType.Null)
                        {
                            // A non-object meta is kept under its own name rather than lost.
                            StartMeta(ref metaStarted);
                            _metaWriter.WritePropertyName("meta"u8);
                            WriteRaw(ref r, line);
                        }
                    }
                    else CopyMember(ref r, line, ref metaStarted);
                }
                if (r.Read()) return "unexpected content after the JSON object";
            }
            catch (JsonException ex)
            {
                return "malformed JSON: " + Short(ex.Message);
            }
            catch (InvalidOperationException ex)
            {
                return "malformed JSON string: " + Short(ex.Message);
            }
            if (textLen < 0) return $"missing field '{owner.JsonlOptions.TextField}'";
            if (metaStarted) { _metaWriter.WriteEndObject(); _metaWriter.Flush(); }

            if (idLen < 0)
            {
                // Documents without an id get PATH@BYTE_OFFSET: unique and stable across partitionings.
                Ensure(ref _id, _displayPrefix.Length + 20);
                _displayPrefix.CopyTo(_id, 0);
                offset.TryFormat(_id.AsSpan(_displayPrefix.Length), out int w);
                idLen = _displayPrefix.Length + w;
            }
            ReadOnlySpan<byte> id = _id.AsSpan(0, idLen);
            builder.Append(id, textStart >= 0 ? line.Slice(textStart, textLen) : _text.AsSpan(0, textLen), srcLen >= 0 && owner.Options.Source is null ? _source.AsSpan(0, srcLen) : sourceName,
                urlLen >= 0 ? _url.AsSpan(0, urlLen) : default, langLen >= 0 ? _lang.AsSpan(0, langLen) : default,
                _meta.WrittenSpan, hasUrl: urlLen >= 0, hasLang: langLen >= 0, hasMeta: metaStarted);
            return null;
        }

        void StartMeta(ref bool started)
        {
            if (started) return;
            _metaWriter.WriteStartObject();
            started = true;
        }

        void CopyMember(ref Utf8JsonReader r, ReadOnlySpan<byte> line, ref bool metaStarted)
        {
            StartMeta(ref metaStarted);
            if (r.ValueIsEscaped) _metaWriter.WritePropertyName(r.GetString()!);
            else _metaWriter.WritePropertyName(r.ValueSpan);
            r.Read();
            WriteRaw(ref r, line);
        }

        void WriteRaw(ref Utf8JsonReader r, ReadOnlySpan<byte> line)
        {
            int start = (int)r.TokenStartIndex;
            if (r.TokenType is JsonTokenType.StartObject or JsonTokenType.StartArray) r.Skip();
            _metaWriter.WriteRawValue(line[start..(int)r.BytesConsumed], skipInputValidation: true);
        }

        static bool OptionalString(ref Utf8JsonReader r, ref byte[] buf, ref int len)
        {
            r.Read();
            if (r.TokenType == JsonTokenType.Null) return true;
            if (r.TokenType != JsonTokenType.String) return false;
            len = CopyString(ref r, ref buf);
            return true;
        }

        static int CopyString(ref Utf8JsonReader r, ref byte[] buf)
        {
            if (!r.ValueIsEscaped)
            {
                var v = r.ValueSpan;
                Ensure(ref buf, v.Length);
                v.CopyTo(buf);
                return v.Length;
            }
            Ensure(ref buf, r.ValueSpan.Length);
            return r.CopyString(buf);
        }

        static void Ensure(ref byte[] buf, int n)
        {
            if (buf.Length < n) buf = new byte[Math.Max(n, buf.Length * 2)];
        }

        static int InvalidAt(ReadOnlySpan<byte> s)
        {
            int i = 0;
            while (i < s.Length)
            {
                if (System.Text.Rune.DecodeFromUtf8(s[i..], out _, out int n) != OperationStatus.Done) return i;
                i += n;
            }
            return i;
        }

        static string Describe(JsonTokenType t) => t switch
        {
            JsonTokenType.StartArray => "an array",
            JsonTokenType.StartObject => "an object",
            JsonTokenType.Number => "a number",
            JsonTokenType.True or JsonTokenType.False => "a boolean",
            JsonTokenType.Null => "null",
            JsonTokenType.String => "a string",
            _ => "nothing",
        };

        static string Short(string m)
        {
            int cut = m.IndexOf(" LineNumber:", StringComparison.Ordinal);
            return (cut > 0 ? m[..cut] : m).TrimEnd('.', ' ');
        }
    }

    /// <summary>This reader's own options (the base class keeps the shared ones).</summary>
    JsonlReaderOptions JsonlOptions => options;
}
