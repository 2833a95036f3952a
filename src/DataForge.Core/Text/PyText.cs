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
        int low = 0;
        foreach (char c in s) if (char.IsLowSurrogate(c)) low++;
        return s.Length - low;
    }

    /// <summary>Python's <c>str.isspace()</c> for one character.</summary>
    public static bool IsSpace(char c) => c is ' ' or '\t' or '\n' or '\r' or '\v' or '\f' || (c > 127 && (char.IsWhiteSpace(c) || c is '\u001C' or '\u001D' or '\u001E' or '\u001F'))
        || c is '\u001C' or '\u001D' or '\u001E' or '\u001F';

    /// <summary>Line boundaries of Python's <c>str.splitlines()</c>.</summary>
    public static bool IsLineBreak(char c) => c is '\n' or '\r' or '\v' or '\f' or '\u001C' or '\u001D' or '\u001E' or '\u0085' or '\u2028' or '\u2029';

    /// <summary>Python <c>str.splitlines()</c> (no line ends kept) as (start, length) ranges.</summary>
    public static void SplitLines(ReadOnlySpan<char> s, List<Range> lines)
    {
        lines.Clear();
        int start = 0;
        for (int i = 0; i < s.Length; i++)
        {
            char c = s[i];
            if (!IsLineBreak(c)) continue;
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

    public static ReadOnlySpan<char> Strip(ReadOnlySpan<char> s)
    {
        int a = 0, b = s.Length;
        while (a < b && IsSpace(s[a])) a++;
        while (b > a && IsSpace(s[b - 1])) b--;
        return s[a..b];
    }

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

    /// <summary>Python <c>len(s.split())</c>: runs of non-whitespace.</summary>
    public static int CountWords(ReadOnlySpan<char> s)
    {
        int n = 0;
        bool inWord = false;
        foreach (char c in s)
        {
            if (IsSpace(c)) inWord = false;
            else if (!inWord) { n++; inWord = true; }
        }
        return n;
    }

    /// <summary>The longest whitespace-separated word, in code points.</summary>
    public static int LongestWord(ReadOnlySpan<char> s)
    {
        int best = 0, cur = 0;
        for (int i = 0; i < s.Length; i++)
        {
            if (IsSpace(s[i])) { cur = 0; continue; }
            if (!char.IsLowSurrogate(s[i])) cur++;
            if (cur > best) best = cur;
        }
        return best;
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
    public static bool IsSentenceTerminal(char c) => c is '.' or '!' or '?' or '։' or '؟' or '۔' or '܀' or '܁' or '܂' or '।' or '॥'
        or '။' or '።' or '፧' or '፨' or '‼' or '‽' or '⁇' or '⁈' or '⁉' or '。' or '！' or '？' or '．' or '｡' or '﹒' or '﹖' or '﹗' or '⸮' or '؝' or '؞';
}
