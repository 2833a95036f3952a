using DataForge.Text;

namespace DataForge.Tests.Text;

/// <summary>
/// The English word tokenizer against spaCy's rules (blank("en"), the version in
/// WordTokenizer.SpacyVersion): each expected tokenisation follows from the special cases, the
/// prefix, suffix and infix rules, url_match and the special-case matcher of spaCy's tokenizer.
/// </summary>
public class SpacyWordTokenizerTests
{
    /// <summary>Contractions split by the English exceptions, with the typographic apostrophe variants and the
    /// excluded words (its, ill, well, Shell) left whole; special cases that are one token.</summary>
    [Theory]
    [InlineData("don't", new[] { "do", "n't" })]
    [InlineData("Don't", new[] { "Do", "n't" })]
    [InlineData("dont", new[] { "do", "nt" })]
    [InlineData("can't", new[] { "ca", "n't" })]
    [InlineData("won't", new[] { "wo", "n't" })]
    [InlineData("cannot", new[] { "can", "not" })]
    [InlineData("I'm", new[] { "I", "'m" })]
    [InlineData("Im", new[] { "I", "m" })]
    [InlineData("y'all", new[] { "y'", "all" })]
    [InlineData("ma'am", new[] { "ma'am" })]
    [InlineData("o'clock", new[] { "o'clock" })]
    [InlineData("don’t", new[] { "do", "n’t" })]
    [InlineData("We're", new[] { "We", "'re" })]
    [InlineData("Let's", new[] { "Let", "'s" })]
    [InlineData("gonna", new[] { "gon", "na" })]
    [InlineData("its", new[] { "its" })]
    [InlineData("ill", new[] { "ill" })]
    [InlineData("well", new[] { "well" })]
    [InlineData("Shell", new[] { "Shell" })]
    [InlineData("she'll", new[] { "she", "'ll" })]
    [InlineData("It’s", new[] { "It", "’s" })]
    [InlineData("Who'd've", new[] { "Who", "'d", "'ve" })]
    [InlineData("shouldn't've", new[] { "should", "n't", "'ve" })]
    [InlineData("'cause", new[] { "'cause" })]
    [InlineData("'em", new[] { "'em" })]
    [InlineData("nothin'", new[] { "nothin'" })]
    [InlineData("C++", new[] { "C++" })]
    [InlineData("and/or", new[] { "and/or" })]
    [InlineData("w/o", new[] { "w/o" })]
    public void Special_cases_and_contractions(string text, string[] expected) => Assert.Equal(expected, WordTokenizer.Tokenize(text));

    /// <summary>Prefixes: punctuation, quotes, currencies (also US$, C$), runs of dots; '+' only before a non-digit; '-' is no prefix.</summary>
    [Theory]
    [InlineData("(hello", new[] { "(", "hello" })]
    [InlineData("$5", new[] { "$", "5" })]
    [InlineData("US$5", new[] { "US$", "5" })]
    [InlineData("C$10", new[] { "C$", "10" })]
    [InlineData("“Quoted", new[] { "“", "Quoted" })]
    [InlineData("..hello", new[] { "..", "hello" })]
    [InlineData("+x", new[] { "+", "x" })]
    [InlineData("+5", new[] { "+5" })]
    [InlineData("¿Qué", new[] { "¿", "Qué" })]
    [InlineData("#hashtag", new[] { "#", "hashtag" })]
    [InlineData("§12", new[] { "§", "12" })]
    [InlineData("--flag", new[] { "--flag" })]
    [InlineData("—dash", new[] { "—", "dash" })]
    [InlineData("*bold", new[] { "*", "bold" })]
    [InlineData("<tag", new[] { "<", "tag" })]
    public void Prefixes(string text, string[] expected) => Assert.Equal(expected, WordTokenizer.Tokenize(text));

