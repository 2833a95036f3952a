using System.Buffers;
using System.Text.Encodings.Web;
using System.Text.Json;
using Apache.Arrow;
using DataForge.Documents;
using DataForge.Stages;
using DataForge.Configuration;

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
    // Rows accumulate in one buffer that goes to the stream in ~1 MB writes: no second buffering copy.
    readonly ArrayBufferWriter<byte> _buffer = new(2 << 20);

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
            _buffer.Write("{\"id\":"u8); JsonText.WriteString(_buffer, batch.Id.GetBytes(i));
            _buffer.Write(",\"text\":"u8); JsonText.WriteString(_buffer, batch.Text.GetBytes(i));
            _buffer.Write(",\"source\":"u8); JsonText.WriteString(_buffer, batch.Source.GetBytes(i));
            if (!batch.Url.IsNull(i)) { _buffer.Write(",\"url\":"u8); JsonText.WriteString(_buffer, batch.Url.GetBytes(i)); }
            if (!batch.Lang.IsNull(i)) { _buffer.Write(",\"lang\":"u8); JsonText.WriteString(_buffer, batch.Lang.GetBytes(i)); }
            if (!batch.Meta.IsNull(i)) { _buffer.Write(",\"meta\":"u8); _buffer.Write(batch.Meta.GetBytes(i)); }
            foreach (var (name, array) in extras)
            {
                _buffer.Write(","u8);
                JsonText.WriteString(_buffer, name);
                _buffer.Write(":"u8);
                WriteValue(array, i);
            }
            _buffer.Write("}\n"u8);
            if (_buffer.WrittenCount >= 1 << 20) Drain();
        }
    }

    void Drain()
    {
        output.Write(_buffer.WrittenSpan);
        _buffer.ResetWrittenCount();
    }

    void WriteValue(IArrowArray a, int i)
    {
        if (a.IsNull(i)) { _buffer.Write("null"u8); return; }
        switch (a)
        {
            case StringArray s: JsonText.WriteString(_buffer, s.GetBytes(i)); break;
            case FloatArray f: Number(f.Values[i], float.IsFinite(f.Values[i])); break;
            case DoubleArray d: Number(d.Values[i], double.IsFinite(d.Values[i])); break;
            case Int32Array n: Number(n.Values[i], true); break;
            case Int64Array l: Number(l.Values[i], true); break;
            case BooleanArray b: _buffer.Write(b.GetValue(i) == true ? "true"u8 : "false"u8); break;
            default: throw new NotSupportedException($"column type {a.Data.DataType.Name} cannot be written to JSON Lines");
        }
    }

    /// <summary>Shortest round-trip invariant formatting; NaN and infinities become null.</summary>
    void Number<T>(T value, bool finite) where T : IUtf8SpanFormattable
    {
        if (!finite) { _buffer.Write("null"u8); return; }
        var span = _buffer.GetSpan(32);
        value.TryFormat(span, out int n, default, System.Globalization.CultureInfo.InvariantCulture);
        _buffer.Advance(n);
    }

    public override void Finish()
    {
        Drain();
        if (ownsCompressor) output.Dispose(); // writes the gzip/zstd trailer; the file stream stays open
        else output.Flush();
    }

}
