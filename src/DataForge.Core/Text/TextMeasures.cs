using System.Runtime.InteropServices;
using System.Text;

namespace DataForge.Text;

/// <summary>Cheap counts over UTF-8 text used by length rules and statistics.</summary>
public static class TextMeasures
{
    /// <summary>Unicode scalar values (characters): bytes that are not UTF-8 continuation bytes.</summary>
    public static int CharCount(ReadOnlySpan<byte> utf8)
    {
        int continuation = 0;
        foreach (byte b in utf8) if ((b & 0xC0) == 0x80) continuation++;
        return utf8.Length - continuation;
    }

    /// <summary>
    /// Lines as <c>text.split('\n')</c> would give them, ignoring one trailing newline; empty text has 0.
    /// </summary>
    public static int LineCount(ReadOnlySpan<byte> utf8)
    {
        if (utf8.IsEmpty) return 0;
        int n = utf8.Count((byte)'\n');
        return utf8[^1] == (byte)'\n' ? n : n + 1;
    }

    /// <summary>
    /// Words: maximal runs of non-whitespace, except that every CJK ideograph, kana or hangul syllable
    /// counts as a word of its own (those scripts do not separate words with spaces).
    /// </summary>
    public static int WordCount(ReadOnlySpan<byte> utf8)
    {
        int words = 0;
        bool inWord = false;
        int i = 0;
        while (i < utf8.Length)
        {
            byte b = utf8[i];
            if (b < 0x80)
            {
                bool space = b is (byte)' ' or (byte)'\t' or (byte)'\n' or (byte)'\r' or 0x0B or 0x0C;
                if (space) inWord = false;
                else if (!inWord) { words++; inWord = true; }
                i++;
                continue;
            }
            Rune.DecodeFromUtf8(utf8[i..], out var r, out int len);
            if (Scripts.IsCjk(r.Value)) { words++; inWord = false; }
            else if (Rune.IsWhiteSpace(r)) inWord = false;
            else if (!inWord) { words++; inWord = true; }
            i += Math.Max(1, len);
        }
        return words;
    }
}

/// <summary>Script membership tests used across the text rules.</summary>
public static class Scripts
{
    /// <summary>Han ideographs (incl. extensions and compatibility), kana and hangul.</summary>
    public static bool IsCjk(int cp) =>
        (cp >= 0x4E00 && cp <= 0x9FFF) || (cp >= 0x3400 && cp <= 0x4DBF) || (cp >= 0x20000 && cp <= 0x2FA1F)
        || (cp >= 0xF900 && cp <= 0xFAFF) || (cp >= 0x3040 && cp <= 0x30FF) || (cp >= 0xAC00 && cp <= 0xD7AF);

    /// <summary>Han ideographs only (Chinese characters).</summary>
    public static bool IsHan(int cp) =>
        (cp >= 0x4E00 && cp <= 0x9FFF) || (cp >= 0x3400 && cp <= 0x4DBF) || (cp >= 0x20000 && cp <= 0x2FA1F) || (cp >= 0xF900 && cp <= 0xFAFF);
}
