using System.Text.Json;
using System.Text.RegularExpressions;
using DataForge.Stages;
using DataForge.Synth;

namespace DataForge.Tests.Synth;

public class MathGenerateTests
{
    internal static MathGenerateSource Stage(string kind, long count = 100_000, long seed = 7, string? lang = null)
        => new(new MathGenerateOptions { Count = count, Seed = seed, Kinds = [kind], Languages = lang is null ? null : [lang] },
            new StageInit { Name = "math_generate", Type = "math_generate" });

    // The tests' own unit table (base units: m, g, s, l).
    static readonly Dictionary<string, string> Factors = new()
    {
        ["mm"] = "0.001", ["cm"] = "0.01", ["m"] = "1", ["km"] = "1000", ["in"] = "0.0254", ["ft"] = "0.3048", ["mi"] = "1609.344",
        ["mg"] = "0.001", ["g"] = "1", ["kg"] = "1000", ["t"] = "1000000", ["lb"] = "453.59237",
        ["s"] = "1", ["min"] = "60", ["h"] = "3600", ["day"] = "86400", ["ml"] = "0.001", ["l"] = "1", ["m3"] = "1000",
    };

    [Theory]
    [InlineData("arithmetic")]
    [InlineData("decimal")]
    [InlineData("fraction")]
    [InlineData("percentage")]
    [InlineData("unit_conversion")]
    [InlineData("comparison")]
    [InlineData("equation")]
    [InlineData("word_problem")]
    public void Every_answer_of_100k_items_is_rechecked_independently(string kind)
    {
        var stage = Stage(kind);
        var levels = new int[4];
        var langs = new Dictionary<string, int>();
        for (long i = 0; i < 100_000; i++)
        {
            var item = stage.Item(i);
            using var doc = JsonDocument.Parse(item.Meta);
            var m = doc.RootElement;
            Assert.Equal("math", m.GetProperty("task").GetString());
            Assert.Equal(kind, m.GetProperty("kind").GetString());
            levels[m.GetProperty("level").GetInt32()]++;
            string lang = m.GetProperty("lang").GetString()!;
            langs[lang] = langs.GetValueOrDefault(lang) + 1;
            string answer = m.GetProperty("answer").GetString()!;
            string prompt = m.GetProperty("prompt").GetString()!;
            Assert.Equal(prompt + "\n\n" + m.GetProperty("response").GetString(), item.Text);
            Assert.Contains(answer, m.GetProperty("response").GetString()!, StringComparison.Ordinal);
            try
            {
                Check(kind, m, answer, prompt);
            }
            catch (Exception ex) when (ex is not Xunit.Sdk.XunitException)
            {
                throw new InvalidOperationException($"item {i}: {item.Meta.Length} {System.Text.Encoding.UTF8.GetString(item.Meta)}", ex);
            }
        }
        Assert.All(levels.Skip(1), n => Assert.InRange(n, 30_000, 37_000));
        Assert.InRange(langs["en"], 47_000, 53_000);
    }

    static void Check(string kind, JsonElement m, string answer, string prompt)
    {
        switch (kind)
        {
            case "comparison":
            {
                var l = Expr.Eval(m.GetProperty("left").GetString()!, null);
                var r = Expr.Eval(m.GetProperty("right").GetString()!, null);
                int c = l.CompareTo(r);
                Assert.Equal(c < 0 ? "<" : c > 0 ? ">" : "=", answer);
                return;
            }
            case "equation":
            {
                var x = Q.ParseAnswer(answer);
                var sides = m.GetProperty("equation").GetString()!.Split(" = ");
                Assert.Equal(2, sides.Length);
                Assert.Equal(Expr.Eval(sides[0], x), Expr.Eval(sides[1], x));
                break;
            }
            case "unit_conversion":
            {
                var v = Expr.Eval(m.GetProperty("value").GetString()!, null);
                var expected = v * Expr.Eval(Factors[m.GetProperty("from").GetString()!], null) / Expr.Eval(Factors[m.GetProperty("to").GetString()!], null);
                Assert.Equal(expected, Q.ParseAnswer(answer));
                Assert.Contains(m.GetProperty("value").GetString()!, prompt, StringComparison.Ordinal);
                break;
            }
            case "word_problem":
                // Every quantity of the computation is stated in the question (a perimeter's factor 2 is implied).
                bool perimeter = prompt.Contains("perimeter", StringComparison.Ordinal) || prompt.Contains("周长", StringComparison.Ordinal);
                foreach (Match n in Regex.Matches(m.GetProperty("expression").GetString()!, @"\d+(\.\d+)?"))
                    if (!(perimeter && n.Value == "2")) Assert.Contains(n.Value, prompt, StringComparison.Ordinal);
                break;
        }
        Assert.Equal(Expr.Eval(m.GetProperty("expression").GetString()!, null), Q.ParseAnswer(answer));
    }

