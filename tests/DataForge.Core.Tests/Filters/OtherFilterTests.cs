using DataForge.Execution;
using DataForge.Filters;
using static DataForge.Tests.Runs;
using DataForge.Configuration;

namespace DataForge.Tests.Filters;

public class ZhQualityTests
{
    const string Good = "人工智能正在改变我们的生活方式。越来越多的企业开始使用机器学习技术来提高效率！研究人员认为，这一趋势还将持续很多年。与此同时，数据安全和隐私保护也引起了广泛关注；政府正在制定相关的法律法规。";

    static readonly ZhQualityOptions Off = new()
    {
        MinCjkChars = 0, MinSentences = 0, MinCjkRatio = 0, MinTerminatedSentenceRatio = 0, MinMeanSentenceChars = 0,
        MaxMeanSentenceChars = 100000, MaxSentenceChars = 100000, MaxPunctuationRun = 100000, MaxCharRun = 100000, MaxShortLineRatio = 1,
    };

    [Fact]
    public void Well_formed_prose_passes_the_defaults() => Assert.Null(ZhQualityRules.Check(Good, new ZhQualityOptions()));

    [Theory]
    [InlineData(9, "zh_quality.min_cjk_chars")]
    [InlineData(10, null)]
    [InlineData(11, null)]
    public void Min_cjk_chars(int n, string? reason)
        => Assert.Equal(reason, ZhQualityRules.Check(new string('中', n) + "。", Off with { MinCjkChars = 10 }));

    [Theory]
    [InlineData("一句。两句！", "zh_quality.min_sentences")]
    [InlineData("一句。两句！三句？", null)]
    [InlineData("一句。两句！三句？四句；", null)]
    public void Sentences_split_on_chinese_terminal_punctuation(string text, string? reason)
        => Assert.Equal(reason, ZhQualityRules.Check(text, Off with { MinSentences = 3 }));

    [Theory]
    [InlineData("中文中文。abc def", null)]                 // 4 Han of 10 letters = 0.4: at
    [InlineData("中文中文。abc defg", "zh_quality.min_cjk_ratio")]
    [InlineData("中文中文中。abc de", null)]
    public void Cjk_share_among_letters(string text, string? reason)
        => Assert.Equal(reason, ZhQualityRules.Check(text, Off with { MinCjkRatio = 0.4 }));

    [Theory]
    [InlineData("一。二。三\n四", "zh_quality.terminated_sentence_ratio")] // 2 of 4
    [InlineData("一。二。三。\n四", null)]                                    // 3 of 4 = 0.75: at
    [InlineData("一。二。三。四。", null)]
    public void Terminated_sentence_share(string text, string? reason)
        => Assert.Equal(reason, ZhQualityRules.Check(text, Off with { MinTerminatedSentenceRatio = 0.75 }));

    [Theory]
    [InlineData("好！！！！！", null)]                        // run of 5: at
    [InlineData("好！！！！！！", "zh_quality.punctuation_run")]
    public void Punctuation_runs(string text, string? reason)
        => Assert.Equal(reason, ZhQualityRules.Check(text, Off with { MaxPunctuationRun = 5 }));

    [Theory]
    [InlineData("哈哈哈哈。", null)]
    [InlineData("哈哈哈哈哈。", "zh_quality.char_run")]
    public void Character_runs(string text, string? reason)
        => Assert.Equal(reason, ZhQualityRules.Check(text, Off with { MaxCharRun = 4 }));

    [Theory]
    [InlineData(1, null)]                                  // 1 of 2 lines short = 0.5: at
    [InlineData(2, "zh_quality.short_line_ratio")]
    public void Short_lines_like_menus(int shortLines, string? reason)
    {
        var lines = new[] { shortLines >= 1 ? "首页" : Good, shortLines >= 2 ? "新闻" : Good };
        Assert.Equal(reason, ZhQualityRules.Check(string.Join("\n", lines), Off with { MaxShortLineRatio = 0.5 }));
    }

    [Theory]
    [InlineData("一二三四五。", null)]                         // mean 5: at
    [InlineData("一二三四。", "zh_quality.min_mean_sentence_chars")]
    public void Mean_sentence_length(string text, string? reason)
        => Assert.Equal(reason, ZhQualityRules.Check(text, Off with { MinMeanSentenceChars = 5 }));

    [Fact]
    public void Menus_and_spam_fail_with_defaults()
    {
        Assert.NotNull(ZhQualityRules.Check("首页 | 新闻 | 体育 | 财经\n联系我们\n关于我们\n网站地图", new ZhQualityOptions()));
        Assert.NotNull(ZhQualityRules.Check("特价优惠！！！！！！！加微信了解详情！！！！！！！" + Good, new ZhQualityOptions()));
    }
}

