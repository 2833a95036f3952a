using Apache.Arrow.Ipc;
using DataForge.Documents;
using DataForge.Stages;

namespace DataForge.IO;

public sealed class ArrowWriterOptions : WriterOptions;

/// <summary>Arrow IPC file writer; the fastest format to read back (used for intermediate spills too).</summary>
[Stage("arrow", StageShape.Sink, "Writes Arrow IPC file shards (all columns with their types).")]
public sealed class ArrowSink(ArrowWriterOptions options, StageInit init) : ShardedSinkStage(options, init)
{
    public override string Format => "arrow";
    protected override string Extension => "arrow";
    protected override ShardFileWriter CreateWriter(Stream stream) => new ArrowShardWriter(stream);
}

public sealed class ArrowShardWriter(Stream stream) : ShardFileWriter
{
    ArrowFileWriter? _writer;

    public override void Write(DocumentBatch batch)
    {
        _writer ??= new ArrowFileWriter(stream, batch.Schema, leaveOpen: true);
        _writer.WriteRecordBatch(batch.Batch);
    }

    public override void Finish()
    {
        _writer ??= new ArrowFileWriter(stream, DocumentBatch.CoreSchema, leaveOpen: true);
        _writer.WriteEnd();
        stream.Flush();
    }

    public override void Dispose()
    {
        _writer?.Dispose();
        base.Dispose();
    }
}
