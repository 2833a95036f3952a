using System.Numerics;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;

namespace DataForge.Text;

/// <summary>
/// English word tokenisation in the manner of spaCy's blank English tokenizer (what datatrove's
/// heuristics use): split on whitespace, then peel prefixes (<c>( [ " ' $ £ € ¿ ¡</c> ...) and
/// suffixes (<c>. , ; : ! ? ) ] " ' %</c>, ellipses, <c>'s</c>, <c>n't</c> and other contractions)
/// off each chunk, and split hyphens between letters. Abbreviations such as "e.g." and "U.S."
/// keep their dots; URLs and e-mail addresses stay whole.
/// </summary>
public static class WordTokenizer
{
    static readonly HashSet<string> Abbreviations = new(StringComparer.Ordinal)
    {
        "e.g.", "i.e.", "etc.", "vs.", "Mr.", "Mrs.", "Ms.", "Dr.", "Prof.", "St.", "Jr.", "Sr.", "Inc.", "Ltd.", "Co.", "Corp.",
        "a.m.", "p.m.", "U.S.", "U.K.", "No.", "Jan.", "Feb.", "Mar.", "Apr.", "Jun.", "Jul.", "Aug.", "Sep.", "Sept.", "Oct.", "Nov.", "Dec.",
        "Mt.", "Gen.", "Gov.", "Sen.", "Rep.", "Rev.", "approx.", "dept.", "est.", "fig.", "vol.",
    };

    static readonly int MaxAbbreviationLength = Abbreviations.Max(a => a.Length);

    static readonly string[] Contractions = ["n't", "N'T", "n’t", "'s", "'S", "’s", "'re", "'RE", "’re", "'ve", "'VE", "’ve", "'ll", "'LL", "’ll", "'d", "'D", "’d", "'m", "'M", "’m"];

    static bool IsPrefixChar(char c) => c is '(' or '[' or '{' or '"' or '\'' or '“' or '‘' or '«' or '‹' or '„' or '‚' or '`'
        or '$' or '£' or '€' or '¥' or '#' or '¿' or '¡' or '*' or '<' or '§' or '%' or '=' or '—' or '–' or '…' or '&' or '~' or '+' or '@';

    static bool IsSuffixChar(char c) => c is '.' or ',' or ';' or ':' or '!' or '?' or ')' or ']' or '}' or '"' or '\'' or '”' or '’'
        or '»' or '›' or '%' or '…' or '*' or '>' or '—' or '–' or '`' or '‰' or '°'
        || (c > 127 && char.GetUnicodeCategory(c) is System.Globalization.UnicodeCategory.OtherPunctuation or System.Globalization.UnicodeCategory.ClosePunctuation or System.Globalization.UnicodeCategory.FinalQuotePunctuation);

    /// <summary>Appends the tokens of <paramref name="text"/> as ranges into it.</summary>
    public static void Tokenize(ReadOnlySpan<char> text, List<Range> tokens)
    {
        tokens.Clear();
        int i = 0, n = text.Length;
        while (i < n)
        {
            char c = text[i];
            if (PyText.IsSpace(c)) { i++; continue; }
            // One pass over the chunk: a chunk of letters and digits only (most words) is a token
            // as it is; anything else goes through prefix, suffix and infix splitting.
            int start = i;
            if (!ScanAsciiChunk(text, ref i, out int nonWord))
            {
                nonWord = IsWordChar(c) ? 0 : 1;
                for (i++; i < n; i++)
                {
                    c = text[i];
                    if (c <= ' ' || c >= 0x85) { if (PyText.IsSpace(c)) break; }
                    if (!IsWordChar(c)) nonWord++;
                }
            }
            if (nonWord == 0) tokens.Add(new Range(start, i));
            else if (nonWord == 1 && i - start > 2 && IsWordChar(text[start]) && text[i - 1] is ',' or ';' or ':' or '!' or '?' or ')' or '"'
                     || (nonWord == 1 && i - start > 2 && IsWordChar(text[start]) && text[i - 1] == '.' && (i - start > MaxAbbreviationLength || !AbbreviationLookup.Contains(text[start..i]))))
            {
                // A word followed by one punctuation mark (the usual "river," or "bank."): split it off.
                tokens.Add(new Range(start, i - 1));
                tokens.Add(new Range(i - 1, i));
            }
            else Chunk(text, start, i, tokens);
        }
    }

