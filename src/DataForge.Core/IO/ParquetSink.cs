using Apache.Arrow;
using DataForge.Documents;
using DataForge.Stages;
using Parquet;
using Parquet.Schema;
using DataForge.Configuration;

namespace DataForge.IO;

public sealed class ParquetWriterOptions : WriterOptions
{
    [Option("Column compression: \"snappy\", \"zstd\", \"gzip\" or \"none\".", AllowedValues = ["snappy", "zstd", "gzip", "none"])]
    public string Compression { get; init; } = "snappy";

    [Option("Most documents per row group.", Min = 1)]
    public int RowGroupRows { get; init; } = 50_000;

    [Option("A row group is closed once its text reaches this many bytes (bounds memory when writing and reading).", Min = 1 << 20)]
    public long RowGroupBytes { get; init; } = 16L << 20;
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
    // Batches are released after Write returns, so their values are copied into column accumulators.
    List<IColumnAccumulator>? _columns;
    int _pendingRows;
    long _pendingBytes;
    ParquetWriter? _writer;
    ParquetSchema? _schema;
    Apache.Arrow.Schema? _arrowSchema;

    public override void Write(DocumentBatch batch)
    {
        if (_arrowSchema is null)
        {
            _arrowSchema = batch.Schema;
            _columns = batch.Schema.FieldsList.Select(f => Accumulator(f)).ToList();
        }
        else if (!SameColumns(_arrowSchema, batch.Schema))
            throw new InvalidOperationException($"a partition's batches changed columns ({Names(_arrowSchema)} -> {Names(batch.Schema)}); parquet shards need one schema");
        for (int c = 0; c < _columns!.Count; c++) _columns[c].Append(batch.Batch.Column(c));
        _pendingRows += batch.Length;
        _pendingBytes += batch.TextBytes;
        if (_pendingRows >= options.RowGroupRows || _pendingBytes >= options.RowGroupBytes) Flush();
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
            MaximumSmallPoolFreeBytes = ParquetMemory.SmallPoolBytes,
            MaximumLargePoolFreeBytes = ParquetMemory.LargePoolBytes,
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
            for (int c = 0; c < fields.Length; c++) _columns![c].WriteTo(rg, fields[c]);
        }
        _pendingRows = 0;
        _pendingBytes = 0;
    }

    interface IColumnAccumulator
    {
        void Append(IArrowArray array);
        void WriteTo(ParquetRowGroupWriter rg, DataField field);
    }

    sealed class StringColumn : IColumnAccumulator
    {
        readonly List<string?> _values = [];
        public void Append(IArrowArray array)
        {
            var s = (StringArray)array;
            for (int i = 0; i < s.Length; i++) _values.Add(s.IsNull(i) ? null : s.GetString(i));
        }

        public void WriteTo(ParquetRowGroupWriter rg, DataField field)
        {
            rg.WriteAsync(field, _values!).GetAwaiter().GetResult();
            _values.Clear();
        }
    }

    sealed class PrimitiveColumn<T> : IColumnAccumulator where T : unmanaged, IEquatable<T>
    {
        readonly List<T?> _values = [];
        public void Append(IArrowArray array)
        {
            var a = (PrimitiveArray<T>)array;
            var span = a.Values;
            for (int i = 0; i < a.Length; i++) _values.Add(a.IsNull(i) ? null : span[i]);
        }

        public void WriteTo(ParquetRowGroupWriter rg, DataField field)
        {
            rg.WriteAsync<T>(field, _values.ToArray().AsMemory()).GetAwaiter().GetResult();
            _values.Clear();
        }
    }

    sealed class BooleanColumn : IColumnAccumulator
    {
        readonly List<bool?> _values = [];
        public void Append(IArrowArray array)
        {
            var a = (BooleanArray)array;
            for (int i = 0; i < a.Length; i++) _values.Add(a.GetValue(i));
        }

        public void WriteTo(ParquetRowGroupWriter rg, DataField field)
        {
            rg.WriteAsync<bool>(field, _values.ToArray().AsMemory()).GetAwaiter().GetResult();
            _values.Clear();
        }
    }

    static IColumnAccumulator Accumulator(Apache.Arrow.Field f) => f.DataType switch
    {
        Apache.Arrow.Types.StringType => new StringColumn(),
        Apache.Arrow.Types.FloatType => new PrimitiveColumn<float>(),
        Apache.Arrow.Types.DoubleType => new PrimitiveColumn<double>(),
        Apache.Arrow.Types.Int32Type => new PrimitiveColumn<int>(),
        Apache.Arrow.Types.Int64Type => new PrimitiveColumn<long>(),
        Apache.Arrow.Types.BooleanType => new BooleanColumn(),
        _ => throw new NotSupportedException($"column '{f.Name}' of type {f.DataType.Name} cannot be written to Parquet"),
    };

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

/// <summary>Parquet.Net keeps freed stream buffers in pools that are unbounded by default; these caps keep memory flat.</summary>
internal static class ParquetMemory
{
    public const int SmallPoolBytes = 16 << 20;
    public const int LargePoolBytes = 64 << 20;

    public static ParquetOptions ReaderOptions() => new()
    {
        MaximumSmallPoolFreeBytes = SmallPoolBytes,
        MaximumLargePoolFreeBytes = LargePoolBytes,
    };
}
