using System.Globalization;
using System.Numerics;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;
using System.Text;
using System.Text.RegularExpressions;

namespace DataForge.Text;

/// <summary>
/// English word tokenisation exactly as spaCy's <c>blank("en")</c> tokenizer produces it (the
/// version in <see cref="SpacyVersion"/>), with whitespace tokens dropped as datatrove's
/// <c>strip_strings</c> does: the words datatrove's Gopher, C4 and FineWeb heuristics count.
/// The algorithm follows <c>spacy/tokenizer.pyx</c>: split on whitespace; a chunk that is a special
/// case is replaced by its tokens; otherwise prefixes and suffixes are peeled off in turn
/// (<c>_split_affixes</c>, stopping when the rest is a special case), the core is a special case, a
/// URL (<c>url_match</c>) or is split at infixes (<c>_attach_tokens</c>); finally special cases that
/// the affix rules split apart are merged again (the special-case matcher,
/// <c>_apply_special_cases</c>). The rules and tables are spaCy's English data, generated into
/// <see cref="SpacyEnglishData"/>.
/// </summary>
public static class WordTokenizer
{
    /// <summary>The spaCy release whose tokenizer rules and data this follows.</summary>
    public const string SpacyVersion = SpacyEnglishData.SpacyVersion;

    sealed class CodePointSet
    {
        readonly ulong[] bmp = new ulong[1024];
        readonly int[] astral;

        public CodePointSet(int[] ranges)
        {
            var high = new List<int>();
            for (int k = 0; k < ranges.Length; k += 2)
            {
                for (int cp = ranges[k]; cp <= Math.Min(ranges[k + 1], 0xFFFF); cp++) bmp[cp >> 6] |= 1UL << (cp & 63);
                if (ranges[k + 1] > 0xFFFF) { high.Add(Math.Max(ranges[k], 0x10000)); high.Add(ranges[k + 1]); }
            }
            astral = [.. high];
            Ranges = ranges;
        }

        public int[] Ranges { get; }

        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public bool Contains(int cp)
        {
            if (cp <= 0xFFFF) return (bmp[cp >> 6] & (1UL << (cp & 63))) != 0;
            for (int k = 0; k < astral.Length; k += 2)
                if (cp >= astral[k] && cp <= astral[k + 1]) return true;
            return false;
        }
    }

    static readonly CodePointSet Alpha = new(SpacyEnglishData.Alpha);
    static readonly CodePointSet AlphaLower = new(SpacyEnglishData.AlphaLower);
    static readonly CodePointSet AlphaUpper = new(SpacyEnglishData.AlphaUpper);
    static readonly CodePointSet Quotes = new(SpacyEnglishData.Quotes);
    static readonly CodePointSet Icons = new(SpacyEnglishData.Icons);
    static readonly CodePointSet Prefix1 = new(SpacyEnglishData.Prefix1);
    static readonly CodePointSet Suffix1 = new(SpacyEnglishData.Suffix1);
    static readonly CodePointSet DotSuffixAfter = new(SpacyEnglishData.DotSuffixAfter);

    static readonly Dictionary<string, string[]> Specials = ParseSpecialCases(SpacyEnglishData.SpecialCases);

    static Dictionary<string, string[]> ParseSpecialCases(string packed)
    {
        var specials = new Dictionary<string, string[]>(StringComparer.Ordinal);
        foreach (var entry in packed.Split('\0'))
        {
            var fields = entry.Split('\u0001');
            specials.Add(fields[0], fields[1..]);
        }
        return specials;
    }
    static readonly Dictionary<string, string[]>.AlternateLookup<ReadOnlySpan<char>> SpecialLookup = Specials.GetAlternateLookup<ReadOnlySpan<char>>();
    static readonly int MaxSpecialLength = Specials.Keys.Max(k => k.Length);
    // A filter in front of the dictionary: for a length and an ASCII first character, a 128-bit set
    // of the ASCII last characters of special cases. Most words are ruled out by it.
    static readonly ulong[] SpecialShapes = BuildSpecialShapes();