    /// <summary>Suffixes: closing marks, 's, ellipses; a final '.' after a lowercase letter, a digit or two capitals only.</summary>
    [Theory]
    [InlineData("hello)", new[] { "hello", ")" })]
    [InlineData("end.", new[] { "end", "." })]
    [InlineData("END.", new[] { "END", "." })]
    [InlineData("A.", new[] { "A." })]
    [InlineData("AB.", new[] { "AB", "." })]
    [InlineData("word's", new[] { "word", "'s" })]
    [InlineData("WORD'S", new[] { "WORD", "'S" })]
    [InlineData("Chris’s", new[] { "Chris", "’s" })]
    [InlineData("5+", new[] { "5", "+" })]
    [InlineData("100%", new[] { "100", "%" })]
    [InlineData("word!?", new[] { "word", "!", "?" })]
    [InlineData("wait...", new[] { "wait", "..." })]
    [InlineData("wait……", new[] { "wait", "……" })]
    [InlineData("8°C.", new[] { "8", "°", "C", "." })]
    [InlineData("x—", new[] { "x", "—" })]
    [InlineData("done;", new[] { "done", ";" })]
    public void Suffixes(string text, string[] expected) => Assert.Equal(expected, WordTokenizer.Tokenize(text));

    /// <summary>Infixes: hyphens between letters (or after a digit), arithmetic between digits, '.' from lower to upper case,
    /// ',' between letters, ':<>=/' before a letter, ellipses anywhere but at the start of the core.</summary>
    [Theory]
    [InlineData("well-known", new[] { "well", "-", "known" })]
    [InlineData("a--b", new[] { "a", "--", "b" })]
    [InlineData("a---b", new[] { "a", "---", "b" })]
    [InlineData("1-2", new[] { "1", "-", "2" })]
    [InlineData("1--2", new[] { "1", "-", "-2" })]
    [InlineData("5-a", new[] { "5", "-", "a" })]
    [InlineData("hello,world", new[] { "hello", ",", "world" })]
    [InlineData("lower.Upper", new[] { "lower", ".", "Upper" })]
    [InlineData("a/b", new[] { "a", "/", "b" })]
    [InlineData("x:y", new[] { "x", ":", "y" })]
    [InlineData("x=y", new[] { "x", "=", "y" })]
    [InlineData("a<b", new[] { "a", "<", "b" })]
    [InlineData("1+2", new[] { "1", "+", "2" })]
    [InlineData("2^3", new[] { "2", "^", "3" })]
    [InlineData("a~b", new[] { "a", "~", "b" })]
    [InlineData("one…two", new[] { "one", "…", "two" })]
    [InlineData("one...two", new[] { "one", "...", "two" })]
    [InlineData("…lead", new[] { "…", "lead" })]
    [InlineData("state-of-the-art", new[] { "state", "-", "of", "-", "the", "-", "art" })]
    [InlineData("10-year-old", new[] { "10", "-", "year", "-", "old" })]
    public void Infixes(string text, string[] expected) => Assert.Equal(expected, WordTokenizer.Tokenize(text));

    /// <summary>url_match keeps URLs and e-mail addresses whole once the affixes are off; private IPs and bare domains are
    /// no URLs but have nothing to split either; a closing parenthesis is a suffix even inside a URL.</summary>
    [Theory]
    [InlineData("https://example.com/a?b=1.", new[] { "https://example.com/a?b=1", "." })]
    [InlineData("(www.google.com)", new[] { "(", "www.google.com", ")" })]
    [InlineData("user@example.com", new[] { "user@example.com" })]
    [InlineData("me@mail.org.", new[] { "me@mail.org", "." })]
    [InlineData("mailto:foo-bar@baz-co.com", new[] { "mailto:foo-bar@baz-co.com" })]
    [InlineData("http://142.42.1.1:8080/", new[] { "http://142.42.1.1:8080/" })]
    [InlineData("example.com", new[] { "example.com" })]
    [InlineData("http://foo.com/blah_(wikipedia)", new[] { "http://foo.com/blah_(wikipedia", ")" })]
    [InlineData("ftp://x.org,", new[] { "ftp://x.org", "," })]
    public void Urls_and_email_addresses(string text, string[] expected) => Assert.Equal(expected, WordTokenizer.Tokenize(text));

