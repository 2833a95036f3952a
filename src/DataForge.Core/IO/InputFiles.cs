using System.IO.Compression;
using System.Text;
using System.Text.RegularExpressions;
using DataForge.Execution;

namespace DataForge.IO;

public enum Compression { None, Gzip, Zstd }

/// <summary>An input file: its full path, and the name messages and ids use for it.</summary>
public sealed record InputFile(string Path, string Display);

/// <summary>Glob expansion and (de)compressing streams shared by every reader and writer.</summary>
public static class InputFiles
{
    /// <summary>
    /// Expands glob patterns (<c>*</c>, <c>?</c>, <c>**</c> for any depth) into files, sorted ordinally
    /// per pattern so partitioning is reproducible. A pattern matching nothing is an error.
    /// </summary>
    public static IReadOnlyList<string> Expand(IEnumerable<string> patterns, string baseDirectory, bool followSymlinks = false)
        => ExpandInputs(patterns, baseDirectory, followSymlinks).Select(f => f.Path).ToList();

    /// <summary>
    /// Expands glob patterns into files with the name messages and ids use for each: relative (to
    /// <paramref name="baseDirectory"/>) when the pattern was relative, absolute when it was absolute, so
    /// locations depend on the pipeline text, not on where the command runs. Directory walks never
    /// loop: symbolic links to directories are followed only with <paramref name="followSymlinks"/>, and
    /// each directory and each file (by device and inode) is visited once, even when several
    /// patterns or links reach it.
    /// </summary>
    public static IReadOnlyList<InputFile> ExpandInputs(IEnumerable<string> patterns, string baseDirectory, bool followSymlinks = false)
    {
        var result = new List<InputFile>();
        var seen = new HashSet<string>(StringComparer.Ordinal);
        foreach (var raw in patterns)
        {
            string pattern = Path.GetFullPath(Path.Combine(baseDirectory, raw));
            var files = new List<string>();
            if (pattern.IndexOfAny(['*', '?', '[']) < 0)
            {
                if (Directory.Exists(pattern))
                    throw new InputException($"{raw}: is a directory; give a file or a glob such as {raw.TrimEnd('/')}/*.jsonl");
                if (!File.Exists(pattern)) throw new InputException($"{raw}: file not found");
                files.Add(pattern);
            }
            else
            {
                string root = GlobRoot(pattern);
                var regex = new Regex("^" + GlobToRegex(pattern) + "$", RegexOptions.CultureInvariant, TimeSpan.FromSeconds(1));
                int wild = pattern.IndexOfAny(['*', '?', '[']);
                bool deep = pattern.IndexOf(Path.DirectorySeparatorChar, wild) >= 0 || pattern.Contains("**", StringComparison.Ordinal);
                if (Directory.Exists(root)) Walk(raw, root, deep, followSymlinks, regex, files, new HashSet<string>(StringComparer.Ordinal));
                if (files.Count == 0) throw new InputException($"{raw}: no files match");
                files.Sort(StringComparer.Ordinal);
            }
            bool relative = !Path.IsPathRooted(raw);
            foreach (var f in files)
                if (seen.Add(FileIdentity.Of(f)))
                    result.Add(new InputFile(f, relative ? Path.GetRelativePath(baseDirectory, f) : f));
        }
        return result;
    }

    /// <summary>The directory a glob is walked from (the part before the first wildcard), or the file itself.</summary>
    public static string GlobRoot(string fullPattern)
    {
        int wild = fullPattern.IndexOfAny(['*', '?', '[']);
        if (wild < 0) return fullPattern;
        int slash = fullPattern.LastIndexOf(Path.DirectorySeparatorChar, wild);
        return fullPattern[..Math.Max(1, slash)];
    }

    static void Walk(string pattern, string dir, bool deep, bool followSymlinks, Regex regex, List<string> files, HashSet<string> visited)
    {
        // A directory reached twice (a link back up the tree, two links to one place) is walked once.
        if (!visited.Add(FileIdentity.Of(dir))) return;
        var options = new EnumerationOptions { RecurseSubdirectories = false, AttributesToSkip = 0, IgnoreInaccessible = false };
        IEnumerable<FileSystemInfo> entries;
        try { entries = new DirectoryInfo(dir).EnumerateFileSystemInfos("*", options).ToList(); }
        catch (Exception ex) when (ex is UnauthorizedAccessException or IOException)
        {
            throw new InputException($"{pattern}: cannot list {dir} ({ex.Message})", ex);
        }
        foreach (var e in entries)
        {
            if (e is DirectoryInfo d)
            {
                if (deep && (followSymlinks || d.LinkTarget is null)) Walk(pattern, d.FullName, deep, followSymlinks, regex, files, visited);
            }
            else if (regex.IsMatch(e.FullName)) files.Add(e.FullName);
        }
    }

