using System.Buffers;
using System.Text.Encodings.Web;
using System.Text.Json;
using Apache.Arrow;
using DataForge.Documents;
using DataForge.Stages;

namespace DataForge.IO;

public sealed class JsonlWriterOptions : WriterOptions
{
    [Option("\"none\", \"gzip\" (.jsonl.gz) or \"zstd\" (.jsonl.zst).", AllowedValues = ["none", "gzip", "zstd"])]
    public string Compression { get; init; } = "none";

    [Option("Compression level (0 = the codec's fast default).", Min = 0, Max = 22)]
    public int Level { get; init; }
}

/// <summary>JSON Lines writer: core fields, then meta as an object, then added columns with their types.</summary>
[Stage("jsonl", StageShape.Sink, "Writes JSON Lines shards (plain, gzip or zstd).")]
public sealed class JsonlSink(JsonlWriterOptions options, StageInit init) : ShardedSinkStage(options, init)
{
    readonly Compression _compression = options.Compression switch { "gzip" => IO.Compression.Gzip, "zstd" => IO.Compression.Zstd, _ => IO.Compression.None };

    public override string Format => "jsonl";
    protected override string Extension => _compression switch { IO.Compression.Gzip => "jsonl.gz", IO.Compression.Zstd => "jsonl.zst", _ => "jsonl" };
    protected override ShardFileWriter CreateWriter(Stream stream) => new JsonlShardWriter(InputFiles.Compress(stream, _compression, options.Level), _compression != IO.Compression.None);
}

/// <summary>Serialises document batches as JSON Lines (shared by the sink, rejects and dropped files).</summary>
public sealed class JsonlShardWriter(Stream output, bool ownsCompressor) : ShardFileWriter
{
    static readonly JsonWriterOptions Options = new() { Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping, SkipValidation = true };
    readonly ArrayBufferWriter<byte> _buffer = new(1 << 16);
    readonly Utf8JsonWriter _json = new(Stream.Null, Options);
    readonly BufferedStream _out = new(output, 1 << 20);

    public override void Write(DocumentBatch batch)
    {
        var extras = new List<(byte[] Name, IArrowArray Array)>();
        for (int c = 0; c < batch.Schema.FieldsList.Count; c++)
        {
            var f = batch.Schema.GetFieldByIndex(c);
            if (!Columns.IsCore(f.Name)) extras.Add((System.Text.Encoding.UTF8.GetBytes(f.Name), batch.Batch.Column(c)));
        }
        for (int i = 0; i < batch.Length; i++)
        {
            _buffer.ResetWrittenCount();
            _json.Reset(_buffer);
            _json.WriteStartObject();
            _json.WriteString("id"u8, batch.Id.GetBytes(i));
            _json.WriteString("text"u8, batch.Text.GetBytes(i));
            _json.WriteString("source"u8, batch.Source.GetBytes(i));
            if (!batch.Url.IsNull(i)) _json.WriteString("url"u8, batch.Url.GetBytes(i));
            if (!batch.Lang.IsNull(i)) _json.WriteString("lang"u8, batch.Lang.GetBytes(i));
            if (!batch.Meta.IsNull(i)) { _json.WritePropertyName("meta"u8); _json.WriteRawValue(batch.Meta.GetBytes(i), skipInputValidation: true); }
            foreach (var (name, array) in extras) WriteValue(name, array, i);
            _json.WriteEndObject();
            _json.Flush();
            _buffer.Write("\n"u8);
            _out.Write(_buffer.WrittenSpan);
        }
    }

    void WriteValue(byte[] name, IArrowArray a, int i)
    {
        if (a.IsNull(i)) { _json.WriteNull(name); return; }
        switch (a)
        {
            case StringArray s: _json.WriteString(name, s.GetBytes(i)); break;
            case FloatArray f: WriteFloat(name, f.Values[i]); break;
            case DoubleArray d: WriteFloat(name, d.Values[i]); break;
            case Int32Array n: _json.WriteNumber(name, n.Values[i]); break;
            case Int64Array l: _json.WriteNumber(name, l.Values[i]); break;
            case BooleanArray b: _json.WriteBoolean(name, b.GetValue(i) ?? false); break;
            default: throw new NotSupportedException($"column type {a.Data.DataType.Name} cannot be written to JSON Lines");
        }
    }

    void WriteFloat(byte[] name, double v)
    {
        if (double.IsFinite(v)) _json.WriteNumber(name, v); else _json.WriteNull(name);
    }

    void WriteFloat(byte[] name, float v)
    {
        if (float.IsFinite(v)) _json.WriteNumber(name, v); else _json.WriteNull(name);
    }

    public override void Finish()
    {
        _out.Flush();
        if (ownsCompressor) output.Dispose(); // writes the gzip/zstd trailer; the file stream stays open
        else output.Flush();
    }

    public override void Dispose()
    {
        _json.Dispose();
        base.Dispose();
    }
}