    /// <summary>Abbreviations are special cases (and the matcher joins them back after an infix split); others lose their dot.</summary>
    [Theory]
    [InlineData("Mr. Smith", new[] { "Mr.", "Smith" })]
    [InlineData("e.g.", new[] { "e.g." })]
    [InlineData("i.e.,", new[] { "i.e.", "," })]
    [InlineData("Ph.D.", new[] { "Ph.D." })]
    [InlineData("N.Y.", new[] { "N.Y." })]
    [InlineData("Calif.", new[] { "Calif." })]
    [InlineData("vs.", new[] { "vs." })]
    [InlineData("U.S.", new[] { "U.S." })]
    [InlineData("U.S.A.", new[] { "U.S.A." })]
    [InlineData("a.m.", new[] { "a.m." })]
    [InlineData("5a.m.", new[] { "5", "a.m." })]
    [InlineData("13a.m.", new[] { "13a.m", "." })]
    [InlineData("5pm", new[] { "5", "pm" })]
    [InlineData("13pm", new[] { "13pm" })]
    [InlineData("Dr.Smith", new[] { "Dr.", "Smith" })]
    [InlineData("etc.", new[] { "etc", "." })]
    [InlineData("No.", new[] { "No", "." })]
    [InlineData("Jan.", new[] { "Jan." })]
    [InlineData("x.", new[] { "x." })]
    public void Abbreviations(string text, string[] expected) => Assert.Equal(expected, WordTokenizer.Tokenize(text));

    /// <summary>Emoticons are special cases, also when a word is glued to them.</summary>
    [Theory]
    [InlineData(":)", new[] { ":)" })]
    [InlineData(":-)", new[] { ":-)" })]
    [InlineData("<3", new[] { "<3" })]
    [InlineData("(^_^)", new[] { "(^_^)" })]
    [InlineData(":)))", new[] { ":)))" })]
    [InlineData("¯\\(ツ)/¯", new[] { "¯\\(ツ)/¯" })]
    [InlineData("(:", new[] { "(:" })]
    [InlineData("hi:)", new[] { "hi", ":)" })]
    [InlineData(":)hi", new[] { ":)", "hi" })]
    [InlineData("^_^", new[] { "^_^" })]
    [InlineData("xD", new[] { "xD" })]
    [InlineData(":P", new[] { ":P" })]
    [InlineData("o.O", new[] { "o.O" })]
    [InlineData("(-_-)", new[] { "(-_-)" })]
    public void Emoticons(string text, string[] expected) => Assert.Equal(expected, WordTokenizer.Tokenize(text));

    /// <summary>Units and currencies after a digit are suffixes; numbers with '.', ',', ':' or '/' stay whole.</summary>
    [Theory]
    [InlineData("5km", new[] { "5", "km" })]
    [InlineData("10km²", new[] { "10", "km²" })]
    [InlineData("5m/s", new[] { "5", "m/s" })]
    [InlineData("3.5GB", new[] { "3.5", "GB" })]
    [InlineData("12kg.", new[] { "12", "kg", "." })]
    [InlineData("5G", new[] { "5", "G" })]
    [InlineData("3in", new[] { "3", "in" })]
    [InlineData("2nd", new[] { "2nd" })]
    [InlineData("5kmh", new[] { "5", "kmh" })]
    [InlineData("5$", new[] { "5", "$" })]
    [InlineData("5US$", new[] { "5", "US$" })]
    [InlineData("20°C", new[] { "20", "°", "C" })]
    [InlineData("37.5°C.", new[] { "37.5", "°", "C", "." })]
    [InlineData("1,000km", new[] { "1,000", "km" })]
    [InlineData("5x", new[] { "5x" })]
    [InlineData("3,000", new[] { "3,000" })]
    [InlineData("10:30", new[] { "10:30" })]
    [InlineData("1/2", new[] { "1/2" })]
    [InlineData("-5", new[] { "-5" })]
    [InlineData("v2.0", new[] { "v2.0" })]
    public void Numbers_and_units(string text, string[] expected) => Assert.Equal(expected, WordTokenizer.Tokenize(text));

