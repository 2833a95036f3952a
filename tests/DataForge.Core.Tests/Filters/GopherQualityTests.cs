using DataForge.Filters;
using DataForge.Text;

namespace DataForge.Tests.Filters;

public class GopherQualityTests
{
    static string? Check(string text, GopherQualityOptions o)
        => GopherQualityRules.Check(text, o, new StopWordTable(o.StopWords), [], []);

    static string Words(int n, string word = "apple") => string.Join(' ', Enumerable.Repeat(word, n));

    [Theory]
    [InlineData(49, "gopher_quality.min_doc_words")]
    [InlineData(50, null)]
    [InlineData(51, null)]
    public void Min_doc_words_counts_non_symbol_words(int n, string? reason)
    {
        // Punctuation tokens do not count as words.
        string text = Words(n) + " . , ! -- ...";
        Assert.Equal(reason, Check(text, With() with { MinDocWords = 50 }));
    }

    [Theory]
    [InlineData(99, null)]
    [InlineData(100, null)]
    [InlineData(101, "gopher_quality.max_doc_words")]
    public void Max_doc_words(int n, string? reason)
        => Assert.Equal(reason, Check(Words(n), With(maxDocWords: 100)));

    /// <summary>Options with only the given rules enabled.</summary>
    static GopherQualityOptions With(int? maxDocWords = null, double? minAvg = null, double? maxAvg = null,
        double? symbol = null, double? bullets = null, double? ellipsisLines = null, double? alpha = null, int? stop = null)
        => new()
        {
            MinDocWords = null, MaxDocWords = maxDocWords, MinAvgWordLength = minAvg, MaxAvgWordLength = maxAvg,
            MaxSymbolWordRatio = symbol, MaxBulletLinesRatio = bullets, MaxEllipsisLinesRatio = ellipsisLines,
            MaxNonAlphaWordsRatio = alpha, MinStopWords = stop,
        };

    [Theory]
    [InlineData("cat cat cat cat cat", null)]          // mean 3.0: at the bound
    [InlineData("cat cat cat cat ox", "gopher_quality.min_avg_word_length")] // 2.8: below
    [InlineData("cat cat cat cat cats", null)]         // 3.2: above
    public void Min_avg_word_length(string text, string? reason)
        => Assert.Equal(reason, Check(text, With(minAvg: 3)));

    [Theory]
    [InlineData("abcdefghij abcdefghij", null)]                     // 10.0
    [InlineData("abcdefghij abcdefghijk", "gopher_quality.max_avg_word_length")] // 10.5
    [InlineData("abcdefghij abcdefghi", null)]                      // 9.5
    public void Max_avg_word_length(string text, string? reason)
        => Assert.Equal(reason, Check(text, With(maxAvg: 10)));

    [Theory]
    [InlineData(9, null)]
    [InlineData(10, null)]                               // 10 / 100 tokens = 0.1: not above
    [InlineData(11, "gopher_quality.hash_ratio")]        // 11 / 101
    public void Hash_ratio_uses_all_tokens(int hashes, string? reason)
    {
        string text = Words(90) + " " + string.Join(' ', Enumerable.Repeat("#", hashes));
        Assert.Equal(reason, Check(text, With(symbol: 0.1)));
    }

    [Theory]
    [InlineData(10, null)]
    [InlineData(11, "gopher_quality.ellipsis_ratio")]
    public void Ellipsis_ratio_counts_three_dots_and_the_ellipsis_character(int ellipses, string? reason)
    {
        // Half written "...", half "…"; each is its own token.
        var marks = Enumerable.Range(0, ellipses).Select(i => i % 2 == 0 ? "..." : "…");
        string text = Words(90) + " " + string.Join(" x ", marks).Replace(" x ", " ", StringComparison.Ordinal);
        Assert.Equal(reason, Check(text, With(symbol: 0.1)));
    }

    [Theory]
    [InlineData(17, 20, null)]                            // 0.85
    [InlineData(18, 20, null)]                            // 0.9: at
    [InlineData(19, 20, "gopher_quality.bullet_lines")]   // 0.95
    public void Bullet_lines(int bullets, int lines, string? reason)
    {
        var all = Enumerable.Range(0, lines).Select(i => i < bullets ? (i % 2 == 0 ? "  • item here" : "- item here") : "plain line");
        Assert.Equal(reason, Check(string.Join('\n', all), With(bullets: 0.9)));
    }

    [Theory]
    [InlineData(2, null)]
    [InlineData(3, null)]                                    // 3/10 = 0.3
    [InlineData(4, "gopher_quality.ellipsis_lines")]
    public void Ellipsis_lines(int ending, string? reason)
    {
        var all = Enumerable.Range(0, 10).Select(i => i < ending ? (i % 2 == 0 ? "and so on...  " : "and so on…") : "a full line.");
        Assert.Equal(reason, Check(string.Join('\n', all), With(ellipsisLines: 0.3)));
    }

