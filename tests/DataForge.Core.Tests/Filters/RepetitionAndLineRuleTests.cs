using System.Text;
using DataForge.Filters;
using DataForge.Text;

namespace DataForge.Tests.Filters;

/// <summary>
/// A plain port of the Python definitions (strings, dictionaries) that the optimised rules are
/// checked against, plus boundary cases built from the same measures.
/// </summary>
public static class PythonReference
{
    public static (int Dups, int Chars) FindDuplicates(IEnumerable<string> xs)
    {
        var seen = new HashSet<string>();
        int d = 0, c = 0;
        foreach (var x in xs)
            if (!seen.Add(x)) { d++; c += PyText.Len(x); }
        return (d, c);
    }

    public static int TopNGram(List<string> words, int n)
    {
        var grams = Enumerable.Range(0, words.Count - n + 1).Select(i => string.Join(' ', words.GetRange(i, n))).ToList();
        var counts = new Dictionary<string, int>();
        var order = new List<string>();
        foreach (var g in grams) { if (!counts.ContainsKey(g)) { counts[g] = 0; order.Add(g); } counts[g]++; }
        int max = counts.Values.Max();
        var top = order.First(g => counts[g] == max);
        return PyText.Len(top) * max;
    }

    public static int AllDuplicate(List<string> words, int n)
    {
        var seen = new HashSet<string>();
        int repeated = 0, idx = 0;
        while (idx < words.Count - n + 1)
        {
            string g = string.Concat(words.GetRange(idx, n));
            if (seen.Contains(g)) { repeated += PyText.Len(g); idx += n; }
            else { seen.Add(g); idx++; }
        }
        return repeated;
    }
}

public class GopherRepetitionTests
{
    static readonly GopherRepetitionOptions None = new() { DupLineFrac = null, DupParaFrac = null, DupLineCharFrac = null, DupParaCharFrac = null, TopNGrams = [], DupNGrams = [] };

    static string? Check(string text, GopherRepetitionOptions o) => GopherRepetitionRules.Check(text, o, new RepetitionScratch());

    static GopherRepetitionOptions With(double? dupLine = null, double? dupPara = null, double? dupLineChar = null, double? dupParaChar = null,
        List<List<double>>? top = null, List<List<double>>? dup = null)
        => new() { DupLineFrac = dupLine, DupParaFrac = dupPara, DupLineCharFrac = dupLineChar, DupParaCharFrac = dupParaChar, TopNGrams = top ?? [], DupNGrams = dup ?? [] };

    [Theory]
    [InlineData(2, null)]
    [InlineData(3, null)]                                 // 3 of 10 paragraphs = 0.3
    [InlineData(4, "gopher_repetition.dup_para_frac")]
    public void Duplicate_paragraph_fraction(int dups, string? reason)
    {
        // The first copy is not a duplicate: dups + 1 identical paragraphs among 10.
        var paras = Enumerable.Range(0, 10).Select(i => i <= dups ? "the same paragraph" : $"paragraph number {i}");
        Assert.Equal(reason, Check(string.Join("\n\n\n", paras), With(dupPara: 0.3)));
    }

    [Theory]
    [InlineData(2, null)]
    [InlineData(3, null)]
    [InlineData(4, "gopher_repetition.dup_line_frac")]
    public void Duplicate_line_fraction(int dups, string? reason)
    {
        var list = Enumerable.Range(0, 10).Select(i => i <= dups ? "same line" : $"other line {i}").ToList();
        Assert.Equal(reason, Check(string.Join("\n", list), With(dupLine: 0.3)));
    }