    /// <summary>Nested marks come off one at a time; the final matcher joins split special cases ("''", "s."),
    /// and a match across a space takes its tokens without changing them (x' ''y).</summary>
    [Theory]
    [InlineData("'''))", new[] { "'", "''", ")", ")" })]
    [InlineData("(('quoted'))", new[] { "(", "(", "'", "quoted", "'", ")", ")" })]
    [InlineData("''hello''", new[] { "''", "hello", "''" })]
    [InlineData("(\"x\")", new[] { "(", "\"", "x", "\"", ")" })]
    [InlineData("x' ''y", new[] { "x", "'", "'", "'", "y" })]
    [InlineData("Whos.", new[] { "Who", "s." })]
    [InlineData("he's.", new[] { "he", "'s", "." })]
    [InlineData("[[1]]", new[] { "[", "[", "1", "]", "]" })]
    [InlineData("\"Hello,\"", new[] { "\"", "Hello", ",", "\"" })]
    [InlineData("...)", new[] { "...", ")" })]
    [InlineData("''", new[] { "''" })]
    public void Nested_punctuation_and_the_special_case_matcher(string text, string[] expected) => Assert.Equal(expected, WordTokenizer.Tokenize(text));

    /// <summary>spaCy's whitespace tokens (a second space, newlines, tabs, no-break spaces) are dropped as datatrove strips them.</summary>
    [Theory]
    [InlineData("a  b", new[] { "a", "b" })]
    [InlineData("a\nb", new[] { "a", "b" })]
    [InlineData("a \n b", new[] { "a", "b" })]
    [InlineData("a\u00a0b", new[] { "a", "b" })]
    [InlineData("a\tb", new[] { "a", "b" })]
    [InlineData("  lead", new[] { "lead" })]
    [InlineData("trail  ", new[] { "trail" })]
    [InlineData("a\u3000b", new[] { "a", "b" })]
    public void Whitespace_tokens_are_dropped(string text, string[] expected) => Assert.Equal(expected, WordTokenizer.Tokenize(text));

    [Fact]
    public void Tokens_are_ranges_of_the_text_in_order()
    {
        const string text = "He said: \"Don't go (it's 5km).\"  See https://x.org/a, e.g. Mr. O'Neil's 10a.m. talk...";
        var ranges = new List<Range>();
        WordTokenizer.Tokenize(text, ranges);
        int previousEnd = 0;
        foreach (var r in ranges)
        {
            Assert.True(r.Start.Value >= previousEnd && r.End.Value > r.Start.Value);
            Assert.DoesNotContain(text[r], PyText.IsSpace);
            previousEnd = r.End.Value;
        }
        // The tokens cover every non-space character.
        Assert.Equal(string.Concat(text.Where(c => !PyText.IsSpace(c))), string.Concat(ranges.Select(r => text[r])));
    }

    [Fact]
    public void Astral_symbols_and_letters_are_whole_code_points()
    {
        // Emoji are icons (prefix, suffix and infix); CJK extension B is ALPHA, so a hyphen between
        // two such letters is an infix.
        Assert.Equal(new[] { "🙂", "hi", "🙂" }, WordTokenizer.Tokenize("🙂hi🙂"));
        Assert.Equal(new[] { "𠀀", "-", "𠀁" }, WordTokenizer.Tokenize("𠀀-𠀁"));
        Assert.Equal(new[] { "a", "👍", "b" }, WordTokenizer.Tokenize("a👍b"));
    }

    [Fact]
    public void A_long_chunk_splits_at_its_infixes()
    {
        // "abc:def.abc:def...": ':' before a letter is an infix, '.' between lowercase letters is not.
        string chunk = string.Join(".", Enumerable.Repeat("abc:def", 4000));
        var tokens = WordTokenizer.Tokenize(chunk);
        Assert.Equal(8001, tokens.Count);   // 4000 colons, "abc", 3999 "def.abc", "def"
        Assert.Equal(["abc", ":", "def.abc", ":"], tokens.Take(4));
        Assert.Equal(chunk, string.Concat(tokens));
    }

    [Fact]
    public void A_long_chunk_with_user_parts_is_one_address_or_splits_at_infixes()
    {
        // url_match's user part ("anything@") may end at any '@': with a host after the last one the
        // whole chunk is an address; without, ':' before a letter splits it.
        string user = string.Concat(Enumerable.Repeat("a:b@", 2000));
        Assert.Equal(new[] { user + "x.org" }, WordTokenizer.Tokenize(user + "x.org"));
        var tokens = WordTokenizer.Tokenize(user + "x");
        Assert.Equal(4001, tokens.Count);   // "a", then 2000 ":" with "b@a" between them, "b@x" last
        Assert.Equal(["a", ":", "b@a", ":"], tokens.Take(4));
        Assert.Equal("b@x", tokens[^1]);
    }
}
