using System.Numerics;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;
using System.Text;

namespace DataForge.Text;

/// <summary>
/// Python string semantics that the English heuristics are defined in (datatrove is Python):
/// <c>len</c> in code points, <c>splitlines</c>, <c>strip</c>, <c>split()</c>, <c>isalpha</c>.
/// </summary>
public static class PyText
{
    /// <summary>Python <c>len(s)</c>: code points, so a surrogate pair counts once.</summary>
    public static int Len(ReadOnlySpan<char> s)
    {
        // Surrogates are rare: one vectorised range search usually settles it.
        if (!s.ContainsAnyInRange('\uDC00', '\uDFFF')) return s.Length;
        int low = 0;
        foreach (char c in s) if (char.IsLowSurrogate(c)) low++;
        return s.Length - low;
    }

    /// <summary>Python's whitespace (<c>str.isspace()</c>): Zs, and bidi types WS, B and S.</summary>
    public static readonly System.Buffers.SearchValues<char> Whitespace = System.Buffers.SearchValues.Create(
        " \t\n\v\f\r\u001C\u001D\u001E\u001F\u0085\u00A0\u1680\u2000\u2001\u2002\u2003\u2004\u2005\u2006\u2007\u2008\u2009\u200A\u2028\u2029\u202F\u205F\u3000");

    /// <summary>Line boundaries of Python's <c>str.splitlines()</c>.</summary>
    public static readonly System.Buffers.SearchValues<char> LineBreaks = System.Buffers.SearchValues.Create("\n\r\v\f\u001C\u001D\u001E\u0085\u2028\u2029");

    /// <summary>Python's <c>str.isspace()</c>; ASCII is decided inline, the rest by the set.</summary>
    [System.Runtime.CompilerServices.MethodImpl(System.Runtime.CompilerServices.MethodImplOptions.AggressiveInlining)]
    public static bool IsSpace(char c) => c <= ' ' ? c == ' ' || (uint)(c - '\t') <= '\r' - '\t' || (uint)(c - 0x1C) <= 3 : c >= 0x85 && Whitespace.Contains(c);

    /// <summary>Python <c>str.splitlines()</c> (no line ends kept) as (start, length) ranges.</summary>
    public static void SplitLines(ReadOnlySpan<char> s, List<Range> lines)
    {
        lines.Clear();
        int start = 0;
        for (int i = 0; i < s.Length; i++)
        {
            int next = s[i..].IndexOfAny(LineBreaks);
            if (next < 0) break;
            i += next;
            char c = s[i];
            lines.Add(new Range(start, i));
            if (c == '\r' && i + 1 < s.Length && s[i + 1] == '\n') i++;
            start = i + 1;
        }
        if (start < s.Length) lines.Add(new Range(start, s.Length));
    }

    /// <summary><c>s.split(sep)</c> for a single character separator.</summary>
    public static void Split(ReadOnlySpan<char> s, char sep, List<Range> parts)
    {
        parts.Clear();
        int start = 0;
        for (int i = 0; i < s.Length; i++)
            if (s[i] == sep) { parts.Add(new Range(start, i)); start = i + 1; }
        parts.Add(new Range(start, s.Length));
    }

    public static ReadOnlySpan<char> Strip(ReadOnlySpan<char> s) => RStrip(LStrip(s));

    public static ReadOnlySpan<char> LStrip(ReadOnlySpan<char> s)
    {
        int a = 0;
        while (a < s.Length && IsSpace(s[a])) a++;
        return s[a..];
    }

    public static ReadOnlySpan<char> RStrip(ReadOnlySpan<char> s)
    {
        int b = s.Length;
        while (b > 0 && IsSpace(s[b - 1])) b--;
        return s[..b];
    }

    /// <summary>Python <c>len(s.split())</c> and the longest of those words (in code points), in one pass.</summary>
    public static (int Count, int Longest) WordStats(ReadOnlySpan<char> s)
    {
        int n = 0, best = 0, cur = 0;
        foreach (char c in s)
        {
            if (IsSpace(c)) { cur = 0; continue; }
            if (cur == 0) n++;
            if (!char.IsLowSurrogate(c) && ++cur > best) best = cur;
        }
        return (n, best);
    }

