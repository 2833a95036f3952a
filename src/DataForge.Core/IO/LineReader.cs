using DataForge.Execution;

namespace DataForge.IO;

/// <summary>
/// Reads '\n'-terminated lines from a stream into a reusable buffer (no per-line allocation).
/// Supports byte ranges: with <c>skipPartialFirst</c> the first (partial) line is skipped, and
/// lines starting at or after <c>end</c> are left to the next range. The buffer never grows past
/// <c>max_line_bytes</c>: a longer line is an error, or, with an <c>onTooLong</c> handler, reported
/// and stepped over without being held in memory.
/// </summary>
public sealed class LineReader
{
    readonly Stream _stream;
    readonly string _path;
    readonly long _maxLineBytes;
    readonly long _end;
    byte[] _buf;
    int _pos, _len;
    bool _eof;
    long _bufferStartOffset; // stream offset of _buf[0]
    readonly TooLongHandler? _onTooLong;

    /// <summary>Told of a line over max_line_bytes: where it starts, its 1-based number in the range, and its first bytes.</summary>
    public delegate void TooLongHandler(long lineStart, long lineNumber, ReadOnlySpan<byte> prefix);

    public LineReader(Stream stream, string path, long startOffset, long end, bool skipPartialFirst, long maxLineBytes, int bufferSize = 1 << 20,
        TooLongHandler? onTooLong = null)
    {
        _stream = stream;
        _onTooLong = onTooLong;
        _path = path;
        _maxLineBytes = maxLineBytes;
        _end = end;
        _buf = GC.AllocateUninitializedArray<byte>((int)Math.Min(bufferSize, maxLineBytes + 1));
        _bufferStartOffset = startOffset;
        if (skipPartialFirst && TryReadLine(out _)) LinesRead = 0;
    }

    /// <summary>Stream offset where the last returned line started.</summary>
    public long LineOffset { get; private set; }
    /// <summary>Lines returned so far (1-based number of the last line, relative to the range start).</summary>
    public long LinesRead { get; private set; }
    /// <summary>Set by a reader that stopped at a fault in the stream (the file's end was not reached).</summary>
    public bool Faulted { get; set; }
    /// <summary>Bytes consumed from the stream so far.</summary>
    public long Consumed => _bufferStartOffset + _pos;

    public bool TryReadLine(out ReadOnlySpan<byte> line)
    {
        while (true)
        {
            long lineStart = _bufferStartOffset + _pos;
            if (lineStart >= _end) { line = default; return false; }
            int nl = _buf.AsSpan(_pos, _len - _pos).IndexOf((byte)'\n');
            if (nl >= 0)
            {
                line = _buf.AsSpan(_pos, nl);
                _pos += nl + 1;
                return Found(ref line, lineStart);
            }
            if (_eof)
            {
                if (_pos == _len) { line = default; return false; }
                if (_len - _pos > _maxLineBytes) { Fill(); continue; }
                line = _buf.AsSpan(_pos, _len - _pos);
                _pos = _len;
                return Found(ref line, lineStart);
            }
            Fill();
        }
    }

    bool Found(ref ReadOnlySpan<byte> line, long lineStart)
    {
        if (line.Length > 0 && line[^1] == (byte)'\r') line = line[..^1];
        LineOffset = lineStart;
        LinesRead++;
        return true;
    }

    void Fill()
    {
        // Move the partial line to the front, growing the buffer for lines longer than it.
        int pending = _len - _pos;
        if (pending > _maxLineBytes)
        {
            long start = _bufferStartOffset + _pos;
            if (_onTooLong is null)
                throw new InputException(_path, $"a line starting at byte {start} is longer than max_line_bytes ({_maxLineBytes})");
            _onTooLong(start, LinesRead + 1, _buf.AsSpan(_pos, pending));
            LinesRead++;
            SkipRestOfLine();
            return;
        }
        if (_pos > 0)
        {
            Buffer.BlockCopy(_buf, _pos, _buf, 0, pending);
            _bufferStartOffset += _pos;
            _pos = 0;
            _len = pending;
        }
        if (_len == _buf.Length)
        {
            // Doubling, but never past max_line_bytes + 1: one byte more than allowed is enough to tell a line is too long.
            var bigger = GC.AllocateUninitializedArray<byte>((int)Math.Min(Math.Min(Array.MaxLength, (long)_buf.Length * 2), _maxLineBytes + 1));
            Buffer.BlockCopy(_buf, 0, bigger, 0, _len);
            _buf = bigger;
            // The buffer only grows this large for a huge line: collect the smaller one it replaces now,
            // rather than let each doubling's garbage pile up until the next full collection.
            if (bigger.Length >= 64 << 20) GC.Collect(2, GCCollectionMode.Forced, blocking: true, compacting: true);
        }
        int n = _stream.Read(_buf, _len, _buf.Length - _len);
        if (n == 0) _eof = true;
        _len += n;
    }

    /// <summary>Discards buffered and streamed bytes up to and including the next '\n' (or the end).</summary>
    void SkipRestOfLine()
    {
        while (true)
        {
            int nl = _buf.AsSpan(_pos, _len - _pos).IndexOf((byte)'\n');
            if (nl >= 0) { _pos += nl + 1; return; }
            _bufferStartOffset += _len;
            _pos = _len = 0;
            if (_eof) return;
            int n = _stream.Read(_buf, 0, _buf.Length);
            if (n == 0) { _eof = true; return; }
            _len = n;
        }
    }
}