    /// <summary>
    /// Finds the end of the chunk starting at <paramref name="i"/> and counts its characters that are
    /// not ASCII letters or digits, 16 characters at a time. Only for ASCII chunks ended by ASCII
    /// whitespace; false (and <paramref name="i"/> untouched) when the scalar loop must decide.
    /// </summary>
    internal static bool ScanAsciiChunk(ReadOnlySpan<char> text, ref int i, out int nonWord)
    {
        nonWord = 0;
        if (!Vector256.IsHardwareAccelerated) return false;
        ref ushort chars = ref Unsafe.As<char, ushort>(ref MemoryMarshal.GetReference(text));
        var space = Vector256.Create((ushort)' ');
        var nonAscii = Vector256.Create((ushort)0x80);
        var caseBit = Vector256.Create((ushort)0x20);
        var a = Vector256.Create((ushort)'a');
        var zero = Vector256.Create((ushort)'0');
        var letters = Vector256.Create((ushort)('z' - 'a'));
        var digits = Vector256.Create((ushort)9);
        for (int p = i; p + Vector256<ushort>.Count <= text.Length; p += Vector256<ushort>.Count)
        {
            var v = Vector256.LoadUnsafe(ref chars, (nuint)p);
            uint stop = (Vector256.LessThanOrEqual(v, space) | Vector256.GreaterThanOrEqual(v, nonAscii)).ExtractMostSignificantBits();
            // Unsigned wrap-around: one compare per range.
            var word = Vector256.LessThanOrEqual((v | caseBit) - a, letters) | Vector256.LessThanOrEqual(v - zero, digits);
            uint other = ~word.ExtractMostSignificantBits() & 0xFFFF;
            if (stop == 0) { nonWord += BitOperations.PopCount(other); continue; }
            int k = BitOperations.TrailingZeroCount(stop);
            char end = text[p + k];
            if (end >= 0x80 || !PyText.IsSpace(end)) { nonWord = 0; return false; }
            nonWord += BitOperations.PopCount(other & ((1u << k) - 1));
            i = p + k;
            return true;
        }
        nonWord = 0;
        return false;
    }

    [System.Runtime.CompilerServices.MethodImpl(System.Runtime.CompilerServices.MethodImplOptions.AggressiveInlining)]
    static bool IsWordChar(char c) => c < 128 ? char.IsAsciiLetterOrDigit(c) : char.IsLetterOrDigit(c);

    public static List<string> Tokenize(string text)
    {
        var ranges = new List<Range>();
        Tokenize(text, ranges);
        return ranges.Select(r => text[r]).ToList();
    }

