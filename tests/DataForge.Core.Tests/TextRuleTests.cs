using System.Text;
using DataForge.Filters;
using DataForge.Text;

namespace DataForge.Tests;

public class TextRuleTests
{
    static string Clean(string s, bool collapse = true, int blank = 1)
    {
        var input = Encoding.UTF8.GetBytes(s);
        var output = new byte[input.Length];
        int n = Normalizer.Clean(input, output, new CleanupRules(collapse, blank, true));
        return Encoding.UTF8.GetString(output, 0, n);
    }

    [Theory]
    [InlineData("a\r\nb\rc\u2028d", "a\nb\nc\nd")]
    [InlineData("  lead and trail  \n\n", "lead and trail")]
    [InlineData("a    b\t\tc", "a b c")]
    [InlineData("def f():\n    return  1", "def f():\n    return 1")]
    [InlineData("a\n\n\n\n\nb", "a\n\nb")]
    [InlineData("a \n  \n \nb", "a\n\nb")]
    [InlineData("x\u0000y\u0007z\u007F\u200B\uFEFF!", "xyz!")]
    [InlineData("no\u00A0break\u3000space", "no break space")]
    [InlineData("", "")]
    [InlineData("\n\n   \n", "")]
    public void Clean_rules(string input, string expected) => Assert.Equal(expected, Clean(input));

    [Fact]
    public void Count_words_matches_python_split_on_random_text()
    {
        // Long ASCII runs take the 16-character vector path; Python's other whitespace, non-ASCII
        // letters and block boundaries inside words are all exercised. The reference is str.split().
        var rng = new Random(9);
        string[] pieces = ["word", " ", "  ", "\t", "\n", "\u000b", "\u001c", "\u001f", "\u0085", "\u00a0", "\u3000", "é", "数据", "x", "longerwordhere", "\u0001"];
        for (int k = 0; k < 3000; k++)
        {
            var sb = new StringBuilder();
            int n = rng.Next(0, 60);
            for (int j = 0; j < n; j++) sb.Append(pieces[rng.Next(k % 3 == 0 ? pieces.Length : 5)]);
            string text = sb.ToString();
            int expected = 0;
            bool inWord = false;
            foreach (char c in text)
            {
                bool space = char.IsWhiteSpace(c) || c is '\u001c' or '\u001d' or '\u001e' or '\u001f';
                if (!space && !inWord) expected++;
                inWord = !space;
            }
            Assert.Equal(expected, PyText.CountWords(text));
            int limit = rng.Next(1, 6);
            int limited = PyText.CountWords(text, limit);
            Assert.True(expected < limit ? limited == expected : limited >= limit, $"limit {limit}: {limited} for {expected} words");
        }
    }

    [Fact]
    public void Clean_keeps_space_runs_when_asked_and_more_blank_lines()
    {
        Assert.Equal("a   b", Clean("a   b", collapse: false));
        Assert.Equal("a\n\n\nb", Clean("a\n\n\n\n\nb", blank: 2));
        Assert.Equal("a\nb", Clean("a\n\n\nb", blank: 0));
    }

    [Fact]
    public void Clean_never_grows_and_is_idempotent()
    {
        var rng = new Random(3);
        string alphabet = "ab \t\n\r\u00A0\u3000\u200B\u0001é数";
        for (int k = 0; k < 2000; k++)
        {
            var s = new string(Enumerable.Range(0, rng.Next(0, 40)).Select(_ => alphabet[rng.Next(alphabet.Length)]).ToArray());
            string once = Clean(s);
            Assert.True(Encoding.UTF8.GetByteCount(once) <= Encoding.UTF8.GetByteCount(s));
            Assert.Equal(once, Clean(once));
        }
    }

    [Fact]
    public void Unicode_normalisation_forms()
    {
        byte[]? scratch = null;
        string decomposed = "cafe\u0301 \uFF21\uFB01";
        string nfc = Encoding.UTF8.GetString(Normalizer.UnicodeNormalize(Encoding.UTF8.GetBytes(decomposed), NormalizationForm.FormC, ref scratch));
        string nfkc = Encoding.UTF8.GetString(Normalizer.UnicodeNormalize(Encoding.UTF8.GetBytes(decomposed), NormalizationForm.FormKC, ref scratch));
        Assert.Equal("café \uFF21\uFB01", nfc);
        Assert.Equal("café Afi", nfkc);
        var ascii = Encoding.UTF8.GetBytes("plain ascii");
        Assert.True(Normalizer.UnicodeNormalize(ascii, NormalizationForm.FormC, ref scratch) == ascii.AsSpan());
    }

    [Theory]
    [InlineData("", 0, 0, 0)]
    [InlineData("one", 3, 1, 1)]
    [InlineData("one two\nthree\n", 14, 3, 2)]
    [InlineData("数据模型 data", 9, 5, 1)]
    [InlineData("a\n\nb", 4, 2, 3)]
    public void Measures(string text, int chars, int words, int lines)
    {
        var b = Encoding.UTF8.GetBytes(text);
        Assert.Equal(chars, TextMeasures.CharCount(b));
        Assert.Equal(words, TextMeasures.WordCount(b));
        Assert.Equal(lines, TextMeasures.LineCount(b));
    }