public class LanguageDetectorTests
{
    [Theory]
    [InlineData("The committee published its report on Monday, and the findings were clear: the river has been polluted for years by the factories that line its banks.", "en")]
    [InlineData("Le comité a publié son rapport lundi et les conclusions sont claires : la rivière est polluée depuis des années par les usines qui bordent ses rives.", "fr")]
    [InlineData("Der Ausschuss hat seinen Bericht am Montag veröffentlicht, und die Ergebnisse sind klar: der Fluss ist seit Jahren durch die Fabriken verschmutzt.", "de")]
    [InlineData("El comité publicó su informe el lunes y las conclusiones son claras: el río está contaminado desde hace años por las fábricas.", "es")]
    [InlineData("委员会星期一发布了报告，结论很清楚：这条河多年来一直受到沿岸工厂的污染。我们需要采取行动。", "zh")]
    [InlineData("委員会は月曜日に報告書を発表しました。結論は明らかです。", "ja")]
    [InlineData("Комитет опубликовал свой доклад в понедельник.", "ru")]
    public void Detects_languages(string text, string expected)
    {
        var (lang, score) = LanguageDetector.Detect(text);
        Assert.Equal(expected, lang);
        Assert.True(score >= 0.5, $"score {score} for {expected}");
    }

    [Fact]
    public void Chinese_with_english_terms_stays_chinese()
    {
        var (lang, score) = LanguageDetector.Detect("我们使用Python和PyTorch进行深度学习模型的训练，并在GPU上测试了推理速度。");
        Assert.Equal("zh", lang);
        Assert.True(score > 0.6);
    }

    [Fact]
    public void Word_salad_scores_low()
    {
        var (_, score) = LanguageDetector.Detect("payday loans cheap pills buy now discount casino bonus free shipping guaranteed lowest price");
        Assert.True(score < 0.5, $"score {score}");
    }

    [Fact]
    public void Stage_sets_lang_and_score_and_drops_other_languages()
    {
        using var dir = new TempDir();
        string input = dir.Write("x.jsonl",
            "{\"id\":\"en\",\"text\":\"This is a document that is written in English and it has all of the usual words of the language.\"}\n" +
            "{\"id\":\"zh\",\"text\":\"这是一篇用中文写的文章，内容是关于天气的。\"}\n");
        var r = Run($$"""{"input": [{"type": "jsonl", "paths": [{{J(input)}}]}], "stages": [{"type": "language_filter", "languages": ["en"]}], "output": {"type": "parquet", "path": {{J(dir["o"])}} } }""");
        Assert.Equal(1, r.Stats.DocumentsOut);
        var batch = DataForge.IO.ShardFiles.Read(Directory.GetFiles(dir["o"], "*.parquet")[0]).Single();
        Assert.Equal("en", batch.Lang.GetString(0));
        Assert.True(((Apache.Arrow.FloatArray)batch.Column("lang_score")!).Values[0] > 0.5f);
        Assert.Equal(1, r.Stats.Stages.Single(s => s.Type == "language_filter").Dropped["language_filter.other_language"]);
    }

    [Fact]
    public void Threshold_keeps_a_score_at_the_bound_and_drops_one_just_below()
    {
        using var dir = new TempDir();
        const string text = "The committee published its report on Monday, and the findings were clear: the river has been polluted for years.";
        double score = LanguageDetector.Detect(text).Score;
        string input = dir.Write("x.jsonl", System.Text.Json.JsonSerializer.Serialize(new { id = "d", text }) + "\n");
        long Kept(double threshold, string o) => Run($$"""{"input": [{"type": "jsonl", "paths": [{{J(input)}}]}], "stages": [{"type": "language_filter", "languages": ["en"], "threshold": {{threshold.ToString("R", System.Globalization.CultureInfo.InvariantCulture)}}}], "output": {"type": "jsonl", "path": {{J(dir[o])}} } }""").Stats.DocumentsOut;
        Assert.Equal(1, Kept(score, "at"));
        Assert.Equal(1, Kept(score - 1e-9, "below"));
        Assert.Equal(0, Kept(Math.BitIncrement(score), "above"));
    }

    [Fact]
    public void Unsupported_language_is_a_config_error()
    {
        var ex = Assert.Throws<ConfigException>(() => Parse("""{"input": [{"type": "jsonl", "paths": ["x"]}], "stages": [{"type": "language_filter", "languages": ["xx"]}], "output": {"type": "jsonl", "path": "o"}}"""));
        Assert.Contains("unsupported language 'xx'", ex.Errors[0].Message);
        Assert.Equal("$.stages[0].languages", ex.Errors[0].Path);
    }
}

public class UrlAndPiiTests
{
    static readonly HashSet<string> Blocked = ["badsite.com", "spam.example.org"];
    static readonly HashSet<string> Banned = ["porn", "xxx"];
    static readonly HashSet<string> Soft = ["casino", "cheap", "pills"];