    /// <summary>Sets the threshold exactly at the measured ratio (kept: the rules use "above") and just under it (dropped).</summary>
    [Theory]
    [InlineData("dup_para_char_frac")]
    [InlineData("dup_line_char_frac")]
    [InlineData("top_2_gram")]
    [InlineData("top_4_gram")]
    [InlineData("duplicated_5_n_grams")]
    [InlineData("duplicated_10_n_grams")]
    public void Char_fractions_at_and_just_below_the_measured_ratio(string rule)
    {
        string text = "alpha beta gamma delta.\n\nalpha beta gamma delta.\n\nepsilon zeta eta theta iota kappa lambda mu nu xi omicron pi rho sigma tau upsilon.\nalpha beta gamma delta epsilon zeta eta theta iota kappa\nalpha beta gamma delta epsilon zeta eta theta iota kappa";
        var words = WordTokenizer.Tokenize(text);
        int len = PyText.Len(text);
        double ratio = rule switch
        {
            "dup_para_char_frac" => (double)PythonReference.FindDuplicates(System.Text.RegularExpressions.Regex.Split(text.Trim(), "\n{2,}")).Chars / len,
            "dup_line_char_frac" => (double)PythonReference.FindDuplicates(System.Text.RegularExpressions.Regex.Split(text, "\n+")).Chars / len,
            "top_2_gram" => (double)PythonReference.TopNGram(words, 2) / len,
            "top_4_gram" => (double)PythonReference.TopNGram(words, 4) / len,
            "duplicated_5_n_grams" => (double)PythonReference.AllDuplicate(words, 5) / len,
            _ => (double)PythonReference.AllDuplicate(words, 10) / len,
        };
        Assert.True(ratio > 0, "the example must exercise the rule");
        GopherRepetitionOptions At(double thr) => rule switch
        {
            "dup_para_char_frac" => With(dupParaChar: thr),
            "dup_line_char_frac" => With(dupLineChar: thr),
            "top_2_gram" => With(top: [[2, thr]]),
            "top_4_gram" => With(top: [[4, thr]]),
            "duplicated_5_n_grams" => With(dup: [[5, thr]]),
            _ => With(dup: [[10, thr]]),
        };
        Assert.Null(Check(text, At(ratio)));
        Assert.Equal($"gopher_repetition.{rule}", Check(text, At(ratio - 1e-9)));
        Assert.Null(Check(text, At(ratio + 1e-9)));
    }

    [Fact]
    public void Optimised_measures_agree_with_the_python_reference_on_random_texts()
    {
        var rng = new Random(7);
        string[] vocab = ["the", "cat", "sat", "on", "mat", "a", "dog", "ran", ".", ",", "and", "then", "it", "was", "x", "数据"];
        for (int k = 0; k < 300; k++)
        {
            var sb = new StringBuilder();
            int n = rng.Next(5, 80);
            for (int i = 0; i < n; i++)
            {
                sb.Append(vocab[rng.Next(vocab.Length)]);
                sb.Append(rng.Next(10) switch { 0 => "\n", 1 => "\n\n", _ => " " });
            }
            string text = sb.ToString();
            var words = WordTokenizer.Tokenize(text);
            int len = PyText.Len(text);
            foreach (int g in new[] { 2, 3, 4 })
            {
                if (words.Count < g) continue;
                double ratio = (double)PythonReference.TopNGram(words, g) / len;
                Assert.Null(Check(text, With(top: [[g, Math.Min(1, ratio)]])));
                if (ratio - 1e-9 >= 0) Assert.Equal($"gopher_repetition.top_{g}_gram", Check(text, With(top: [[g, ratio - 1e-9]])));
            }
            foreach (int g in new[] { 5, 7 })
            {
                double ratio = (double)PythonReference.AllDuplicate(words, g) / len;
                Assert.Null(Check(text, With(dup: [[g, Math.Min(1, ratio)]])));
                if (ratio > 0) Assert.Equal($"gopher_repetition.duplicated_{g}_n_grams", Check(text, With(dup: [[g, ratio - 1e-9]])));
            }
        }
    }