    [Fact]
    public void Decimal_items_have_decimal_answers_and_fraction_items_use_lowest_terms()
    {
        var dec = Stage("decimal", 2000);
        for (int i = 0; i < 2000; i++)
            Assert.DoesNotContain("/", JsonDocument.Parse(dec.Item(i).Meta).RootElement.GetProperty("answer").GetString()!, StringComparison.Ordinal);
        var frac = Stage("fraction", 2000);
        int fractions = 0;
        for (int i = 0; i < 2000; i++)
            if (JsonDocument.Parse(frac.Item(i).Meta).RootElement.GetProperty("answer").GetString()!.Contains('/', StringComparison.Ordinal)) fractions++;
        Assert.True(fractions > 1000, $"{fractions} fraction answers");
    }

    [Fact]
    public void Worked_solution_reduces_step_by_step()
    {
        var e = new Bin('+', new Num(3, NumStyle.Integer), new Bin('*', new Num(4, NumStyle.Integer), new Bin('-', new Num(5, NumStyle.Integer), new Num(2, NumStyle.Integer))));
        Assert.Equal("3 + 4 * (5 - 2)", MathRender.Ascii(e));
        Assert.Equal(["3 + 4 × (5 - 2)", "= 3 + 4 × 3", "= 3 + 12", "= 15"], MathRender.Steps(e, false));
        var f = new Bin('/', new Num(new Rational(3, 4), NumStyle.Fraction), new Bin('-', new Num(1, NumStyle.Integer), new Num(new Rational(-1, 2), NumStyle.Fraction)));
        Assert.Equal("(3/4) / (1 - (-1/2))", MathRender.Ascii(f));
        Assert.Equal("1/2", f.Evaluate().ToFractionString());
        Assert.Equal("-0.0125", new Rational(-1, 80).ToDecimalString());
        Assert.Equal("7/3", Rational.Parse("14/6").ToFractionString());
    }

    [Fact]
    public void Chinese_and_English_questions()
    {
        var zh = Stage("word_problem", 10, lang: "zh").Item(3);
        Assert.Equal("zh", zh.Lang);
        Assert.Contains("答案：", zh.Text, StringComparison.Ordinal);
        var en = Stage("word_problem", 10, lang: "en").Item(3);
        Assert.Contains("Answer: ", en.Text, StringComparison.Ordinal);
    }

    [Fact]
    public void Pipeline_output_is_deterministic_and_independent_of_workers()
    {
        using var dir = new TempDir();
        string P(string outName, string seed = "5") => $$"""
            { "batch_rows": 300, "input": [{ "type": "math_generate", "count": 2500, "seed": {{seed}}, "items_per_partition": 700 }],
              "output": { "type": "jsonl", "path": {{Runs.J(dir[outName])}} } }
            """;
        var r1 = Runs.Run(P("a"), workers: 1);
        Runs.Run(P("b"), workers: 2);
        Runs.Run(P("c", "6"), workers: 2);
        Assert.Equal(2500, r1.Stats.DocumentsOut);
        var a = Runs.Shards(dir["a"]);
        Assert.Equal(a, Runs.Shards(dir["b"]));
        Assert.NotEqual(a.Values.SelectMany(x => x), Runs.Shards(dir["c"]).Values.SelectMany(x => x));
        var docs = Runs.ReadDocs(dir["a"]);
        Assert.Equal(2500, docs.Select(d => d.Id).Distinct().Count());
        Assert.Equal("math_generate-00000000", docs[0].Id);
    }

    [Theory]
    [InlineData("\"count\": 10, \"kinds\": [\"algebra\"]", "$.input[0].kinds", "unknown value 'algebra'; expected one of: arithmetic")]
    [InlineData("\"count\": 10, \"kinds\": []", "$.input[0].kinds", "expected at least one of")]
    [InlineData("\"count\": 10, \"languages\": [\"fr\"]", "$.input[0].languages", "unknown value 'fr'; expected one of: en, zh")]
    [InlineData("\"count\": -1", "$.input[0].count", ">= 0")]
    [InlineData("\"count\": 10, \"levels\": [4]", "$.input[0].levels", "<= 3")]
    [InlineData("\"seed\": 1", "$.input[0].count", "missing required option")]
    public void Options_are_validated(string options, string path, string message)
    {
        using var dir = new TempDir();
        var ex = Assert.ThrowsAny<Exception>(() => Runs.Parse($$"""{ "input": [{ "type": "math_generate", {{options}} }], "output": { "type": "jsonl", "path": {{Runs.J(dir["o"])}} } }"""));
        Assert.Contains(path, ex.Message, StringComparison.Ordinal);
        Assert.Contains(message, ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Zero_and_one_item_boundaries()
    {
        using var dir = new TempDir();
        var r0 = Runs.Run($$"""{ "input": [{ "type": "math_generate", "count": 0 }], "output": { "type": "jsonl", "path": {{Runs.J(dir["z"])}} } }""");
        Assert.Equal(0, r0.Stats.DocumentsOut);
        var r1 = Runs.Run($$"""{ "input": [{ "type": "math_generate", "count": 1, "items_per_partition": 1 }], "output": { "type": "jsonl", "path": {{Runs.J(dir["o"])}} } }""");
        Assert.Equal(1, r1.Stats.DocumentsOut);
    }
}