    [Theory]
    [InlineData("https://www.badsite.com/page", "url_filter.blocked_domain")]
    [InlineData("http://sub.badsite.com:8080/x", "url_filter.blocked_domain")]
    [InlineData("https://notbadsite.com/", null)]
    [InlineData("https://example.com/free-porn-videos", "url_filter.banned_word")]
    [InlineData("https://example.com/pornography-history", null)] // a whole token only
    [InlineData("https://cheap-casino.net/", "url_filter.soft_banned_words")] // 2 soft words: at the threshold
    [InlineData("https://example.com/cheap-books", null)]                     // 1: below
    [InlineData("https://cheap-pills-casino.biz/", "url_filter.soft_banned_words")]
    public void Url_rules(string url, string? reason) => Assert.Equal(reason, UrlRules.Check(url, Blocked, Banned, Soft, 2));

    [Fact]
    public void Pii_is_replaced_and_counted()
    {
        using var dir = new TempDir();
        string text = "Mail jane.doe+news@example.co.uk or call +1 415-555-0132, (212) 555-0199 or 13812345678. Server 192.168.1.20 and 2001:db8::8a2e:370:7334 at 12:30:45. Version 1.2.3 is fine. See https://example.com/a?b=1 now.";
        string input = dir.Write("x.jsonl", System.Text.Json.JsonSerializer.Serialize(new { id = "p", text }) + "\n");
        var r = Run($$"""{"input": [{"type": "jsonl", "paths": [{{J(input)}}]}], "stages": [{"type": "pii_redact", "url_remove": true}], "output": {"type": "jsonl", "path": {{J(dir["o"])}} } }""");
        string output = ReadDocs(dir["o"]).Single().Text;
        Assert.Equal("Mail <EMAIL> or call <PHONE>, <PHONE> or <PHONE>. Server <IP_ADDRESS> and <IP_ADDRESS> at 12:30:45. Version 1.2.3 is fine. See  now.", output);
        var c = r.Stats.Stages.Single(s => s.Type == "pii_redact").Counters;
        Assert.Equal((1, 2, 3, 1), (c["pii_redact.email"], c["pii_redact.ip"], c["pii_redact.phone"], c["pii_redact.url"]));
    }

    [Fact]
    public void A_catastrophic_user_regex_times_out_with_a_clear_error()
    {
        using var dir = new TempDir();
        string text = new string('a', 40) + "!";
        string input = dir.Write("x.jsonl", System.Text.Json.JsonSerializer.Serialize(new { id = "slow-doc", text }) + "\n");
        var json = $$"""{"input": [{"type": "jsonl", "paths": [{{J(input)}}]}], "stages": [{"type": "pii_redact", "extra_patterns": {"(a+)+$": "X"}, "regex_timeout_ms": 50}], "output": {"type": "jsonl", "path": {{J(dir["o"])}} } }""";
        var ex = Assert.Throws<InputException>(() => Run(json));
        Assert.Contains("pii_redact: regular expression \"(a+)+$\" timed out after 50 ms on document 'slow-doc'", ex.Message);
    }

    [Fact]
    public void An_invalid_user_regex_is_a_config_error_at_its_option()
    {
        var ex = Assert.Throws<ConfigException>(() => Parse("""{"input": [{"type": "jsonl", "paths": ["x"]}], "stages": [{"type": "url_filter", "url_patterns": ["(unclosed"]}], "output": {"type": "jsonl", "path": "o"}}"""));
        Assert.Equal("$.stages[0].url_patterns", ex.Errors[0].Path);
        Assert.StartsWith("invalid regular expression \"(unclosed\"", ex.Errors[0].Message);
    }

    [Theory]
    [InlineData("a perfectly clean sentence about gardens.", false)]
    [InlineData("this page has porn in it.", true)]
    [InlineData("Shitty weather today.", true)]
    [InlineData("the scunthorpe problem: assessment and classic words pass.", false)]
    public void Bad_words_match_whole_words_case_insensitively(string text, bool bad)
    {
        var regex = C4BadWordsStage.Build("en", WordLists.Shipped("badwords-en.txt"));
        Assert.Equal(bad, regex.IsMatch(text.ToLowerInvariant()));
    }

    [Fact]
    public void Bad_words_keep_fraction_is_seeded_and_approximate()
    {
        using var dir = new TempDir();
        var lines = Enumerable.Range(0, 400).Select(i => System.Text.Json.JsonSerializer.Serialize(new { id = $"d{i}", text = "some porn here" }));
        string input = dir.Write("x.jsonl", string.Join("\n", lines) + "\n");
        string Pipe(string o) => $$"""{"input": [{"type": "jsonl", "paths": [{{J(input)}}]}], "stages": [{"type": "c4_badwords", "keep_fraction": 0.25}], "output": {"type": "jsonl", "path": {{J(dir[o])}} } }""";
        var a = Run(Pipe("a"));
        var b = Run(Pipe("b"));
        Assert.InRange(a.Stats.DocumentsOut, 70, 130);
        Assert.Equal(ReadDocs(dir["a"]), ReadDocs(dir["b"]));
    }
}
