using System.Buffers;
using System.Buffers.Binary;
using System.Text;
using System.Text.Unicode;

namespace DataForge.Tokenization;

/// <summary>
/// A file of pre-token counts (<see cref="BpeTrainer.WordCounts"/>) that one process counted and another
/// sums: the magic "DFBPECT1", the number of pre-tokens (int64) and of distinct words (int64), then each
/// word in ordinal order as a 7-bit varint of (byte length x 2 + form), its bytes (form 0: UTF-8; form 1:
/// UTF-16LE, for the rare word with a lone surrogate, which UTF-8 cannot carry), and its count as a varint;
/// then "DFBPEEND". Written to a temporary name and renamed, so a file under the final name is whole; the same
/// counts always give the same bytes.
/// </summary>
public static class BpeCounts
{
    static ReadOnlySpan<byte> Magic => "DFBPECT1"u8;
    static ReadOnlySpan<byte> End => "DFBPEEND"u8;

    public static void Write(string path, IReadOnlyCollection<KeyValuePair<string, long>> words, long preTokens)
    {
        Directory.CreateDirectory(Path.GetDirectoryName(Path.GetFullPath(path))!);
        string tmp = $"{path}.tmp-{Environment.ProcessId}";
        using (var fs = new FileStream(tmp, FileMode.Create, FileAccess.Write, FileShare.None, 1 << 16))
        using (var w = new BinaryWriter(fs))
        {
            w.Write(Magic);
            w.Write(preTokens);
            w.Write((long)words.Count);
            byte[] buf = new byte[256];
            string? previous = null;
            foreach (var (word, count) in words)
            {
                if (previous is not null && string.CompareOrdinal(previous, word) >= 0)
                    throw new ArgumentException($"words must be distinct and in ordinal order: \"{previous}\" before \"{word}\"");
                if (count < 1) throw new ArgumentException($"word \"{word}\": count must be >= 1, got {count}");
                previous = word;
                int max = Math.Max(Encoding.UTF8.GetMaxByteCount(word.Length), word.Length * 2);
                if (buf.Length < max) buf = new byte[Math.Max(max, buf.Length * 2)];
                int n, form = 0;
                if (Utf8.FromUtf16(word, buf, out _, out n, replaceInvalidSequences: false) != OperationStatus.Done)
                {
                    // Code unit by code unit: Encoding.Unicode would replace the lone surrogate too.
                    form = 1;
                    n = word.Length * 2;
                    for (int i = 0; i < word.Length; i++) BinaryPrimitives.WriteUInt16LittleEndian(buf.AsSpan(2 * i), word[i]);
                }
                w.Write7BitEncodedInt64((long)n * 2 + form);
                w.Write(buf, 0, n);
                w.Write7BitEncodedInt64(count);
            }
            w.Write(End);
            w.Flush();
            fs.Flush(flushToDisk: true);
        }
        File.Move(tmp, path, overwrite: true);
    }

    /// <summary>The number of pre-tokens a file counted (its header only).</summary>
    public static long PreTokens(string path)
    {
        using var r = Open(path, out long preTokens, out _);
        return preTokens;
    }

    /// <summary>Reads a count file whole; <paramref name="preTokens"/> is the number of pre-tokens it counted.</summary>
    public static List<KeyValuePair<string, long>> Read(string path, out long preTokens)
    {
        preTokens = PreTokens(path);
        return Words(path).ToList();
    }

    /// <summary>The words of a count file and their counts, in ordinal order, read as they are enumerated.</summary>
    public static IEnumerable<KeyValuePair<string, long>> Words(string path)
    {
        using var r = Open(path, out _, out long distinct);
        byte[] buf = new byte[256];
        for (long i = 0; i < distinct; i++)
        {
            string word;
            long count;
            try
            {
                long head = r.Read7BitEncodedInt64();
                long n = head >> 1;
                if (n < 0 || n > int.MaxValue) throw new InvalidDataException($"word {i}: length {n} is impossible");
                if (buf.Length < n) buf = new byte[Math.Max((int)n, buf.Length * 2)];
                r.BaseStream.ReadExactly(buf, 0, (int)n);
                word = (head & 1) == 0 ? Encoding.UTF8.GetString(buf, 0, (int)n) : Utf16(buf.AsSpan(0, (int)n));
                count = r.Read7BitEncodedInt64();
            }
            catch (Exception ex) when (ex is EndOfStreamException or FormatException or InvalidDataException)
            {
                throw Truncated(path, ex);
            }
            yield return new(word, count);
        }
        byte[] end = new byte[8];
        try { r.BaseStream.ReadExactly(end); }
        catch (EndOfStreamException ex) { throw Truncated(path, ex); }
        if (!end.AsSpan().SequenceEqual(End)) throw Truncated(path, new InvalidDataException("no end mark after the last word"));
    }

    static InvalidDataException Truncated(string path, Exception ex) => new($"{path}: not a whole pre-token count file ({ex.Message})");

    static string Utf16(ReadOnlySpan<byte> bytes)
    {
        if (bytes.Length % 2 != 0) throw new InvalidDataException($"a UTF-16 word of {bytes.Length} bytes");
        return string.Create(bytes.Length / 2, bytes.ToArray(), (chars, b) =>
        {
            for (int i = 0; i < chars.Length; i++) chars[i] = (char)BinaryPrimitives.ReadUInt16LittleEndian(b.AsSpan(2 * i));
        });
    }

    static BinaryReader Open(string path, out long preTokens, out long distinct)
    {
        var r = new BinaryReader(new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read, 1 << 16));
        try
        {
            Span<byte> magic = stackalloc byte[8];
            r.BaseStream.ReadExactly(magic);
            if (!magic.SequenceEqual(Magic)) throw new InvalidDataException("it does not start with DFBPECT1");
            preTokens = r.ReadInt64();
            distinct = r.ReadInt64();
            if (preTokens < 0 || distinct < 0) throw new InvalidDataException("negative counts in the header");
            return r;
        }
        catch (Exception ex) when (ex is EndOfStreamException or InvalidDataException)
        {
            r.Dispose();
            throw new InvalidDataException($"{path}: not a pre-token count file DataForge wrote ({ex.Message})");
        }
    }
}