    [Theory]
    [InlineData(4, null)]   // just below min_words 5
    [InlineData(5, "keep")] // at
    [InlineData(6, "keep")] // just above
    [InlineData(10, "keep")]
    [InlineData(11, null)]
    public void Length_word_bounds_are_inclusive(int words, string? outcome)
    {
        var o = new LengthFilterOptions { MinWords = 5, MaxWords = 10 };
        var text = Encoding.UTF8.GetBytes(string.Join(' ', Enumerable.Repeat("w", words)));
        string? reason = LengthRules.Check(text, o);
        if (outcome == "keep") Assert.Null(reason);
        else Assert.Equal(words < 5 ? "length_filter.min_words" : "length_filter.max_words", reason);
    }

    [Theory]
    [InlineData(9, "length_filter.min_chars")]
    [InlineData(10, null)]
    [InlineData(11, null)]
    [InlineData(20, null)]
    [InlineData(21, "length_filter.max_chars")]
    public void Length_char_bounds_count_characters_not_bytes(int chars, string? reason)
    {
        var o = new LengthFilterOptions { MinChars = 10, MaxChars = 20 };
        Assert.Equal(reason, LengthRules.Check(Encoding.UTF8.GetBytes(new string('é', chars)), o));
    }

    [Theory]
    [InlineData(1, "length_filter.min_lines")]
    [InlineData(2, null)]
    [InlineData(3, null)]
    [InlineData(4, "length_filter.max_lines")]
    public void Length_line_bounds(int lines, string? reason)
    {
        var o = new LengthFilterOptions { MinLines = 2, MaxLines = 3 };
        Assert.Equal(reason, LengthRules.Check(Encoding.UTF8.GetBytes(string.Join('\n', Enumerable.Repeat("x", lines))), o));
    }

    [Fact]
    public void Sample_keeps_about_the_fraction_and_depends_only_on_id_and_seed()
    {
        ulong threshold = (ulong)(0.3 * 18446744073709551616.0);
        int kept = 0;
        for (int i = 0; i < 20000; i++)
            if (SampleStage.Keep(Encoding.UTF8.GetBytes($"doc-{i}"), 42, threshold, false)) kept++;
        Assert.InRange(kept / 20000.0, 0.28, 0.32);
        Assert.Equal(SampleStage.Keep("x"u8, 1, threshold, false), SampleStage.Keep("x"u8, 1, threshold, false));
        int differ = Enumerable.Range(0, 1000).Count(i =>
            SampleStage.Keep(Encoding.UTF8.GetBytes($"d{i}"), 1, threshold, false) != SampleStage.Keep(Encoding.UTF8.GetBytes($"d{i}"), 2, threshold, false));
        Assert.True(differ > 100, "a different seed must give a different sample");
    }
}

public class NormalizerPropertyTests
{
    static readonly string Alphabet = "ab ,.\t\n\r\u00A0\u3000\u200B\u0001\u000Béè\u0301\u0065数据ｶﾞ\u2028\u2000ﬁ\uFF21…—“”ガ\u3099";

    [Fact]
    public void Quick_check_never_claims_stable_text_that_normalisation_would_change()
    {
        var rng = new Random(11);
        int stable = 0;
        for (int k = 0; k < 20000; k++)
        {
            var s = new string(Enumerable.Range(0, rng.Next(0, 12)).Select(_ => Alphabet[rng.Next(Alphabet.Length)]).ToArray());
            var bytes = Encoding.UTF8.GetBytes(s);
            foreach (var form in new[] { NormalizationForm.FormC, NormalizationForm.FormKC })
            {
                if (!Normalizer.IsStable(bytes, form)) continue;
                stable++;
                Assert.True(s.IsNormalized(form), $"'{s}' is not {form} but passed the quick check");
            }
        }
        Assert.True(stable > 1000, "the quick check should accept common text");
    }

    [Fact]
    public void Changed_flag_matches_a_real_difference()
    {
        var rng = new Random(5);
        for (int k = 0; k < 20000; k++)
        {
            var s = new string(Enumerable.Range(0, rng.Next(0, 30)).Select(_ => Alphabet[rng.Next(Alphabet.Length)]).ToArray());
            var input = Encoding.UTF8.GetBytes(s);
            var output = new byte[input.Length];
            int n = Normalizer.Clean(input, output, new CleanupRules(), out bool changed);
            Assert.True(!output.AsSpan(0, n).SequenceEqual(input) == changed, $"input {System.Text.Json.JsonSerializer.Serialize(s)} output {System.Text.Json.JsonSerializer.Serialize(Encoding.UTF8.GetString(output, 0, n))} changed={changed}");
        }
    }
}