    static ulong[] BuildSpecialShapes()
    {
        var shapes = new ulong[(MaxSpecialLength + 1) * 128 * 2];
        foreach (var k in Specials.Keys)
            if (k[0] < 128 && k[^1] < 128) shapes[ShapeIndex(k.Length, k[0], k[^1])] |= 1UL << (k[^1] & 63);
        return shapes;
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    static int ShapeIndex(int length, char first, char last) => ((length * 128 + first) << 1) + (last >> 6);

    // Units and currencies after a digit. Every suffix rule ends the string, so the regex's leftmost
    // match is the longest suffix that fits.
    static readonly string[] DigitSuffixes = [.. SpacyEnglishData.Units.Concat(SpacyEnglishData.Currency).Distinct().Where(s => s.Length > 0)];
    static readonly int MaxDigitSuffixLength = DigitSuffixes.Max(s => s.Length);
    static readonly bool[] DigitSuffixLastChar = BuildLastCharTable(DigitSuffixes);

    static readonly HashSet<string> SentencePunct = new(SpacyEnglishData.SentencePunct, StringComparer.Ordinal);
    static readonly HashSet<string>.AlternateLookup<ReadOnlySpan<char>> SentencePunctLookup = SentencePunct.GetAlternateLookup<ReadOnlySpan<char>>();

    static bool[] BuildLastCharTable(string[] strings)
    {
        var t = new bool[65536];
        foreach (var s in strings) t[s[^1]] = true;
        return t;
    }

    // ---- Code points ----

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    static int CodePointAt(ReadOnlySpan<char> s, int i, out int units)
    {
        char c = s[i];
        if (char.IsHighSurrogate(c) && i + 1 < s.Length && char.IsLowSurrogate(s[i + 1])) { units = 2; return char.ConvertToUtf32(c, s[i + 1]); }
        units = 1;
        return c;
    }

    /// <summary>The code point ending just before <paramref name="i"/>, or -1 at the start.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    static int CodePointBefore(ReadOnlySpan<char> s, int i, out int units)
    {
        units = 0;
        if (i <= 0) return -1;
        char c = s[i - 1];
        if (char.IsLowSurrogate(c) && i >= 2 && char.IsHighSurrogate(s[i - 2])) { units = 2; return char.ConvertToUtf32(s[i - 2], c); }
        units = 1;
        return c;
    }

    static bool IsAsciiDigit(int cp) => (uint)(cp - '0') <= 9;

    // ---- Affix rules (TOKENIZER_PREFIXES, TOKENIZER_SUFFIXES, English TOKENIZER_INFIXES) ----

    /// <summary>Length in UTF-16 units of the prefix <c>prefix_search</c> finds at the start of <paramref name="s"/>, 0 if none.</summary>
    internal static int PrefixLength(ReadOnlySpan<char> s)
    {
        if (s.IsEmpty) return 0;
        int cp = CodePointAt(s, 0, out int units);
        // "\+(?![0-9])": a plus sign is a prefix unless a digit follows.
        if (cp == '+') return s.Length > 1 && IsAsciiDigit(s[1]) ? 0 : 1;
        if (Prefix1.Contains(cp)) return units;
        if (cp == '.')
        {
            int k = 1;
            while (k < s.Length && s[k] == '.') k++;
            return k >= 2 ? k : 0;
        }
        if (s.StartsWith("US$")) return 3;
        if (s.StartsWith("C$") || s.StartsWith("A$")) return 2;
        return 0;
    }

    /// <summary>
    /// Length in UTF-16 units of the suffix <c>suffix_search</c> finds at the end of <paramref name="s"/>,
    /// 0 if none. Every rule is anchored at the end, so the leftmost match is the longest one.
    /// </summary>
    internal static int SuffixLength(ReadOnlySpan<char> s)
    {
        int n = s.Length;
        if (n == 0) return 0;
        int best = 0;
        int last = CodePointBefore(s, n, out int lastUnits);
        if (Suffix1.Contains(last)) best = lastUnits;
        if (last == '.')
        {
            // "\.\.+$": the whole run of final dots.
            int k = n - 1;
            while (k > 0 && s[k - 1] == '.') k--;
            if (n - k >= 2) best = Math.Max(best, n - k);
            else
            {
                int prev = CodePointBefore(s, n - 1, out int prevUnits);
                if (prev >= 0 && DotSuffixAfter.Contains(prev)) best = Math.Max(best, 1);
                else if (prev >= 0)
                {
                    // "(?<=°[FfCcKk])\." and "(?<=[ALPHA_UPPER][ALPHA_UPPER])\.".
                    int prev2 = CodePointBefore(s, n - 1 - prevUnits, out _);
                    if (prev is 'F' or 'f' or 'C' or 'c' or 'K' or 'k' && prev2 == '°') best = Math.Max(best, 1);
                    else if (prev2 >= 0 && AlphaUpper.Contains(prev) && AlphaUpper.Contains(prev2)) best = Math.Max(best, 1);
                }
            }
        }
        else if (last == '\u2026' && n >= 2 && s[n - 2] == '\u2026') best = Math.Max(best, 2);
        else if (last is 's' or 'S' && n >= 2 && s[n - 2] is '\'' or '\u2019') best = Math.Max(best, 2);
        // "(?<=[0-9])\+", currencies and units after a digit.
        if (last == '+' && n >= 2 && IsAsciiDigit(s[n - 2])) best = Math.Max(best, 1);
        if (last <= 0xFFFF && DigitSuffixLastChar[last] && DigitNearEnd(s))
        {
            foreach (var u in DigitSuffixes)
                if (u.Length > best && u.Length < n && s.EndsWith(u, StringComparison.Ordinal) && IsAsciiDigit(s[n - u.Length - 1]))
                    best = u.Length;
        }
        return best;
    }

    static bool DigitNearEnd(ReadOnlySpan<char> s)
    {
        for (int k = Math.Max(0, s.Length - MaxDigitSuffixLength - 1); k < s.Length - 1; k++) if (IsAsciiDigit(s[k])) return true;
        return false;
    }

    /// <summary>
    /// The infix matches of <c>infix_finditer</c> over <paramref name="s"/> (left to right, not
    /// overlapping, alternatives in the order of the English infix list), as (start, end) pairs.
    /// </summary>
    internal static void FindInfixes(ReadOnlySpan<char> s, List<(int Start, int End)> matches)
    {
        matches.Clear();
        int n = s.Length, i = 0;
        while (i < n)
        {
            int cp = CodePointAt(s, i, out int units);
            int end = InfixAt(s, i, cp, units);
            if (end > i) { matches.Add((i, end)); i = end; }
            else i += units;
        }
    }

    static int InfixAt(ReadOnlySpan<char> s, int i, int cp, int units)
    {
        int n = s.Length;
        // "\.\.+", "…", icons.
        if (cp == '.' && i + 1 < n && s[i + 1] == '.')
        {
            int k = i + 2;
            while (k < n && s[k] == '.') k++;
            return k;
        }
        if (cp == '\u2026') return i + 1;
        if (Icons.Contains(cp)) return i + units;
        if (i == 0) return -1;   // every other rule looks behind
        int prev = CodePointBefore(s, i, out _);
        int next = i + units < n ? CodePointAt(s, i + units, out _) : -1;
        // "(?<=[0-9])[+\-\*^](?=[0-9-])"
        if (cp is '+' or '-' or '*' or '^' && IsAsciiDigit(prev) && (IsAsciiDigit(next) || next == '-')) return i + 1;
        // "(?<=[{al}{q}])\.(?=[{au}{q}])"
        if (cp == '.' && (AlphaLower.Contains(prev) || Quotes.Contains(prev)) && next >= 0 && (AlphaUpper.Contains(next) || Quotes.Contains(next))) return i + 1;
        // "(?<=[{a}]),(?=[{a}])"
        if (cp == ',' && Alpha.Contains(prev) && next >= 0 && Alpha.Contains(next)) return i + 1;
        bool alnumBefore = IsAsciiDigit(prev) || Alpha.Contains(prev);
        if (!alnumBefore) return -1;
        // "(?<=[{a}0-9])(?:-|–|—|--|---|——|~)(?=[{a}])", alternatives tried in this order.
        if (cp is '-' or '\u2013' or '\u2014' or '~')
        {
            if (AlphaAt(s, i + 1)) return i + 1;
            if (cp == '-' && i + 1 < n && s[i + 1] == '-')
            {
                if (AlphaAt(s, i + 2)) return i + 2;
                if (i + 2 < n && s[i + 2] == '-' && AlphaAt(s, i + 3)) return i + 3;
            }
            if (cp == '\u2014' && i + 1 < n && s[i + 1] == '\u2014' && AlphaAt(s, i + 2)) return i + 2;
            return -1;
        }
        // "(?<=[{a}0-9])[:<>=/](?=[{a}])"
        if (cp is ':' or '<' or '>' or '=' or '/' && next >= 0 && Alpha.Contains(next)) return i + 1;
        return -1;
    }

    static bool AlphaAt(ReadOnlySpan<char> s, int i) => i < s.Length && Alpha.Contains(CodePointAt(s, i, out _));

    // ---- url_match (URL_MATCH of spacy/lang/tokenizer_exceptions.py) ----

    static readonly Regex UrlWithUser = new(UrlPattern(withUser: true), RegexOptions.CultureInvariant);
    static readonly Regex UrlWithoutUser = new(UrlPattern(withUser: false), RegexOptions.CultureInvariant);

    static string UrlPattern(bool withUser)
    {
        // spaCy's pattern, with Python's classes spelled for .NET: \S is any character (the string
        // holds no whitespace), [\u00a1-\uffff] leaves out surrogates (Python counts astral code points
        // outside it), the TLD class is ALPHA_LOWER with its astral ranges as surrogate pairs. The user
        // part "\S+(?::\S*)?@" matches the same strings as "\S+@" (\S takes ':' too), which backtracks
        // far less; without an '@' it is left out.
        const string host = @"[A-Za-z0-9\u00a1-\ud7ff\ue000-\uffff]";
        const string hostOrDash = @"[A-Za-z0-9\u00a1-\ud7ff\ue000-\uffff_-]";
        return "^"
            + @"(?:(?:[\p{L}\p{N}_\+\-\.]{2,})://)?"
            + (withUser ? @"(?:[\s\S]+@)?" : "")
            + "(?:"
            + @"(?!(?:10|127)(?:\.\d{1,3}){3})"
            + @"(?!(?:169\.254|192\.168)(?:\.\d{1,3}){2})"
            + @"(?!172\.(?:1[6-9]|2\d|3[0-1])(?:\.\d{1,3}){2})"
            + @"(?:[1-9]\d?|1\d\d|2[01]\d|22[0-3])"
            + @"(?:\.(?:1?\d{1,2}|2[0-4]\d|25[0-5])){2}"
            + @"(?:\.(?:[1-9]\d?|1\d\d|2[0-4]\d|25[0-4]))"
            + "|"
            + "(?:(?:" + host + hostOrDash + "{0,62})?" + host + @"\.)+"
            + "(?:" + ClassPattern(AlphaLower.Ranges) + "){2,63}"
            + ")"
            + @"(?::\d{2,5})?"
            + @"(?:[/?#][\s\S]*)?"
            + "$";
    }

    /// <summary>A .NET pattern matching one code point of the ranges (astral ones as surrogate pairs).</summary>
    static string ClassPattern(int[] ranges)
    {
        var bmp = new StringBuilder("[");
        var alternatives = new List<string>();
        for (int k = 0; k < ranges.Length; k += 2)
        {
            int lo = ranges[k], hi = ranges[k + 1];
            if (lo <= 0xFFFF) bmp.Append($"\\u{lo:X4}-\\u{Math.Min(hi, 0xFFFF):X4}");
            for (int start = Math.Max(lo, 0x10000); start <= hi;)
            {
                // One alternative per high surrogate.
                int blockEnd = Math.Min(hi, start | 0x3FF);
                string a = char.ConvertFromUtf32(start), b = char.ConvertFromUtf32(blockEnd);
                alternatives.Add($"\\u{(int)a[0]:X4}[\\u{(int)a[1]:X4}-\\u{(int)b[1]:X4}]");
                start = blockEnd + 1;
            }
        }
        bmp.Append(']');
        return alternatives.Count == 0 ? bmp.ToString() : bmp + "|" + string.Join("|", alternatives);
    }

    internal static bool UrlMatch(ReadOnlySpan<char> s)
    {
        // Both the IP and the host-name forms need a dot.
        if (s.IndexOf('.') < 0) return false;
        return (s.IndexOf('@') >= 0 ? UrlWithUser : UrlWithoutUser).IsMatch(s);
    }

    // ---- Special cases ----

    /// <summary>The shape filter alone, for a chunk of ASCII characters.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    static bool MayBeSpecial(ReadOnlySpan<char> text, int start, int end)
    {
        int len = end - start;
        char first = text[start], last = text[end - 1];
        return len <= MaxSpecialLength && (SpecialShapes[ShapeIndex(len, (char)(first & 127), (char)(last & 127))] & (1UL << (last & 63))) != 0;
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    static bool TrySpecial(ReadOnlySpan<char> s, out string[] pieces)
    {
        pieces = null!;
        if (s.Length > MaxSpecialLength || s.IsEmpty) return false;
        char first = s[0], last = s[^1];
        if (first < 128 && last < 128 && (SpecialShapes[ShapeIndex(s.Length, first, last)] & (1UL << (last & 63))) == 0) return false;
        return SpecialLookup.TryGetValue(s, out pieces!);
    }

    static void AddPieces(List<Range> tokens, int at, string[] pieces)
    {
        foreach (var p in pieces) { tokens.Add(new Range(at, at + p.Length)); at += p.Length; }
    }

    /// <summary>
    /// The token patterns of the special-case matcher: every special case that the prefix, suffix or
    /// infix rules would split (or that holds a space), as the tokens the rules without special cases
    /// give it. Only patterns of two or more tokens can change a tokenisation.
    /// </summary>
    sealed class PatternNode
    {
        public Dictionary<string, PatternNode> Next { get; } = new(StringComparer.Ordinal);
        public Dictionary<string, PatternNode>.AlternateLookup<ReadOnlySpan<char>> Lookup;
        public bool Terminal;

        public PatternNode() => Lookup = Next.GetAlternateLookup<ReadOnlySpan<char>>();
    }

    static readonly PatternNode PatternRoot = BuildPatterns();

    static PatternNode BuildPatterns()
    {
        var root = new PatternNode();
        var tokens = new List<Range>();
        foreach (var key in Specials.Keys)
        {
            if (PrefixLength(key) == 0 && SuffixLength(key) == 0 && !HasInfix(key) && !key.Contains(' ')) continue;
            tokens.Clear();
            TokenizeAffixes(key, tokens, withSpecialCases: false);
            // Single-token patterns (" ", "'", "—") only ever replace a token by itself.
            if (tokens.Count < 2) continue;
            var node = root;
            foreach (var r in tokens)
            {
                string t = key[r];
                if (!node.Next.TryGetValue(t, out var child)) node.Next[t] = child = new PatternNode();
                node = child;
            }
            node.Terminal = true;
        }
        return root;
    }

    static bool HasInfix(string s)
    {
        var m = new List<(int, int)>();
        FindInfixes(s, m);
        return m.Count > 0;
    }

    // ---- Tokenisation ----

    [ThreadStatic] static List<Range>? suffixScratch;
    [ThreadStatic] static List<(int Start, int End)>? infixScratch;

    /// <summary>Sets <paramref name="tokens"/> to the words of <paramref name="text"/> (spaCy's tokens without whitespace ones) as ranges into it.</summary>
    public static void Tokenize(ReadOnlySpan<char> text, List<Range> tokens)
    {
        tokens.Clear();
        bool mayMatchSpecial = false;
        int i = 0, n = text.Length;
        while (i < n)
        {
            char c = text[i];
            if (PyText.IsSpace(c)) { i++; continue; }
            int start = i;
            // One pass finds the chunk's end and whether it is ASCII letters and digits only (most words).
            if (!ScanAsciiChunk(text, ref i, out int nonWord, out bool digits))
            {
                nonWord = char.IsAsciiLetterOrDigit(c) ? 0 : 1;
                digits = char.IsAsciiDigit(c);
                for (i++; i < n; i++)
                {
                    c = text[i];
                    if (c <= ' ' || c >= 0x85) { if (PyText.IsSpace(c)) break; }
                    if (!char.IsAsciiLetterOrDigit(c)) nonWord++;
                    else if (c <= '9') digits = true;
                }
            }
            if (nonWord == 0)
            {
                // The usual word: not shaped like a special case and no unit after a digit.
                if (!MayBeSpecial(text, start, i) && !(digits && EndsInUnitRun(text[start..i]))) { tokens.Add(new Range(start, i)); continue; }
                if (AlphanumericChunk(text, start, i, tokens)) continue;
            }
            else if (nonWord == 1 && i - start >= 2 && WordAndPunctuation(text, start, i, digits, tokens)) continue;
            int before = tokens.Count;
            TokenizeChunk(text, start, i, tokens, withSpecialCases: true);
            if (tokens.Count - before >= 2 && !mayMatchSpecial) mayMatchSpecial = ContainsPattern(text, tokens, before);
        }
        if (mayMatchSpecial) ApplySpecialCaseMatches(text, tokens);
    }

    /// <summary>
    /// A chunk of ASCII letters and digits: no prefix, infix or URL rule applies to it, only special
    /// cases ("cannot", "dont", "5pm") and units after a digit ("10km"). False when it needs the full rules.
    /// </summary>
    static bool AlphanumericChunk(ReadOnlySpan<char> text, int start, int end, List<Range> tokens)
    {
        var chunk = text[start..end];
        if (TrySpecial(chunk, out var pieces)) { AddPieces(tokens, start, pieces); return true; }
        if (EndsInUnitRun(chunk)) return false;
        tokens.Add(new Range(start, end));
        return true;
    }

    /// <summary>
    /// A chunk of ASCII letters and digits followed by one closing mark that is a suffix on its own
    /// ("river," "bank." "now!"): the rules give the word (or its special case) and the mark, unless
    /// the whole chunk is a special case ("a." "Mr.") or the word ends in a unit after a digit. A
    /// period is a suffix after a lowercase letter or a digit only. False when the full rules must decide.
    /// </summary>
    static bool WordAndPunctuation(ReadOnlySpan<char> text, int start, int end, bool digits, List<Range> tokens)
    {
        // The one character that is not an ASCII letter or digit must be the closing mark.
        char mark = text[end - 1];
        if (!(mark is ',' or ';' or ':' or '!' or '?' or ')' or '"' or ']' || (mark == '.' && (char.IsAsciiLetterLower(text[end - 2]) || char.IsAsciiDigit(text[end - 2])))))
            return false;
        if (MayBeSpecial(text, start, end) && TrySpecial(text[start..end], out var pieces)) { AddPieces(tokens, start, pieces); return true; }
        if (MayBeSpecial(text, start, end - 1) && TrySpecial(text[start..(end - 1)], out _)) return false;   // "Whos." : the matcher may join "s" and "."
        if (digits && EndsInUnitRun(text[start..(end - 1)])) return false;
        tokens.Add(new Range(start, end - 1));
        tokens.Add(new Range(end - 1, end));
        return true;
    }

    /// <summary>Whether an ASCII alphanumeric word ends in a run of letters short enough to be a unit after a digit.</summary>
    static bool EndsInUnitRun(ReadOnlySpan<char> word)
    {
        // Only the last few characters matter: a digit followed by at most the longest unit's letters.
        int n = word.Length;
        for (int k = n - 1, stop = Math.Max(0, n - MaxDigitSuffixLength - 1); k >= stop; k--)
        {
            char ch = word[k];
            if (char.IsAsciiDigit(ch)) return k < n - 1;
            if (!char.IsAsciiLetter(ch)) return false;
        }
        return false;
    }

    /// <summary>spaCy's <c>_tokenize_affixes</c> for a text (whitespace tokens kept), used to build the matcher's patterns.</summary>
    static void TokenizeAffixes(ReadOnlySpan<char> text, List<Range> tokens, bool withSpecialCases)
    {
        int n = text.Length;
        if (n == 0) return;
        int start = 0;
        bool inSpace = PyText.IsSpace(text[0]);
        for (int i = 0; i < n; i++)
        {
            if (PyText.IsSpace(text[i]) == inSpace) continue;
            if (start < i) TokenizeChunk(text, start, i, tokens, withSpecialCases);
            start = text[i] == ' ' ? i + 1 : i;
            inSpace = !inSpace;
        }
        if (start < n) TokenizeChunk(text, start, n, tokens, withSpecialCases);
    }

    /// <summary>One whitespace-free chunk: <c>_split_affixes</c> then <c>_attach_tokens</c>.</summary>
    static void TokenizeChunk(ReadOnlySpan<char> text, int start, int end, List<Range> tokens, bool withSpecialCases)
    {
        if (withSpecialCases && TrySpecial(text[start..end], out var whole)) { AddPieces(tokens, start, whole); return; }
        var suffixes = suffixScratch ??= [];
        int suffixBase = suffixes.Count;   // re-entrant: pattern building runs inside a first call
        int a = start, b = end, lastSize = -1;
        string[]? pieces;
        while (b > a && b - a != lastSize)
        {
            // On the first round a..b is the whole chunk, already looked up above.
            if (lastSize >= 0 && withSpecialCases && TrySpecial(text[a..b], out _)) break;
            lastSize = b - a;
            int pre = PrefixLength(text[a..b]);
            if (pre != 0 && b - a - pre > 0 && withSpecialCases && TrySpecial(text[(a + pre)..b], out _))
            {
                tokens.Add(new Range(a, a + pre));
                a += pre;
                break;
            }
            int suf = SuffixLength(text[(a + pre)..b]);
            if (suf != 0 && b - suf - a > 0 && withSpecialCases && TrySpecial(text[a..(b - suf)], out _))
            {
                suffixes.Add(new Range(b - suf, b));
                b -= suf;
                break;
            }
            if (pre != 0 && suf != 0 && pre + suf <= b - a)
            {
                tokens.Add(new Range(a, a + pre));
                suffixes.Add(new Range(b - suf, b));
                a += pre;
                b -= suf;
            }
            else if (pre != 0) { tokens.Add(new Range(a, a + pre)); a += pre; }
            else if (suf != 0) { suffixes.Add(new Range(b - suf, b)); b -= suf; }
        }
        if (b > a)
        {
            var core = text[a..b];
            if (withSpecialCases && TrySpecial(core, out pieces)) AddPieces(tokens, a, pieces);
            else if (UrlMatch(core)) tokens.Add(new Range(a, b));
            else AddInfixSplit(core, a, tokens);
        }
        for (int k = suffixes.Count - 1; k >= suffixBase; k--) tokens.Add(suffixes[k]);
        suffixes.RemoveRange(suffixBase, suffixes.Count - suffixBase);
    }

    static void AddInfixSplit(ReadOnlySpan<char> core, int offset, List<Range> tokens)
    {
        // Cheap test first: no infix rule can match a core of ASCII letters and digits.
        bool plain = true;
        foreach (char ch in core) if (!char.IsAsciiLetterOrDigit(ch)) { plain = false; break; }
        if (plain) { tokens.Add(new Range(offset, offset + core.Length)); return; }
        var matches = infixScratch ??= [];
        FindInfixes(core, matches);
        if (matches.Count == 0) { tokens.Add(new Range(offset, offset + core.Length)); return; }
        int start = 0;
        foreach (var (s, e) in matches)
        {
            // A match at the very start is skipped (the text before it stays part of the next token).
            if (s == 0) continue;
            if (s != start) tokens.Add(new Range(offset + start, offset + s));
            if (s != e) tokens.Add(new Range(offset + s, offset + e));
            start = e;
        }
        if (start < core.Length) tokens.Add(new Range(offset + start, offset + core.Length));
    }

    /// <summary>Whether some pattern of two or more tokens occurs among the tokens of one chunk (from <paramref name="first"/>).</summary>
    static bool ContainsPattern(ReadOnlySpan<char> text, List<Range> tokens, int first)
    {
        for (int a = first; a < tokens.Count - 1; a++)
        {
            if (!PatternRoot.Lookup.TryGetValue(text[tokens[a]], out var node)) continue;
            for (int b = a + 1; b < tokens.Count; b++)
            {
                if (!node.Lookup.TryGetValue(text[tokens[b]], out node)) break;
                if (node.Terminal) return true;
            }
        }
        return false;
    }

    /// <summary>
    /// spaCy's final pass (<c>_apply_special_cases</c>): every occurrence of a pattern among the
    /// document's tokens, the longest first and then the leftmost, each taking its tokens; a taken
    /// occurrence whose text is a special case is replaced by that special case's tokens. Occurrences
    /// across whitespace take their tokens but change nothing, as in spaCy.
    /// </summary>
    static void ApplySpecialCaseMatches(ReadOnlySpan<char> text, List<Range> tokens)
    {
        var matches = new List<(int Start, int End)>();
        for (int a = 0; a < tokens.Count; a++)
        {
            if (!PatternRoot.Lookup.TryGetValue(text[tokens[a]], out var node)) continue;
            for (int b = a + 1; b < tokens.Count; b++)
            {
                // A whitespace token (any gap but one space) sits between the two and matches nothing.
                var gap = text[tokens[b - 1].End.Value..tokens[b].Start.Value];
                if (!(gap.IsEmpty || (gap.Length == 1 && gap[0] == ' '))) break;
                if (!node.Lookup.TryGetValue(text[tokens[b]], out node)) break;
                if (node.Terminal) matches.Add((a, b + 1));
            }
        }
        if (matches.Count == 0) return;
        // Longest first; equal lengths leftmost first. A span is kept when neither its first nor its
        // last token is taken; kept or not, it takes all its tokens.
        matches.Sort((x, y) => x.End - x.Start != y.End - y.Start ? (y.End - y.Start).CompareTo(x.End - x.Start) : x.Start.CompareTo(y.Start));
        var taken = new bool[tokens.Count];
        var kept = new List<(int Start, int End)>();
        foreach (var (s, e) in matches)
        {
            if (!taken[s] && !taken[e - 1]) kept.Add((s, e));
            for (int k = s; k < e; k++) taken[k] = true;
        }
        kept.Sort((x, y) => x.Start.CompareTo(y.Start));
        var result = new List<Range>(tokens.Count);
        int next = 0;
        foreach (var (s, e) in kept)
        {
            for (; next < s; next++) result.Add(tokens[next]);
            int from = tokens[s].Start.Value, to = tokens[e - 1].End.Value;
            if (TrySpecial(text[from..to], out var pieces)) AddPieces(result, from, pieces);
            else for (int k = s; k < e; k++) result.Add(tokens[k]);
            next = e;
        }
        for (; next < tokens.Count; next++) result.Add(tokens[next]);
        tokens.Clear();
        tokens.AddRange(result);
    }

    /// <summary>
    /// Finds the end of the chunk starting at <paramref name="i"/> and counts its characters that are
    /// not ASCII letters or digits, 16 characters at a time. Only for ASCII chunks ended by ASCII
    /// whitespace; false (and <paramref name="i"/> untouched) when the scalar loop must decide.
    /// </summary>
    internal static bool ScanAsciiChunk(ReadOnlySpan<char> text, ref int i, out int nonWord, out bool digits)
    {
        nonWord = 0;
        digits = false;
        uint digitBits = 0;
        if (!Vector256.IsHardwareAccelerated) return false;
        ref ushort chars = ref Unsafe.As<char, ushort>(ref MemoryMarshal.GetReference(text));
        var space = Vector256.Create((ushort)' ');
        var nonAscii = Vector256.Create((ushort)0x80);
        var caseBit = Vector256.Create((ushort)0x20);
        var a = Vector256.Create((ushort)'a');
        var zero = Vector256.Create((ushort)'0');
        var letters = Vector256.Create((ushort)('z' - 'a'));
        var nine = Vector256.Create((ushort)9);
        for (int p = i; p + Vector256<ushort>.Count <= text.Length; p += Vector256<ushort>.Count)
        {
            var v = Vector256.LoadUnsafe(ref chars, (nuint)p);
            uint stop = (Vector256.LessThanOrEqual(v, space) | Vector256.GreaterThanOrEqual(v, nonAscii)).ExtractMostSignificantBits();
            // Unsigned wrap-around: one compare per range.
            var digit = Vector256.LessThanOrEqual(v - zero, nine);
            var word = Vector256.LessThanOrEqual((v | caseBit) - a, letters) | digit;
            uint other = ~word.ExtractMostSignificantBits() & 0xFFFF;
            uint digitMask = digit.ExtractMostSignificantBits();
            if (stop == 0) { nonWord += BitOperations.PopCount(other); digitBits |= digitMask; continue; }
            int k = BitOperations.TrailingZeroCount(stop);
            char end = text[p + k];
            if (end >= 0x80 || !PyText.IsSpace(end)) { nonWord = 0; return false; }
            nonWord += BitOperations.PopCount(other & ((1u << k) - 1));
            digits = (digitBits | (digitMask & ((1u << k) - 1))) != 0;
            i = p + k;
            return true;
        }
        nonWord = 0;
        return false;
    }

    public static List<string> Tokenize(string text)
    {
        var ranges = new List<Range>();
        Tokenize(text, ranges);
        return ranges.Select(r => text[r]).ToList();
    }

    // ---- Sentences ----

    /// <summary>
    /// Number of sentences datatrove's <c>split_into_sentences</c> gives for <paramref name="text"/>:
    /// spaCy's sentencizer (default punctuation) over the tokens, whitespace tokens included; a token
    /// after a sentence-final one starts a sentence unless it is punctuation. At least one, as
    /// datatrove counts the parts between sentence ends.
    /// </summary>
    public static int CountSentences(ReadOnlySpan<char> text, List<Range> scratch)
    {
        // Without a sentence-final character anywhere but as the last character, there is one sentence.
        bool anyTerminal = false;
        for (int k = 0; k < text.Length - 1 && !anyTerminal; k++) anyTerminal = MaySentencePunct(text[k]);
        if (!anyTerminal) return 1;
        Tokenize(text, scratch);
        if (scratch.Count == 0) return 1;
        int sentences = 1;
        bool seenTerminal = false;
        int previousEnd = -1;
        for (int t = 0; t < scratch.Count; t++)
        {
            var r = scratch[t];
            // The whitespace token before this one, if spaCy makes one: it is not punctuation.
            if (HasWhitespaceTokenBefore(text, previousEnd, r.Start.Value) && seenTerminal) { sentences++; seenTerminal = false; }
            var tok = text[r];
            bool terminal = SentencePunctLookup.Contains(tok);
            if (seenTerminal && !terminal && !IsPunct(tok)) { sentences++; seenTerminal = false; }
            else if (terminal) seenTerminal = true;
            previousEnd = r.End.Value;
        }
        if (HasWhitespaceTokenBefore(text, previousEnd, text.Length) && seenTerminal) sentences++;
        return sentences;
    }

    /// <summary>Whether the character may be (part of) a sentencizer punctuation token; errs towards yes outside ASCII.</summary>
    static bool MaySentencePunct(char c) => c < 128 ? c is '.' or '!' or '?' : !char.IsLetterOrDigit(c) && !PyText.IsSpace(c);

    /// <summary>Whether spaCy makes a whitespace token of the gap [from, to) (from = -1: the start of the text).</summary>
    static bool HasWhitespaceTokenBefore(ReadOnlySpan<char> text, int from, int to)
    {
        if (from < 0) return to > 0;
        int len = to - from;
        return len > 1 || (len == 1 && text[from] != ' ');
    }

    /// <summary>spaCy's <c>is_punct</c>: every code point is in a Unicode punctuation category (P*).</summary>
    static bool IsPunct(ReadOnlySpan<char> token)
    {
        for (int k = 0; k < token.Length;)
        {
            int cp = CodePointAt(token, k, out int units);
            var cat = CharUnicodeInfo.GetUnicodeCategory(cp);
            if (cat is not (UnicodeCategory.ConnectorPunctuation or UnicodeCategory.DashPunctuation or UnicodeCategory.OpenPunctuation
                or UnicodeCategory.ClosePunctuation or UnicodeCategory.InitialQuotePunctuation or UnicodeCategory.FinalQuotePunctuation
                or UnicodeCategory.OtherPunctuation)) return false;
            k += units;
        }
        return true;
    }
}