    static readonly HashSet<string>.AlternateLookup<ReadOnlySpan<char>> AbbreviationLookup = Abbreviations.GetAlternateLookup<ReadOnlySpan<char>>();
    static void Chunk(ReadOnlySpan<char> text, int start, int end, List<Range> tokens)
    {
        // Prefixes.
        while (start < end)
        {
            var rest = text[start..end];
            if (IsWhole(rest)) break;
            if (rest.StartsWith("...")) { tokens.Add(new Range(start, start + 3)); start += 3; continue; }
            if (end - start > 1 && IsPrefixChar(text[start]))
            {
                tokens.Add(new Range(start, start + 1));
                start++;
                continue;
            }
            break;
        }
        // Suffixes, collected right to left (at most a few, so a small stack buffer).
        Span<int> suffixStarts = stackalloc int[16];
        Span<int> suffixEnds = stackalloc int[16];
        int nSuffix = 0;
        while (end - start > 1 && nSuffix < 16)
        {
            var rest = text[start..end];
            if (IsWhole(rest)) break;
            if (rest.EndsWith("...") && end - start > 3) { suffixStarts[nSuffix] = end - 3; suffixEnds[nSuffix++] = end; end -= 3; continue; }
            int contraction = ContractionLength(rest);
            if (contraction > 0) { suffixStarts[nSuffix] = end - contraction; suffixEnds[nSuffix++] = end; end -= contraction; continue; }
            char last = text[end - 1];
            if (IsSuffixChar(last))
            {
                // A dot after a single letter or inside an acronym ("U.S.") belongs to the word.
                if (last == '.' && IsAcronym(rest)) break;
                suffixStarts[nSuffix] = end - 1;
                suffixEnds[nSuffix++] = end;
                end--;
                continue;
            }
            break;
        }
        // Infixes: hyphens between letters ("well-known" -> well, -, known).
        int s = start;
        bool whole = end - start >= 2 && IsWhole(text[start..end]);
        for (int k = start + 1; k < end - 1 && !whole; k++)
        {
            if (text[k] is '-' or '–' or '—' && char.IsLetter(text[k - 1]) && char.IsLetter(text[k + 1]))
            {
                tokens.Add(new Range(s, k));
                tokens.Add(new Range(k, k + 1));
                s = k + 1;
            }
        }
        if (end > s) tokens.Add(new Range(s, end));
        for (int k = nSuffix - 1; k >= 0; k--) tokens.Add(new Range(suffixStarts[k], suffixEnds[k]));
    }

    static int ContractionLength(ReadOnlySpan<char> rest)
    {
        // Only chunks with an apostrophe near the end can end in a contraction.
        int apos = rest.LastIndexOfAny('\'', '’');
        if (apos < rest.Length - 4 || apos < 0) return 0;
        foreach (var c in Contractions)
            if (rest.Length > c.Length && rest.EndsWith(c, StringComparison.Ordinal)) return c.Length;
        return 0;
    }

    static bool IsWhole(ReadOnlySpan<char> s)
    {
        if (s.Length < 2) return true;
        if (s[^1] == '.' && s.Length <= MaxAbbreviationLength && AbbreviationLookup.Contains(s)) return true;
        // URLs and e-mail addresses are single tokens (spaCy's url_match and token_match).
        if (s.StartsWith("http://", StringComparison.OrdinalIgnoreCase) || s.StartsWith("https://", StringComparison.OrdinalIgnoreCase) || s.StartsWith("www.", StringComparison.OrdinalIgnoreCase))
            return !IsSuffixChar(s[^1]) || s[^1] == '/';
        int at = s.IndexOf('@');
        return at > 0 && s[(at + 1)..].IndexOf('.') > 0 && char.IsLetterOrDigit(s[^1]);
    }

    static bool IsAcronym(ReadOnlySpan<char> s)
    {
        // "a." "U.S." "e.g.": letters alternating with dots.
        if (s.Length == 2) return char.IsLetter(s[0]);
        for (int k = 0; k < s.Length; k++)
            if ((k % 2 == 0 && !char.IsLetter(s[k])) || (k % 2 == 1 && s[k] != '.')) return false;
        return true;
    }

    /// <summary>
    /// Number of sentences as spaCy's sentencizer splits them: after a token that is a single
    /// sentence-terminal character, the next token that is not punctuation starts a new sentence.
    /// </summary>
    public static int CountSentences(ReadOnlySpan<char> text, List<Range> scratch)
    {
        // A text with at most one terminal character (the usual short line) is one sentence.
        int terminals = 0;
        foreach (char c in text) if (Punctuation.IsSentenceTerminal(c) && ++terminals > 1) break;
        if (terminals <= 1) return PyText.Strip(text).IsEmpty ? 0 : 1;
        Tokenize(text, scratch);
        if (scratch.Count == 0) return 0;
        int sentences = 1;
        bool seenTerminal = false;
        foreach (var r in scratch)
        {
            var tok = text[r];
            bool terminal = tok.Length == 1 && Punctuation.IsSentenceTerminal(tok[0]);
            if (seenTerminal && !terminal && !Punctuation.AllPunctuation(tok)) { sentences++; seenTerminal = false; }
            else if (terminal) seenTerminal = true;
        }
        return sentences;
    }

}
