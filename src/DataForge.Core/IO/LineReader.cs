using DataForge.Execution;

namespace DataForge.IO;

/// <summary>
/// Reads '\n'-terminated lines from a stream into a reusable buffer (no per-line allocation).
/// Supports byte ranges: with <c>skipPartialFirst</c> the first (partial) line is skipped, and
/// lines starting at or after <c>end</c> are left to the next range.
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

    public LineReader(Stream stream, string path, long startOffset, long end, bool skipPartialFirst, long maxLineBytes, int bufferSize = 1 << 20)
    {
        _stream = stream;
        _path = path;
        _maxLineBytes = maxLineBytes;
        _end = end;
        _buf = GC.AllocateUninitializedArray<byte>(bufferSize);
        _bufferStartOffset = startOffset;
        if (skipPartialFirst && TryReadLine(out _)) LinesRead = 0;
    }

    /// <summary>Stream offset where the last returned line started.</summary>
    public long LineOffset { get; private set; }
    /// <summary>Lines returned so far (1-based number of the last line, relative to the range start).</summary>
    public long LinesRead { get; private set; }
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
            throw new InputException(_path, $"a line starting at byte {_bufferStartOffset + _pos} is longer than max_line_bytes ({_maxLineBytes})");
        if (_pos > 0)
        {
            Buffer.BlockCopy(_buf, _pos, _buf, 0, pending);
            _bufferStartOffset += _pos;
            _pos = 0;
            _len = pending;
        }
        if (_len == _buf.Length)
        {
            var bigger = GC.AllocateUninitializedArray<byte>((int)Math.Min(Array.MaxLength, (long)_buf.Length * 2));
            Buffer.BlockCopy(_buf, 0, bigger, 0, _len);
            _buf = bigger;
        }
        int n = _stream.Read(_buf, _len, _buf.Length - _len);
        if (n == 0) _eof = true;
        _len += n;
    }
}
