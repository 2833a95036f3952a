using DataForge.Filters;
using DataForge.Text;

namespace DataForge.Tests.Filters;

/// <summary>
/// The Gopher rules at their thresholds on text whose word count depends on how spaCy tokenises
/// punctuation, numbers with units, quotes, hyphenated words, abbreviations, URLs and e-mail
/// addresses: the expected tokens are written out, so a tokenizer that splits differently moves the
/// ratio off the boundary and fails.
/// </summary>
public class TokenisationBoundaryTests
{
    static string Words(int n) => string.Join(' ', Enumerable.Repeat("word", n));

    static GopherQualityOptions AlphaOnly => new()
    {
        MinDocWords = null, MaxDocWords = null, MinAvgWordLength = null, MaxAvgWordLength = null, MaxSymbolWordRatio = null,
        MaxBulletLinesRatio = null, MaxEllipsisLinesRatio = null, MaxNonAlphaWordsRatio = 0.8, MinStopWords = null,
    };

    /// <summary>
    /// Tail tokens (alphabetic / all) worked out by hand; <c>baseWords</c> plain words before it put
    /// the share of words with a letter exactly at 0.8 (kept) or just under it (dropped).
    /// </summary>
    [Theory]
    // end , of ; it : now .
    [InlineData("end, of; it: now.", 12, 4, 8, null)]                 // 16/20
    [InlineData("end, of; it: now.", 11, 4, 8, "gopher_quality.non_alpha_words")]   // 15/19
    // 5 km 10 kg 3 in 7 GB: a unit after a digit is its own (alphabetic) token
    [InlineData("5km 10kg 3in 7GB", 12, 4, 8, null)]
    [InlineData("5km 10kg 3in 7GB", 11, 4, 8, "gopher_quality.non_alpha_words")]
    // ' one ' " two "
    [InlineData("'one' \"two\"", 14, 2, 6, null)]                      // 16/20
    [InlineData("'one' \"two\"", 13, 2, 6, "gopher_quality.non_alpha_words")]      // 15/19
    // well - known up - to - date
    [InlineData("well-known up-to-date", 7, 5, 8, null)]               // 12/15
    [InlineData("well-known up-to-date", 6, 5, 8, "gopher_quality.non_alpha_words")] // 11/14
    // e.g. U.S. Mr. etc . : three special cases keep their dots, "etc." is none
    [InlineData("e.g. U.S. Mr. etc.", 0, 4, 5, null)]                  // 4/5
    [InlineData("e.g. U.S. etc. etc.", 0, 4, 6, "gopher_quality.non_alpha_words")]  // 4/6
    // see https://x.org/a-b , me@mail.org . : URL and address whole, their trailing marks split off
    [InlineData("see https://x.org/a-b, me@mail.org.", 5, 3, 5, null)] // 8/10
    [InlineData("see https://x.org/a-b, me@mail.org.", 4, 3, 5, "gopher_quality.non_alpha_words")] // 7/9
    // 1,000 3.5 10:30 1/2 : numbers stay whole, none alphabetic
    [InlineData("1,000 3.5 10:30 1/2", 16, 0, 4, null)]                // 16/20
    [InlineData("1,000 3.5 10:30 1/2", 15, 0, 4, "gopher_quality.non_alpha_words")] // 15/19
    public void Alpha_word_share_at_the_boundary(string tail, int baseWords, int tailAlpha, int tailTokens, string? reason)
    {
        string text = baseWords > 0 ? Words(baseWords) + " " + tail : tail;
        var tokens = WordTokenizer.Tokenize(text);
        Assert.Equal(baseWords + tailTokens, tokens.Count);
        Assert.Equal(baseWords + tailAlpha, tokens.Count(t => t.Any(char.IsLetter)));
        Assert.Equal(reason, GopherQualityRules.Check(text, AlphaOnly, new StopWordTable([]), [], []));
    }

    public static TheoryData<string, string[]> RepeatedLines => new()
    {
        { "Hello, world! It's 5km (or 3mi) away.", ["Hello", ",", "world", "!", "It", "'s", "5", "km", "(", "or", "3mi", ")", "away", "."] },
        { "os.path.join(a, b) -> str", ["os.path.join(a", ",", "b", ")", "-", ">", "str"] },
        { "See https://x.org/a or mail me@x.org, e.g. today.", ["See", "https://x.org/a", "or", "mail", "me@x.org", ",", "e.g.", "today", "."] },
        { "  * Fix CVE-2024-1234 (closes: #123456).", ["*", "Fix", "CVE-2024", "-", "1234", "(", "closes", ":", "#", "123456", ")", "."] },
        { "\"Well-known\" words, U.S. style: 1,000 items.", ["\"", "Well", "-", "known", "\"", "words", ",", "U.S.", "style", ":", "1,000", "items", "."] },
    };

    /// <summary>
    /// A line repeated after a different one: the duplicated 5- and 6-gram character fractions come
    /// from the hand-written tokens (datatrove's find_all_duplicate over them), and the rule fires
    /// just under that fraction and not at it.
    /// </summary>
    [Theory]
    [MemberData(nameof(RepeatedLines))]
    public void Duplicated_n_gram_fractions_at_the_boundary(string line, string[] lineTokens)
    {
        string text = line + "\nsomething else entirely here\n" + line;
        string[] middle = ["something", "else", "entirely", "here"];
        var expected = lineTokens.Concat(middle).Concat(lineTokens).ToList();
        Assert.Equal(expected, WordTokenizer.Tokenize(text));
        foreach (int n in new[] { 5, 6 })
        {
            double ratio = (double)PythonReference.AllDuplicate(expected, n) / PyText.Len(text);
            Assert.True(ratio > 0);
            GopherRepetitionOptions At(double threshold) => new()
            {
                DupLineFrac = null, DupParaFrac = null, DupLineCharFrac = null, DupParaCharFrac = null, TopNGrams = [], DupNGrams = [[n, threshold]],
            };
            Assert.Null(GopherRepetitionRules.Check(text, At(ratio), new RepetitionScratch()));
            Assert.Equal($"gopher_repetition.duplicated_{n}_n_grams", GopherRepetitionRules.Check(text, At(ratio - 1e-9), new RepetitionScratch()));
        }
    }
}