    [Fact]
    public void All_n_gram_rules_together_agree_with_the_python_reference()
    {
        // The rules share work across n (a pass counts only positions whose shorter n-gram or joined
        // prefix repeated), so each rule is checked with the whole default list in force. The words
        // join into equal strings across different boundaries ("ab"+"c" = "a"+"bc"), and long texts
        // over few words make many repeats.
        var rng = new Random(11);
        string[] vocab = ["a", "b", "c", "ab", "bc", "abc", "the", "of", "the", ".", ",", "x", "数据", "longerwordhere"];
        var defaults = new GopherRepetitionOptions();
        for (int k = 0; k < 400; k++)
        {
            var sb = new StringBuilder();
            int n = rng.Next(3, k % 4 == 0 ? 600 : 60);
            int width = rng.Next(3, vocab.Length + 1);
            for (int i = 0; i < n; i++) sb.Append(vocab[rng.Next(width)]).Append(rng.Next(12) == 0 ? "\n" : " ");
            string text = sb.ToString();
            var words = WordTokenizer.Tokenize(text);
            int len = PyText.Len(text);
            var top = defaults.TopNGrams.Select(p => (N: (int)p[0], Ratio: words.Count < (int)p[0] ? 0 : (double)PythonReference.TopNGram(words, (int)p[0]) / len)).ToList();
            var dup = defaults.DupNGrams.Select(p => (N: (int)p[0], Ratio: (double)PythonReference.AllDuplicate(words, (int)p[0]) / len)).ToList();
            GopherRepetitionOptions Thresholds(int failing)
            {
                // Every rule just above its measure except rule `failing` (index into top ++ dup), just below it.
                var t = top.Select((x, i) => new List<double> { x.N, i == failing ? x.Ratio - 1e-9 : Math.Min(1, x.Ratio + 1e-9) }).ToList();
                var d = dup.Select((x, i) => new List<double> { x.N, i + top.Count == failing ? x.Ratio - 1e-9 : Math.Min(1, x.Ratio + 1e-9) }).ToList();
                return With(top: t, dup: d);
            }
            Assert.Null(Check(text, Thresholds(-1)));
            for (int f = 0; f < top.Count + dup.Count; f++)
            {
                var (gram, ratio, kind) = f < top.Count ? (top[f].N, top[f].Ratio, "top_{0}_gram") : (dup[f - top.Count].N, dup[f - top.Count].Ratio, "duplicated_{0}_n_grams");
                if (ratio - 1e-9 < 0) continue;
                Assert.Equal("gopher_repetition." + string.Format(kind, gram), Check(text, Thresholds(f)));
            }
        }
    }

    [Fact]
    public void Repeated_boilerplate_is_caught_with_defaults()
    {
        string spam = string.Join("\n", Enumerable.Repeat("Buy cheap pills online today with free shipping.", 12));
        Assert.NotNull(Check(spam, new GopherRepetitionOptions()));
    }
}

public class C4QualityTests
{
    static readonly C4QualityOptions Defaults = new();

    static (string? Reason, string Text) Apply(string text, C4QualityOptions? o = null)
    {
        var sb = new StringBuilder();
        var counts = new C4QualityRules.LineCounts();
        string? r = C4QualityRules.Apply(text, o ?? Defaults, sb, [], [], ref counts);
        return (r, sb.ToString());
    }

    static string Sentences(int n) => string.Join("\n", Enumerable.Range(0, n).Select(i => $"This is sentence number {i} here."));

    [Theory]
    [InlineData(4, "c4_quality.too_few_sentences")]
    [InlineData(5, null)]
    [InlineData(6, null)]
    public void Min_num_sentences(int n, string? reason) => Assert.Equal(reason, Apply(Sentences(n)).Reason);

    [Fact]
    public void Sentences_are_counted_within_lines()
    {
        Assert.Null(Apply("One two three. Four five six. Seven eight nine! Ten eleven twelve? Last one here.").Reason);
        Assert.Equal("c4_quality.too_few_sentences", Apply("One two three e.g. four. Five six seven. Eight nine ten. Eleven twelve thirteen.").Reason);
    }

    [Theory]
    [InlineData("Only two.", "")]
    [InlineData("Now three words.", "Now three words.")]
    public void Min_words_per_line(string line, string kept)
        => Assert.Equal(kept, Apply(line, new C4QualityOptions { MinNumSentences = -1 }).Text);

    [Fact]
    public void Line_rules_rewrite_the_text()
    {
        string text = string.Join("\n",
            "  A line with an ending here.  ",
            "A line without an ending",
            "A line that trails off...",
            "Enable JavaScript to view this page, please.",
            "We use cookies: read our privacy policy now.",
            "Cited fact in the line.[12][edit]",
            "A \"quoted\" ending is fine too.\"",
            "Another 'single' quoted ending.'");
        var (reason, kept) = Apply(text, new C4QualityOptions { MinNumSentences = -1 });
        Assert.Null(reason);
        Assert.Equal("A line with an ending here.\nCited fact in the line.\nA \"quoted\" ending is fine too.\"\nAnother 'single' quoted ending.'", kept);
    }

    [Theory]
    [InlineData(1000, true)]
    [InlineData(1001, false)]
    public void Max_word_length(int length, bool kept)
    {
        string line = "Word " + new string('a', length) + " ends here.";
        Assert.Equal(kept ? line : "", Apply(line, new C4QualityOptions { MinNumSentences = -1 }).Text);
    }

