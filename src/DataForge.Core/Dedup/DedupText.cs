using System.Buffers;
using System.Globalization;
using System.Text;
using DataForge.Text;

namespace DataForge.Dedup;

/// <summary>
/// The text normalisation of near-duplicate detection (docs/reference.md#dedup-normalisation), on UTF-8 into a
/// caller's buffer: lowercase, every decimal digit -> '0', punctuation and symbols -> space, NFD with
/// combining marks dropped (so "Café" and "cafe" agree), whitespace collapsed to single spaces and
/// trimmed. CJK ideographs and kana, which are written without spaces, become one word each, so
/// word n-grams also work on Chinese and Japanese. Words in the output are separated by exactly one
/// space, so a word n-gram is a contiguous slice of it.
/// </summary>
public static class DedupNormalizer
{
    // Normalised UTF-8 of each BMP code point at or above 0x80 (computed on first use; benign races).
    static readonly byte[]?[] Table = new byte[]?[0x10000];
    static readonly byte[] Space = [(byte)' '];
    // ASCII: letters lowercased, digits to '0', everything else a word break (0).
    static readonly byte[] AsciiMap = BuildAsciiMap();

    static byte[] BuildAsciiMap()
    {
        var m = new byte[128];
        for (int c = 'a'; c <= 'z'; c++) m[c] = (byte)c;
        for (int c = 'A'; c <= 'Z'; c++) m[c] = (byte)(c + 32);
        for (int c = '0'; c <= '9'; c++) m[c] = (byte)'0';
        return m;
    }

    /// <summary>Normalises <paramref name="utf8"/> into <paramref name="buffer"/> (grown as needed); returns the length.</summary>
    public static int Normalize(ReadOnlySpan<byte> utf8, ref byte[] buffer)
    {
        // Output is at most 10/3 the input: a Hangul syllable (3 bytes) decomposes into three jamo of 3 bytes
        // each, kept as one CJK word with a space (an ideograph of 3 bytes becomes " X ").
        int max = utf8.Length * 4 + 8;
        if (buffer.Length < max) buffer = new byte[Math.Max(max, 1 << 16)];
        var o = buffer.AsSpan();
        int n = 0;
        bool pendingSpace = false;
        int i = 0;
        while (i < utf8.Length)
        {
            byte b = utf8[i];
            if ((uint)(b - 'a') <= 'z' - 'a')
            {
                // A run of lowercase ASCII letters (most of English text) is copied as it is.
                int run = utf8[i..].IndexOfAnyExceptInRange((byte)'a', (byte)'z');
                if (run < 0) run = utf8.Length - i;
                if (pendingSpace) { if (n > 0) o[n++] = (byte)' '; pendingSpace = false; }
                utf8.Slice(i, run).CopyTo(o[n..]);
                n += run;
                i += run;
                continue;
            }
            if (b < 0x80)
            {
                i++;
                byte c = AsciiMap[b];
                if (c == 0) { pendingSpace = true; continue; }
                if (pendingSpace) { if (n > 0) o[n++] = (byte)' '; pendingSpace = false; }
                o[n++] = c;
                continue;
            }
            if (Rune.DecodeFromUtf8(utf8[i..], out var rune, out int len) != OperationStatus.Done) { i += Math.Max(1, len); pendingSpace = true; continue; }
            i += len;
            var mapped = rune.Value < 0x10000 ? (Table[rune.Value] ??= Compute(rune)) : Compute(rune);
            foreach (byte m in mapped)
            {
                if (m == ' ') { pendingSpace = true; continue; }
                if (pendingSpace) { if (n > 0) o[n++] = (byte)' '; pendingSpace = false; }
                o[n++] = m;
            }
        }
        return n;
    }

    /// <summary>Normalised form of one non-ASCII code point (spaces mark word breaks).</summary>
    static byte[] Compute(Rune r)
    {
        if (Rune.IsWhiteSpace(r) || Rune.IsControl(r)) return Space;
        var cat = Rune.GetUnicodeCategory(r);
        if (cat == UnicodeCategory.DecimalDigitNumber) return [(byte)'0'];
        if (cat is >= UnicodeCategory.ConnectorPunctuation and <= UnicodeCategory.OtherSymbol) return Space;
        if (cat is UnicodeCategory.NonSpacingMark or UnicodeCategory.EnclosingMark or UnicodeCategory.Format) return [];
        var sb = new StringBuilder();
        foreach (char c in r.ToString().ToLowerInvariant().Normalize(NormalizationForm.FormD))
            if (CharUnicodeInfo.GetUnicodeCategory(c) != UnicodeCategory.NonSpacingMark) sb.Append(c);
        string s = sb.ToString();
        if (Scripts.IsCjk(r.Value)) s = " " + s + " ";
        return Encoding.UTF8.GetBytes(s);
    }

    /// <summary>The normalised text as a string (for tests and tools).</summary>
    public static string Normalize(string text)
    {
        byte[] buf = [];
        int n = Normalize(Encoding.UTF8.GetBytes(text), ref buf);
        return Encoding.UTF8.GetString(buf, 0, n);
    }
}

/// <summary>Splits UTF-8 text into sentences and lines as byte ranges that together cover the whole text.</summary>
public static class TextSpans
{
    /// <summary>
    /// Sentences: a sentence ends after a run of sentence-terminal characters (<c>. ! ?</c>, CJK
    /// <c>。！？</c> and the other Unicode terminators) and any closing quotes or brackets, when
    /// whitespace or the end follows (after a CJK terminator, always), and at every newline. Each
    /// range includes the whitespace that follows the sentence, so concatenating ranges rebuilds the text.
    /// </summary>
    public static void Sentences(ReadOnlySpan<byte> utf8, List<Range> sentences)
    {
        sentences.Clear();
        int start = 0, i = 0;
        while (i < utf8.Length)
        {
            int cp = Next(utf8, ref i);
            bool end = false;
            if (cp == '\n') end = true;
            else if (cp <= 0xFFFF && Punctuation.IsSentenceTerminal((char)cp))
            {
                bool wide = cp >= 0x3000;
                while (i < utf8.Length)
                {
                    int j = i;
                    int c = Next(utf8, ref j);
                    if ((c <= 0xFFFF && Punctuation.IsSentenceTerminal((char)c)) || c is '"' or '\'' or ')' or ']' or '”' or '’' or '»' or '」' or '』' or '）') { i = j; wide |= c >= 0x3000; }
                    else break;
                }
                end = wide || i >= utf8.Length || IsSpace(utf8[i]);
            }
            if (!end) continue;
            while (i < utf8.Length && IsSpace(utf8[i])) i++;
            sentences.Add(start..i);
            start = i;
        }
        if (start < utf8.Length) sentences.Add(start..utf8.Length);
    }

    /// <summary>Lines: ranges without their '\n'.</summary>
    public static void Lines(ReadOnlySpan<byte> utf8, List<Range> lines)
    {
        lines.Clear();
        int start = 0;
        while (true)
        {
            int nl = utf8[start..].IndexOf((byte)'\n');
            if (nl < 0) { lines.Add(start..utf8.Length); return; }
            lines.Add(start..(start + nl));
            start += nl + 1;
        }
    }

    static bool IsSpace(byte b) => b is (byte)' ' or (byte)'\t' or (byte)'\n' or (byte)'\r';

    static int Next(ReadOnlySpan<byte> utf8, ref int i)
    {
        if (utf8[i] < 0x80) return utf8[i++];
        Rune.DecodeFromUtf8(utf8[i..], out var r, out int len);
        i += Math.Max(1, len);
        return r.Value;
    }
}
