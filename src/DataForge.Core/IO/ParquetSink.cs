using Apache.Arrow;
using DataForge.Documents;
using DataForge.Stages;
using Parquet;
using Parquet.Schema;

namespace DataForge.IO;

public sealed class ParquetWriterOptions : WriterOptions
{
    [Option("Column compression: \"snappy\", \"zstd\", \"gzip\" or \"none\".", AllowedValues = ["snappy", "zstd", "gzip", "none"])]
    public string Compression { get; init; } = "snappy";

    [Option("Documents per row group.", Min = 1)]
    public int RowGroupRows { get; init; } = 50_000;
}

/// <summary>Parquet writer (Parquet.Net): core columns as strings, added columns with their types.</summary>
[Stage("parquet", StageShape.Sink, "Writes Parquet shards; typed columns (quality, code_score, ...) keep their types.")]
public sealed class ParquetSink(ParquetWriterOptions options, StageInit init) : ShardedSinkStage(options, init)
{
    public override string Format => "parquet";
    protected override string Extension => "parquet";
    protected override ShardFileWriter CreateWriter(Stream stream) => new ParquetShardWriter(stream, options);
}

sealed class ParquetShardWriter(Stream stream, ParquetWriterOptions options) : ShardFileWriter
{
    readonly List<DocumentBatch> _pending = [];
    int _pendingRows;
    long _pendingBytes;
    ParquetWriter? _writer;
    ParquetSchema? _schema;
    Apache.Arrow.Schema? _arrowSchema;

    public override void Write(DocumentBatch batch)
    {
        if (_arrowSchema is null) _arrowSchema = batch.Schema;
        else if (!SameColumns(_arrowSchema, batch.Schema))
            throw new InvalidOperationException($"a partition's batches changed columns ({Names(_arrowSchema)} -> {Names(batch.Schema)}); parquet shards need one schema");
        _pending.Add(batch);
        _pendingRows += batch.Length;
        _pendingBytes += batch.TextBytes;
        if (_pendingRows >= options.RowGroupRows || _pendingBytes >= 128L << 20) Flush();
    }

    static bool SameColumns(Apache.Arrow.Schema a, Apache.Arrow.Schema b)
        => a.FieldsList.Count == b.FieldsList.Count && a.FieldsList.Zip(b.FieldsList).All(p => p.First.Name == p.Second.Name && p.First.DataType.TypeId == p.Second.DataType.TypeId);

    static string Names(Apache.Arrow.Schema s) => string.Join(",", s.FieldsList.Select(f => f.Name));

    void Flush()
    {
        if (_pendingRows == 0) return;
        _schema ??= new ParquetSchema(_arrowSchema!.FieldsList.Select(ToParquet).ToArray());
        _writer ??= ParquetWriter.CreateAsync(_schema, stream, new ParquetOptions
        {
            CompressionMethod = options.Compression switch
            {
                "zstd" => CompressionMethod.Zstd,
                "gzip" => CompressionMethod.Gzip,
                "none" => CompressionMethod.None,
                _ => CompressionMethod.Snappy,
            },
        }).GetAwaiter().GetResult();
        using (var rg = _writer.CreateRowGroup())
        {
            var fields = _schema.GetDataFields();
            for (int c = 0; c < fields.Length; c++)
            {
                var f = fields[c];
                var first = _pending[0].Batch.Column(c);
                switch (first)
                {
                    case StringArray:
                    {
                        var values = new string?[_pendingRows];
                        int k = 0;
                        foreach (var b in _pending)
                        {
                            var s = (StringArray)b.Batch.Column(c);
                            for (int i = 0; i < b.Length; i++) values[k++] = s.IsNull(i) ? null : s.GetString(i);
                        }
                        rg.WriteAsync(f, values!).GetAwaiter().GetResult();
                        break;
                    }
                    case FloatArray: WriteNullable<float>(rg, f, c); break;
                    case DoubleArray: WriteNullable<double>(rg, f, c); break;
                    case Int32Array: WriteNullable<int>(rg, f, c); break;
                    case Int64Array: WriteNullable<long>(rg, f, c); break;
                    case BooleanArray:
                    {
                        var values = new bool?[_pendingRows];
                        int k = 0;
                        foreach (var b in _pending)
                        {
                            var a = (BooleanArray)b.Batch.Column(c);
                            for (int i = 0; i < b.Length; i++) values[k++] = a.GetValue(i);
                        }
                        rg.WriteAsync<bool>(f, values.AsMemory()).GetAwaiter().GetResult();
                        break;
                    }
                    default: throw new NotSupportedException($"column type {first.Data.DataType.Name} cannot be written to Parquet");
                }
            }
        }
        _pending.Clear();
        _pendingRows = 0;
        _pendingBytes = 0;
    }

    void WriteNullable<T>(ParquetRowGroupWriter rg, DataField f, int c) where T : unmanaged, IEquatable<T>
    {
        var values = new T?[_pendingRows];
        int k = 0;
        foreach (var b in _pending)
        {
            var a = b.Batch.Column(c);
            var span = ((PrimitiveArray<T>)a).Values;
            for (int i = 0; i < b.Length; i++) values[k++] = a.IsNull(i) ? null : span[i];
        }
        rg.WriteAsync<T>(f, values.AsMemory()).GetAwaiter().GetResult();
    }

    static DataField ToParquet(Apache.Arrow.Field f) => f.DataType switch
    {
        Apache.Arrow.Types.StringType => new DataField<string>(f.Name),
        Apache.Arrow.Types.FloatType => new DataField<float?>(f.Name),
        Apache.Arrow.Types.DoubleType => new DataField<double?>(f.Name),
        Apache.Arrow.Types.Int32Type => new DataField<int?>(f.Name),
        Apache.Arrow.Types.Int64Type => new DataField<long?>(f.Name),
        Apache.Arrow.Types.BooleanType => new DataField<bool?>(f.Name),
        _ => throw new NotSupportedException($"column '{f.Name}' of type {f.DataType.Name} cannot be written to Parquet"),
    };

    public override void Finish()
    {
        Flush();
        if (_writer is null)
        {
            // An empty shard still gets a valid file with the schema.
            _schema ??= new ParquetSchema((_arrowSchema ?? DocumentBatch.CoreSchema).FieldsList.Select(ToParquet).ToArray());
            _writer = ParquetWriter.CreateAsync(_schema, stream).GetAwaiter().GetResult();
        }
        _writer.DisposeAsync().AsTask().GetAwaiter().GetResult();
        _writer = null;
    }
}