    [Fact]
    public void Document_rules()
    {
        Assert.Equal("c4_quality.lorem_ipsum", Apply(Sentences(6) + "\nLorem ipsum dolor sit amet.").Reason);
        Assert.Equal("c4_quality.curly_bracket", Apply(Sentences(6) + "\nfunction f() { return 1; }.").Reason);
        // A '{' on a line that is dropped anyway (no terminal punctuation) does not drop the document.
        Assert.Null(Apply(Sentences(6) + "\nvar x = {").Reason);
        Assert.Null(Apply(Sentences(6) + "\nLorem ipsum without an ending").Reason);
    }
}

public class FineWebQualityTests
{
    static string? Check(string text, FineWebQualityOptions? o = null) => FineWebQualityRules.Check(text, o ?? new FineWebQualityOptions(), [], [], [], new UInt64Counter());

    static readonly FineWebQualityOptions Punct = new() { ShortLineThr = 1, CharDuplicatesRatio = 1, NewLineRatio = 100 };

    [Theory]
    [InlineData(2, "fineweb_quality.line_punct_ratio")] // 2/25 = 0.08
    [InlineData(3, null)]                               // 3/25 = 0.12: at
    [InlineData(4, null)]
    public void Line_punct_ratio(int terminated, string? reason)
    {
        var lines = Enumerable.Range(0, 25).Select(i => i < terminated ? $"line {i} ends." : $"line {i} runs on");
        Assert.Equal(reason, Check(string.Join("\n\n", lines), Punct));
    }

    [Fact]
    public void Blank_lines_are_ignored_and_empty_documents_dropped()
    {
        Assert.Equal("fineweb_quality.empty", Check(" \n\n \t\n"));
        Assert.Equal("fineweb_quality.line_punct_ratio", Check("no ending\n\n\n\nanother without", Punct));
        Assert.Null(Check("zero ratio but excluded", Punct with { LinePunctExcludeZero = true }));
    }

    static readonly FineWebQualityOptions Short = new() { LinePunctThr = 0, CharDuplicatesRatio = 1, NewLineRatio = 100 };

    [Theory]
    [InlineData(66, null)]
    [InlineData(67, null)]                               // 0.67: at
    [InlineData(68, "fineweb_quality.short_line_ratio")]
    public void Short_line_ratio(int shortLines, string? reason)
    {
        var lines = Enumerable.Range(0, 100).Select(i => i < shortLines ? $"short {i}." : $"this line is long enough to count, number {i}.");
        Assert.Equal(reason, Check(string.Join("\n", lines), Short));
    }

    [Theory]
    [InlineData(30, true)]
    [InlineData(31, false)]
    public void Short_line_length_is_inclusive(int length, bool isShort)
    {
        string line = new string('x', length - 1) + ".";
        Assert.Equal(isShort ? "fineweb_quality.short_line_ratio" : null, Check(line, Short with { ShortLineThr = 0.5 }));
    }

    [Fact]
    public void Char_duplicates_ratio_at_and_around_the_bound()
    {
        // 200 unique lines of 50 chars + one duplicate line of 100 chars: ratio = 100 / (10000 + 200)
        var unique = Enumerable.Range(0, 200).Select(i => $"{i:D4} " + new string('u', 44) + ".");
        string dup = new string('d', 99) + ".";
        string text = string.Join("\n", unique.Prepend(dup).Append(dup));
        double ratio = 100.0 / (text.Length - text.Count(c => c == '\n'));
        var o = new FineWebQualityOptions { LinePunctThr = 0, ShortLineThr = 1, NewLineRatio = 100 };
        Assert.Null(Check(text, o with { CharDuplicatesRatio = ratio }));
        Assert.Equal("fineweb_quality.char_dup_ratio", Check(text, o with { CharDuplicatesRatio = ratio - 1e-9 }));
    }

    [Theory]
    [InlineData(3, null)]                            // 3 newlines / 10 words = 0.3: at
    [InlineData(4, "fineweb_quality.list_ratio")]   // 4 / 10
    public void New_line_ratio(int newlines, string? reason)
    {
        var words = Enumerable.Range(0, 10).Select(i => $"w{i}").ToList();
        var sb = new StringBuilder();
        for (int i = 0; i < words.Count; i++)
        {
            sb.Append(words[i]);
            if (i < words.Count - 1) sb.Append(i < newlines ? '\n' : ' ');
        }
        Assert.Equal(reason, Check(sb.ToString(), new FineWebQualityOptions { LinePunctThr = 0, ShortLineThr = 1, CharDuplicatesRatio = 1 }));
    }
}