    static string GlobToRegex(string glob)
    {
        var sb = new StringBuilder();
        for (int i = 0; i < glob.Length; i++)
        {
            char c = glob[i];
            if (c == '*')
            {
                if (i + 1 < glob.Length && glob[i + 1] == '*')
                {
                    // "**/" matches zero or more directories.
                    bool slashAfter = i + 2 < glob.Length && glob[i + 2] == '/';
                    sb.Append(slashAfter ? "(?:.*/)?" : ".*");
                    i += slashAfter ? 2 : 1;
                }
                else sb.Append("[^/]*");
            }
            else if (c == '?') sb.Append("[^/]");
            else if (c == '[')
            {
                int end = glob.IndexOf(']', i + 1);
                if (end < 0) sb.Append(@"\[");
                else { sb.Append('[').Append(glob.AsSpan(i + 1, end - i - 1).ToString().Replace("!", "^", StringComparison.Ordinal)).Append(']'); i = end; }
            }
            else sb.Append(Regex.Escape(c.ToString()));
        }
        return sb.ToString();
    }

    public static Compression DetectCompression(string path)
    {
        if (path.EndsWith(".gz", StringComparison.OrdinalIgnoreCase)) return Compression.Gzip;
        if (path.EndsWith(".zst", StringComparison.OrdinalIgnoreCase) || path.EndsWith(".zstd", StringComparison.OrdinalIgnoreCase)) return Compression.Zstd;
        return Compression.None;
    }

    /// <summary>The file name without a compression extension (.gz, .zst, .zstd, any case).</summary>
    public static string WithoutCompression(string path)
    {
        string name = Path.GetFileName(path);
        foreach (var ext in new[] { ".gz", ".zst", ".zstd" })
            if (name.EndsWith(ext, StringComparison.OrdinalIgnoreCase)) name = name[..^ext.Length];
        return name;
    }

    /// <summary>The file name without compression and format extensions (for default source names).</summary>
    public static string Stem(string path)
    {
        string name = WithoutCompression(path);
        int dot = name.IndexOf('.');
        return dot > 0 ? name[..dot] : name;
    }

    public static FileStream OpenRead(string path)
    {
        try
        {
            return new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read, 1, FileOptions.SequentialScan);
        }
        catch (FileNotFoundException) { throw new InputException($"{path}: file not found"); }
        catch (DirectoryNotFoundException) { throw new InputException($"{path}: file not found"); }
        catch (UnauthorizedAccessException ex) { throw new InputException($"{path}: cannot be read ({ex.Message})"); }
    }

    /// <summary>Opens a file for reading, decompressing by extension. Truncated input surfaces as <see cref="InputException"/>.</summary>
    public static Stream OpenDecompressed(string path)
    {
        var fs = OpenRead(path);
        return DetectCompression(path) switch
        {
            Compression.Gzip => new TruncationCheckingStream(new GZipStream(fs, CompressionMode.Decompress), fs, path, "gzip"),
            Compression.Zstd => new TruncationCheckingStream(new ZstdSharp.DecompressionStream(fs), fs, path, "zstd"),
            _ => fs,
        };
    }

    /// <summary>Wraps <paramref name="file"/> in a compressor (left open when the compressor is disposed).</summary>
    public static Stream Compress(Stream file, Compression c, int level = 0) => c switch
    {
        Compression.Gzip => new GZipStream(file, level <= 0 ? CompressionLevel.Fastest : CompressionLevel.Optimal, leaveOpen: true),
        Compression.Zstd => new ZstdSharp.CompressionStream(file, level <= 0 ? 3 : level, leaveOpen: true),
        _ => file,
    };
}

