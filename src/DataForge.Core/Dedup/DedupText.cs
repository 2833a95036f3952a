using System.Buffers;
using System.Globalization;
using System.Text;
using DataForge.Text;

namespace DataForge.Dedup;

/// <summary>
/// The text normalisation of near-duplicate detection (SPEC.md, minhash_dedup), on UTF-8 into a
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

    /// <summary>Normalises <paramref name="utf8"/> into <paramref name="buffer"/> (grown as needed); returns the length.</summary>
    public static int Normalize(ReadOnlySpan<byte> utf8, ref byte[] buffer)
    {
        // Output is at most 3x + 2 the input (an ideograph of 3 bytes becomes " X ").
        int max = utf8.Length * 3 + 8;
        if (buffer.Length < max) buffer = new byte[Math.Max(max, 1 << 16)];
        var o = buffer.AsSpan();
        int n = 0;
        bool pendingSpace = false;
        int i = 0;
        while (i < utf8.Length)
        {
            byte b = utf8[i];
            if (b < 0x80)
            {
                i++;
                byte c;
                if ((uint)(b - 'a') <= 'z' - 'a') c = b;
                else if ((uint)(b - 'A') <= 'Z' - 'A') c = (byte)(b + 32);
                else if ((uint)(b - '0') <= 9) c = (byte)'0';
                else { pendingSpace = true; continue; }
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
