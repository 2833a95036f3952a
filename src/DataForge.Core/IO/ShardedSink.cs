using System.IO.Hashing;
using DataForge.Documents;
using DataForge.Execution;
using DataForge.Pipelines;
using DataForge.Stages;
using DataForge.Configuration;

namespace DataForge.IO;

/// <summary>Options every sharded writer has.</summary>
public class WriterOptions : IHasOutputPath
{
    [Option("Output directory (created if missing); relative to the current directory. run --output overrides it.", Required = true)]
    public string Path { get; set; } = "";

    [Option("Start a new shard after this many documents (0 = no limit).", Min = 0)]
    public long ShardMaxRows { get; init; }

    [Option("Start a new shard once this many bytes (uncompressed document size) were written (0 = no limit).", Min = 0)]
    public long ShardMaxBytes { get; init; } = 1L << 30;

    public void OverridePath(string path) => Path = path;
}

/// <summary>Writes one shard file in some format.</summary>
public abstract class ShardFileWriter : IDisposable
{
    public abstract void Write(DocumentBatch batch);
    /// <summary>Flushes footers; the stream is closed by the caller.</summary>
    public abstract void Finish();
    public virtual void Dispose() => GC.SuppressFinalize(this);
}

/// <summary>A sink that writes each partition to its own shards: part-PPPPP-SSSSS.EXT.</summary>
public abstract class ShardedSinkStage(WriterOptions options, StageInit init) : SinkStage(init)
{
    public override string OutputPath { get; } = init.ResolvePath(options.Path);
    protected abstract string Extension { get; }
    protected abstract ShardFileWriter CreateWriter(Stream stream);

    public override IPartitionSink Open(int partition, SinkContext context)
        => new ShardedPartitionSink(context.OutputDirectory, partition, Extension, CreateWriter, options.ShardMaxRows, options.ShardMaxBytes);

    public static string ShardName(int partition, int shard, string extension) => $"part-{partition:D5}-{shard:D5}.{extension}";
}

/// <summary>Rotates shards by row and byte limits; each shard is written under a temporary name and renamed when complete.</summary>
public sealed class ShardedPartitionSink(string directory, int partition, string extension, Func<Stream, ShardFileWriter> create,
    long maxRows, long maxBytes) : IPartitionSink
{
    readonly List<ShardInfo> _done = [];
    ShardFileWriter? _writer;
    HashingStream? _stream;
    string? _tmp, _final;
    long _rows, _bytes;
    int _shard;

    public void Write(DocumentBatch batch)
    {
        int start = 0;
        while (start < batch.Length)
        {
            if (_writer is null) OpenShard();
            int take = batch.Length - start;
            if (maxRows > 0) take = (int)Math.Min(take, maxRows - _rows);
            long bytes = 0;
            if (maxBytes > 0)
            {
                // Stop after the row that reaches the byte limit, so every shard gets at least one row.
                int n = 0;
                while (n < take)
                {
                    bytes += RowBytes(batch, start + n);
                    n++;
                    if (_bytes + bytes >= maxBytes) break;
                }
                take = n;
            }
            else for (int i = 0; i < take; i++) bytes += RowBytes(batch, start + i);
            var part = start == 0 && take == batch.Length ? batch : batch.Take(Enumerable.Range(start, take).ToArray());
            _writer!.Write(part);
            _rows += take;
            _bytes += bytes;
            start += take;
            if ((maxRows > 0 && _rows >= maxRows) || (maxBytes > 0 && _bytes >= maxBytes)) CloseShard();
        }
    }

    static long RowBytes(DocumentBatch b, int row)
        => b.Text.GetValueLength(row) + b.Id.GetValueLength(row) + b.Meta.GetValueLength(row) + b.Source.GetValueLength(row) + 32;

    void OpenShard()
    {
        _final = Path.Combine(directory, ShardedSinkStage.ShardName(partition, _shard, extension));
        _tmp = Path.Combine(directory, "." + Path.GetFileName(_final) + ".tmp");
        var fs = new FileStream(_tmp, FileMode.Create, FileAccess.ReadWrite, FileShare.None, 1 << 20);
        _stream = new HashingStream(fs);
        _writer = create(_stream);
        _rows = 0;
        _bytes = 0;
    }

    void CloseShard()
    {
        _writer!.Finish();
        _writer.Dispose();
        _stream!.Flush();
        string hash = _stream.HashHex();
        long length = _stream.Length;
        _stream.Dispose();
        File.Move(_tmp!, _final!, overwrite: true);
        FaultPoints.At("shard:closed");
        _done.Add(new ShardInfo(Path.GetFileName(_final!), _rows, length, hash));
        _writer = null;
        _stream = null;
        _shard++;
    }

    public IReadOnlyList<ShardInfo> Complete()
    {
        if (_writer is not null) CloseShard();
        return _done;
    }

    public void Dispose()
    {
        if (_writer is null) return;
        try { _writer.Dispose(); _stream?.Dispose(); } catch (IOException) { }
        if (_tmp is not null) File.Delete(_tmp);
        _writer = null;
    }
}

/// <summary>Computes xxhash64 of everything written; if the writer seeks back, the file is re-read instead.</summary>
sealed class HashingStream(FileStream inner) : Stream
{
    readonly XxHash64 _hash = new();
    bool _sequential = true;
    long _hashed;

    public string HashHex()
    {
        if (_sequential && _hashed == inner.Length) return Convert.ToHexStringLower(_hash.GetCurrentHash());
        inner.Flush();
        long pos = inner.Position;
        inner.Position = 0;
        var h = new XxHash64();
        h.Append(inner);
        inner.Position = pos;
        return Convert.ToHexStringLower(h.GetCurrentHash());
    }

    public override void Write(ReadOnlySpan<byte> buffer)
    {
        if (_sequential && inner.Position == _hashed) { _hash.Append(buffer); _hashed += buffer.Length; }
        else _sequential = false;
        inner.Write(buffer);
    }

    public override void Write(byte[] buffer, int offset, int count) => Write(buffer.AsSpan(offset, count));
    public override void WriteByte(byte value) => Write([value]);
    public override Task WriteAsync(byte[] buffer, int offset, int count, CancellationToken ct) { Write(buffer.AsSpan(offset, count)); return Task.CompletedTask; }
    public override ValueTask WriteAsync(ReadOnlyMemory<byte> buffer, CancellationToken ct = default) { Write(buffer.Span); return ValueTask.CompletedTask; }
    public override int Read(byte[] buffer, int offset, int count) => inner.Read(buffer, offset, count);
    public override bool CanRead => inner.CanRead;
    public override bool CanSeek => inner.CanSeek;
    public override bool CanWrite => true;
    public override long Length => inner.Length;
    public override long Position { get => inner.Position; set => inner.Position = value; }
    public override void Flush() => inner.Flush();
    public override Task FlushAsync(CancellationToken ct) { inner.Flush(); return Task.CompletedTask; }
    public override long Seek(long offset, SeekOrigin origin) => inner.Seek(offset, origin);
    public override void SetLength(long value) { _sequential = false; inner.SetLength(value); }
    protected override void Dispose(bool disposing)
    {
        if (disposing) inner.Dispose();
        base.Dispose(disposing);
    }
}