/// <summary>
/// Wraps a decompression stream and turns decoder errors and a premature end of the compressed data
/// into <see cref="InputException"/>. .NET's GZipStream checks the trailer of every gzip member it
/// finishes (and reads concatenated members, as in Common Crawl WET files or bgzip) but ends quietly
/// when the file stops inside a member, so the file's last 8 bytes must be the trailer (CRC-32 and
/// length) of the data that ended the stream: of all of it for a single member, else of its last
/// member, whose data is the tail kept here.
/// </summary>
sealed class TruncationCheckingStream(Stream inner, FileStream file, string path, string format) : Stream
{
    /// <summary>Decompressed bytes kept to verify a last member up to this size.</summary>
    internal const int TailBytes = 8 << 20;
    readonly System.IO.Hashing.Crc32? _crc = format == "gzip" ? new System.IO.Hashing.Crc32() : null;
    // Grows with the data (small files never pay for the full tail), then turns into a ring over the last TailBytes.
    byte[] _tail = [];
    long _total;
    bool _ended;

    void KeepTail(ReadOnlySpan<byte> data)
    {
        if (_total + data.Length > _tail.Length && _tail.Length < TailBytes)
        {
            // Until the tail is full size nothing has wrapped: every byte sits at its offset in the data.
            var bigger = new byte[Math.Min(TailBytes, Math.Max(1 << 16, Math.Max(_total + data.Length, 2L * _tail.Length)))];
            _tail.AsSpan(0, (int)_total).CopyTo(bigger);
            _tail = bigger;
        }
        int size = _tail.Length;
        int skip = Math.Max(0, data.Length - size);
        data = data[skip..];
        int at = (int)((_total + skip) % size);
        int first = Math.Min(data.Length, size - at);
        data[..first].CopyTo(_tail.AsSpan(at));
        data[first..].CopyTo(_tail);
    }

    /// <summary>CRC-32 of the last <paramref name="length"/> decompressed bytes (at most the tail's size).</summary>
    uint TailCrc(int length)
    {
        var crc = new System.IO.Hashing.Crc32();
        int start = (int)((_total - length) % _tail.Length);
        int first = Math.Min(length, _tail.Length - start);
        crc.Append(_tail.AsSpan(start, first));
        crc.Append(_tail.AsSpan(0, length - first));
        return crc.GetCurrentHashAsUInt32();
    }

    public override int Read(Span<byte> buffer)
    {
        if (_ended) return 0;
        int n;
        try { n = inner.Read(buffer); }
        catch (Exception ex) when (ex is InvalidDataException or IOException or ZstdSharp.ZstdException or ArgumentException)
        {
            throw new InputException(path, $"corrupt or truncated {format} data ({ex.Message})", ex);
        }
        if (n > 0)
        {
            if (_crc is not null)
            {
                _crc.Append(buffer[..n]);
                KeepTail(buffer[..n]);
            }
            _total += n;
            return n;
        }
        if (buffer.Length == 0) return 0;
        _ended = true;
        if (_crc is not null) CheckGzipTrailer();
        else if (file.Position < file.Length)
            throw new InputException(path, $"truncated zstd data (stream ended at compressed byte {file.Position} of {file.Length})");
        return 0;
    }

    void CheckGzipTrailer()
    {
        if (file.Length < 18) throw new InputException(path, $"truncated gzip data (file is {file.Length} bytes)");
        Span<byte> trailer = stackalloc byte[8];
        file.Seek(-8, SeekOrigin.End);
        file.ReadExactly(trailer);
        uint crc = System.Buffers.Binary.BinaryPrimitives.ReadUInt32LittleEndian(trailer);
        uint size = System.Buffers.Binary.BinaryPrimitives.ReadUInt32LittleEndian(trailer[4..]);
        if (crc == _crc!.GetCurrentHashAsUInt32() && size == (uint)_total) return;
        // Several members: the trailer must be that of the data's last `size` bytes.
        if (size < _total && size <= _tail.Length && crc == TailCrc((int)size)) return;
        throw new InputException(path, $"truncated or corrupt gzip data (decompressed {_total} bytes, but the file does not end with the trailer of that data"
            + (size > TailBytes && size < _total ? $"; if it holds several gzip members, its last member is over {TailBytes >> 20} MiB, too large to verify: recompress it" : "") + ")");
    }
    public override int Read(byte[] buffer, int offset, int count) => Read(buffer.AsSpan(offset, count));
    public override bool CanRead => true;
    public override bool CanSeek => false;
    public override bool CanWrite => false;
    public override long Length => throw new NotSupportedException();
    public override long Position { get => file.Position; set => throw new NotSupportedException(); }
    public override void Flush() { }
    public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();
    public override void SetLength(long value) => throw new NotSupportedException();
    public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();
    protected override void Dispose(bool disposing)
    {
        if (disposing) inner.Dispose();
        base.Dispose(disposing);
    }
}
