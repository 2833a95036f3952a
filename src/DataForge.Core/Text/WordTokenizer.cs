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
        int i = 0;
        while (i < text.Length)
        {
            while (i < text.Length && PyText.IsSpace(text[i])) i++;
            int start = i;
            while (i < text.Length && !PyText.IsSpace(text[i])) i++;
            if (i > start) Chunk(text, start, i, tokens);
        }
    }

    public static List<string> Tokenize(string text)
    {
        var ranges = new List<Range>();
        Tokenize(text, ranges);
        return ranges.Select(r => text[r]).ToList();
    }

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
        // Suffixes, collected right to left.
        var suffixes = new List<Range>(2);
        while (end - start > 1)
        {
            var rest = text[start..end];
            if (IsWhole(rest)) break;
            if (rest.EndsWith("...") && end - start > 3) { suffixes.Add(new Range(end - 3, end)); end -= 3; continue; }
            string? contraction = null;
            foreach (var c in Contractions)
                if (rest.Length > c.Length && rest.EndsWith(c, StringComparison.Ordinal)) { contraction = c; break; }
            if (contraction is not null) { suffixes.Add(new Range(end - contraction.Length, end)); end -= contraction.Length; continue; }
            char last = text[end - 1];
            if (IsSuffixChar(last))
            {
                // A dot after a single letter or inside an acronym ("U.S.") belongs to the word.
                if (last == '.' && IsAcronym(rest)) break;
                suffixes.Add(new Range(end - 1, end));
                end--;
                continue;
            }
            break;
        }
        // Infixes: hyphens between letters ("well-known" -> well, -, known).
        int s = start;
        for (int k = start + 1; k < end - 1; k++)
        {
            if (text[k] is '-' or '–' or '—' && char.IsLetter(text[k - 1]) && char.IsLetter(text[k + 1]) && !IsWhole(text[start..end]))
            {
                tokens.Add(new Range(s, k));
                tokens.Add(new Range(k, k + 1));
                s = k + 1;
            }
        }
        if (end > s) tokens.Add(new Range(s, end));
        for (int k = suffixes.Count - 1; k >= 0; k--) tokens.Add(suffixes[k]);
    }

    static bool IsWhole(ReadOnlySpan<char> s)
    {
        if (s.Length < 2) return true;
        if (Abbreviations.Contains(s.ToString())) return true;
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
    /// Number of sentences, as spaCy's sentencizer would split: a sentence ends at a token made
    /// of terminal punctuation that is followed by a token that is not.
    /// </summary>
    public static int CountSentences(ReadOnlySpan<char> text, List<Range> scratch)
    {
        Tokenize(text, scratch);
        if (scratch.Count == 0) return 0;
        int sentences = 1;
        for (int k = 0; k < scratch.Count - 1; k++)
        {
            var tok = text[scratch[k]];
            if (IsTerminalToken(tok) && !IsTerminalToken(text[scratch[k + 1]]) && !IsClosing(text[scratch[k + 1]])) sentences++;
        }
        return sentences;
    }

    static bool IsTerminalToken(ReadOnlySpan<char> tok)
    {
        if (tok.Length == 0) return false;
        foreach (char c in tok) if (!Punctuation.IsSentenceTerminal(c) && c != '…') return false;
        return true;
    }

    static bool IsClosing(ReadOnlySpan<char> tok) => tok.Length == 1 && tok[0] is ')' or ']' or '"' or '\'' or '”' or '’' or '»';
}