    /// <summary>Python <c>len(s.split())</c>; once <paramref name="limit"/> words are found it may stop early (returning at least <paramref name="limit"/>).</summary>
    public static int CountWords(ReadOnlySpan<char> s, int limit = int.MaxValue)
    {
        int n = 0, i = 0;
        bool inWord = false;
        if (Vector256.IsHardwareAccelerated)
        {
            // 16 characters at a time while they are ASCII: a word starts at a non-space whose
            // predecessor is a space (the block's first predecessor is the previous block's last).
            ref ushort chars = ref Unsafe.As<char, ushort>(ref MemoryMarshal.GetReference(s));
            for (; i + 16 <= s.Length && n < limit; i += 16)
            {
                var v = Vector256.LoadUnsafe(ref chars, (nuint)i);
                if (Vector256.GreaterThanOrEqualAny(v, Vector256.Create((ushort)0x80)))
                {
                    // A block with non-ASCII characters goes one character at a time.
                    for (int k = i; k < i + 16; k++)
                    {
                        if (IsSpace(s[k])) { inWord = false; continue; }
                        if (!inWord) n++;
                        inWord = true;
                    }
                    continue;
                }
                var space = Vector256.Equals(v, Vector256.Create((ushort)' '))
                    | Vector256.LessThanOrEqual(v - Vector256.Create((ushort)'\t'), Vector256.Create((ushort)('\r' - '\t')))
                    | Vector256.LessThanOrEqual(v - Vector256.Create((ushort)0x1C), Vector256.Create((ushort)3));
                uint word = ~space.ExtractMostSignificantBits() & 0xFFFF;
                uint before = (word << 1) | (inWord ? 1u : 0u);
                n += BitOperations.PopCount(word & ~before);
                inWord = (word & 0x8000) != 0;
            }
            if (n >= limit) return n;
        }
        for (; i < s.Length; i++)
        {
            if (IsSpace(s[i])) { inWord = false; continue; }
            if (!inWord && ++n >= limit) return n;
            inWord = true;
        }
        return n;
    }

    /// <summary>Python <c>c.isalpha()</c> on the code point at <paramref name="i"/>.</summary>
    public static bool IsAlphaAt(ReadOnlySpan<char> s, int i)
    {
        char c = s[i];
        if (c < 128) return char.IsAsciiLetter(c);
        if (char.IsHighSurrogate(c) && i + 1 < s.Length) return Rune.IsLetter(new Rune(c, s[i + 1]));
        return char.IsLetter(c);
    }

    public static bool AnyAlpha(ReadOnlySpan<char> s)
    {
        for (int i = 0; i < s.Length; i++) if (IsAlphaAt(s, i)) return true;
        return false;
    }

    /// <summary>Non-overlapping occurrences, as Python's <c>str.count</c>.</summary>
    public static int Count(ReadOnlySpan<char> s, ReadOnlySpan<char> what)
    {
        int n = 0;
        while (true)
        {
            int k = s.IndexOf(what, StringComparison.Ordinal);
            if (k < 0) return n;
            n++;
            s = s[(k + what.Length)..];
        }
    }
}

/// <summary>Character classes shared by the heuristics.</summary>
public static class Punctuation
{
    /// <summary>
    /// Punctuation and symbols (Unicode P* and S* categories) and control characters: a token made
    /// only of these is a "symbol word" that the Gopher rules do not count as a word.
    /// </summary>
    public static bool IsPunctuation(char c)
    {
        if (c < 128) return c < 32 || c == 127 || (c > 32 && !char.IsAsciiLetterOrDigit(c));
        var cat = char.GetUnicodeCategory(c);
        return cat is System.Globalization.UnicodeCategory.Control
            or >= System.Globalization.UnicodeCategory.ConnectorPunctuation and <= System.Globalization.UnicodeCategory.OtherSymbol;
    }

    public static bool AllPunctuation(ReadOnlySpan<char> token)
    {
        foreach (char c in token) if (!IsPunctuation(c)) return false;
        return true;
    }

    /// <summary>Sentence terminators (the Unicode Sentence_Terminal property, main scripts).</summary>
    public static bool IsSentenceTerminal(char c) => c < 128 ? c is '.' or '!' or '?' : IsOtherSentenceTerminal(c);

    static bool IsOtherSentenceTerminal(char c) => c is '։' or '؟' or '۔' or '܀' or '܁' or '܂' or '।' or '॥'
        or '။' or '።' or '፧' or '፨' or '‼' or '‽' or '⁇' or '⁈' or '⁉' or '。' or '！' or '？' or '．' or '｡' or '﹒' or '﹖' or '﹗' or '⸮' or '؝' or '؞';
}