    [Theory]
    [InlineData(79, "gopher_quality.non_alpha_words")] // 79/100 < 0.8
    [InlineData(80, null)]                             // 0.8: at
    [InlineData(81, null)]
    public void Alphabetic_word_share(int alpha, string? reason)
    {
        string text = Words(alpha, "word") + " " + Words(100 - alpha, "1234");
        Assert.Equal(reason, Check(text, With(alpha: 0.8)));
    }

    [Theory]
    [InlineData("the the the cat", "gopher_quality.stop_words")]   // one distinct stop word, repeated
    [InlineData("the and cat", null)]                               // two: at
    [InlineData("the and of cat", null)]
    [InlineData("The And cat", "gopher_quality.stop_words")]       // case-sensitive
    public void Stop_words_are_distinct_and_case_sensitive(string text, string? reason)
        => Assert.Equal(reason, Check(text, With(stop: 2)));

    [Fact]
    public void Rules_apply_in_the_documented_order()
    {
        // Short and hash-heavy: min_doc_words comes first.
        Assert.Equal("gopher_quality.min_doc_words", Check("# # # the and word", new GopherQualityOptions()));
    }

    [Theory]
    [InlineData("Hello, world!", new[] { "Hello", ",", "world", "!" })]
    [InlineData("(quoted) \"text\"", new[] { "(", "quoted", ")", "\"", "text", "\"" })]
    [InlineData("don't stop, it's John's.", new[] { "do", "n't", "stop", ",", "it", "'s", "John", "'s", "." })]
    [InlineData("well-known e.g. U.S. $5 100%", new[] { "well", "-", "known", "e.g.", "U.S.", "$", "5", "100", "%" })]
    [InlineData("wait... see https://example.com/a?b=1 or me@mail.org.", new[] { "wait", "...", "see", "https://example.com/a?b=1", "or", "me@mail.org", "." })]
    public void Word_tokenizer_splits_like_spacy(string text, string[] expected)
        => Assert.Equal(expected, WordTokenizer.Tokenize(text));

    [Fact]
    public void Vectorised_chunk_scan_agrees_with_the_character_definition()
    {
        // Chunks of every length around the 16-character vector width, ended by each kind of space,
        // with punctuation, non-ASCII letters, a control character or the end of the text inside.
        var rng = new Random(5);
        string pieces = "abcXYZ0189.,;'\"-(){}[]@/~`é数";
        string[] ends = [" ", "\n", "\t", "\r", "\u001f", "\u00a0", "\u3000", "\u0001", ""];
        int scanned = 0;
        for (int k = 0; k < 20000; k++)
        {
            var sb = new System.Text.StringBuilder();
            int len = rng.Next(1, 50);
            for (int j = 0; j < len; j++) sb.Append(rng.Next(4) == 0 ? pieces[rng.Next(pieces.Length)] : (char)('a' + rng.Next(26)));
            sb.Append(ends[rng.Next(ends.Length)]);
            if (rng.Next(2) == 0) sb.Append("tail words here");
            string text = sb.ToString();
            int i = 0;
            if (!WordTokenizer.ScanAsciiChunk(text, ref i, out int nonWord, out bool digits)) { Assert.Equal(0, i); continue; }
            // The definition: the chunk runs to the first Python whitespace; count non-alphanumerics, note digits.
            int end = 0;
            while (end < text.Length && !PyText.IsSpace(text[end])) end++;
            Assert.Equal(end, i);
            Assert.Equal(text[..end].Count(c => !char.IsAsciiLetterOrDigit(c)), nonWord);
            Assert.Equal(text[..end].Any(char.IsAsciiDigit), digits);
            Assert.DoesNotContain(text[..end], c => c >= 0x80);
            scanned++;
        }
        Assert.True(scanned > 1000, $"only {scanned} texts took the vector path");
    }

    [Theory]
    [InlineData("One sentence only.", 1)]
    [InlineData("First one. Second one! Third one?", 3)]
    [InlineData("He left (see the end.) Then he came back.", 2)]   // the flag survives ')' as spaCy's does
    [InlineData("Wait... what happened here.", 1)]                 // '...' is not a terminal token
    [InlineData("See e.g. the U.S. report. It is long.", 2)]       // abbreviations keep their dots
    [InlineData("Really?! Yes.", 2)]
    [InlineData("Hi.  . Now", 3)]                                  // the whitespace token " " after "." starts one
    [InlineData("Hi. . Now", 2)]
    [InlineData("Stop. (Really.) Go.", 3)]
    [InlineData("He paid 5 p.m. sharp. OK", 2)]                    // "p.m." is one token, not a sentence end
    [InlineData("   ", 1)]                                         // datatrove counts one part for any text
    [InlineData("", 1)]
    public void Sentences_split_like_spacys_sentencizer(string text, int expected)
        => Assert.Equal(expected, WordTokenizer.CountSentences(text, []));
}
