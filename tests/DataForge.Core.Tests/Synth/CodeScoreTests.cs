using System.Text.Json;
using DataForge.Synth;
using Xunit.Abstractions;

namespace DataForge.Tests.Synth;

public class CodeScoreTests(ITestOutputHelper output)
{
    static List<(string Id, string Text, string Url, bool Label, string Kind)> Labelled() =>
        File.ReadLines(Path.Combine(AppContext.BaseDirectory, "Data", "code-labelled.jsonl"))
            .Select(l => JsonDocument.Parse(l).RootElement)
            .Select(e => (e.GetProperty("id").GetString()!, e.GetProperty("text").GetString()!, e.GetProperty("url").GetString()!, e.GetProperty("label").GetInt32() == 1, e.GetProperty("kind").GetString()!))
            .ToList();

    [Fact]
    public void Labelled_set_precision_and_recall_at_least_0_9()
    {
        var docs = Labelled();
        Assert.True(docs.Count >= 200);
        var ev = new CodeEvidence();
        int tp = 0, fp = 0, fn = 0;
        foreach (var d in docs)
        {
            var f = ev.Analyze(d.Text, d.Url);
            bool predicted = f.Score >= 0.5f;
            if (predicted && d.Label) tp++;
            else if (predicted) { fp++; output.WriteLine($"FP {d.Id} {d.Kind} {f}"); }
            else if (d.Label) { fn++; output.WriteLine($"FN {d.Id} {d.Kind} {f}"); }
        }
        double precision = (double)tp / (tp + fp), recall = (double)tp / (tp + fn);
        output.WriteLine($"precision {precision:F3} recall {recall:F3} (tp {tp}, fp {fp}, fn {fn})");
        Assert.True(precision >= 0.9, $"precision {precision:F3}");
        Assert.True(recall >= 0.9, $"recall {recall:F3}");
    }

    [Theory]
    [InlineData("    return sum(values) / len(values)", true)]
    [InlineData("if err != nil {", true)]
    [InlineData("\tf, err := os.Open(path)", true)]
    [InlineData("SELECT c.name, COUNT(o.id) AS orders", true)]
    [InlineData("for f in *.log; do", true)]
    [InlineData("find . -name '*.gz' -mtime +30 -delete", true)]
    [InlineData("});", true)]
    [InlineData("print(mean([2, 4, 9]))", true)]
    [InlineData("total = sum(float(row[\"amount\"]) for row in reader)", true)]
    [InlineData("From the station we walked to the old harbour in the rain.", false)]
    [InlineData("Solve for x: 3x + 7 = 22. Subtract 7 from both sides.", false)]
    [InlineData("    the violets blue,", false)]
    [InlineData("Use the `len` function for the number of items.", false)]
    [InlineData("1. Mix flour and water and rest for 30 minutes.", false)]
    [InlineData("do you know the way to the museum?", false)]
    public void Code_line_shapes(string line, bool code) => Assert.Equal(code, CodeEvidence.IsCodeLine(line));

    [Fact]
    public void Code_domains_match_hosts_subdomains_and_prefix_patterns()
    {
        var ev = new CodeEvidence();
        Assert.True(ev.IsCodeDomain("https://github.com/user/repo"));
        Assert.True(ev.IsCodeDomain("https://www.stackoverflow.com/questions/1"));
        Assert.True(ev.IsCodeDomain("https://docs.python.org/3/library/csv.html"));
        Assert.True(ev.IsCodeDomain("http://gist.github.com:443/x"));
        Assert.False(ev.IsCodeDomain("https://notgithub.com/"));
        Assert.False(ev.IsCodeDomain("https://example.com/docs.python.org"));
    }

    [Fact]
    public void Language_comes_from_the_fence_or_keywords()
    {
        var ev = new CodeEvidence();
        Assert.Equal("rust", ev.Analyze("Text.\n\n```rs\nfn main() {}\n```", "").Lang);
        Assert.Equal("go", ev.Analyze("Read it:\n\nfunc main() {\n\tdefer f.Close()\n\tfmt.Println(err)\n}\n", "").Lang);
        Assert.Equal("sql", ev.Analyze("SELECT name\nFROM users\nWHERE id = 3;\n", "").Lang);
        var prose = ev.Analyze("The museum opens at nine. Tickets are cheaper online, and the cafe on the top floor has a view of the river.", "https://github.com/x");
        Assert.Null(prose.Lang);
        Assert.True(prose.Score < 0.2f);
    }

    [Fact]
    public void Stage_adds_typed_columns_and_min_score_drops()
    {
        using var dir = new TempDir();
        string input = dir.Write("in.jsonl",
            JsonSerializer.Serialize(new { id = "p", text = "A quiet walk along the river before breakfast is the best start to a day." }) + "\n" +
            JsonSerializer.Serialize(new { id = "c", text = "Example:\n\n```python\ndef f(x):\n    return x * 2\n```\n" }) + "\n");
        var r = Runs.Run(Runs.PipelineJson(input, dir["a"], """{ "type": "code_score" }""", sink: "\"type\": \"arrow\""));
        var b = DataForge.IO.ShardFiles.Read(Directory.GetFiles(dir["a"], "part-*")[0]).First();
        var scores = Assert.IsType<Apache.Arrow.FloatArray>(b.Column("code_score"));
        var langs = Assert.IsType<Apache.Arrow.StringArray>(b.Column("code_lang"));
        Assert.True(scores.GetValue(0) < 0.5f && scores.GetValue(1) > 0.9f);
        Assert.True(langs.IsNull(0));
        Assert.Equal("python", langs.GetString(1));
        var r2 = Runs.Run(Runs.PipelineJson(input, dir["b"], """{ "type": "code_score", "min_score": 0.5 }"""));
        Assert.Equal(["c"], Runs.ReadDocs(dir["b"]).Select(d => d.Id).ToList());
        Assert.Equal(1, r2.Stats.Stages.Single(s => s.Name == "code_score").Dropped["code_score.below_min"]);
    }

    [Fact]
    public void Options_are_validated()
    {
        using var dir = new TempDir();
        var ex = Assert.ThrowsAny<Exception>(() => Runs.Parse(Runs.PipelineJson("x.jsonl", dir["o"], """{ "type": "code_score", "min_score": 1.5 }""")));
        Assert.Contains("min_score", ex.Message, StringComparison.Ordinal);
        string kw = dir.Write("kw.txt", "python: def self\ncobol: PERFORM\n");
        ex = Assert.ThrowsAny<Exception>(() => Runs.Parse(Runs.PipelineJson("x.jsonl", dir["o"], $$"""{ "type": "code_score", "keywords_file": {{Runs.J(kw)}} }""")));
        Assert.Contains("kw.txt:2: expected 'language: keyword keyword ...'", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Code_extract_finds_blocks_in_positives_and_few_in_negatives()
    {
        var docs = Labelled();
        int negativesWithBlocks = 0, positivesWithout = 0, positives = docs.Count(d => d.Label);
        foreach (var d in docs)
        {
            var blocks = CodeBlocks.Find(d.Text, 2, 800);
            if (d.Label && blocks.Count == 0) { positivesWithout++; output.WriteLine($"no block: {d.Id} {d.Kind}"); }
            else if (!d.Label && blocks.Count > 0) { negativesWithBlocks++; output.WriteLine($"block in negative: {d.Id} {d.Kind}"); }
        }
        Assert.True(positivesWithout * 20 <= positives, $"{positivesWithout} of {positives} positives without a block");
        Assert.True(negativesWithBlocks <= 5, $"{negativesWithBlocks} negatives with blocks");
    }

    [Fact]
    public void Code_extract_names_fence_languages_as_code_score_does()
    {
        var blocks = CodeBlocks.Find("Run this:\n\n```py\nprint(1)\nprint(2)\n```\n\nand this:\n\n```c++ linenums\nint a;\nint b;\n```", 2, 40);
        Assert.Equal(["python", "cpp"], blocks.Select(b => b.Lang));
    }

    [Fact]
    public void Code_extract_keeps_explanation_and_dedents()
    {
        string text = "Intro paragraph far away.\n\nTo sum a list, loop over it:\n\n    total = 0\n    for x in xs:\n        total += x\n\nThe loop adds each item.\n\nUnrelated ending.";
        var b = Assert.Single(CodeBlocks.Find(text, 2, 40));
        Assert.Equal("total = 0\nfor x in xs:\n    total += x", b.Code);
        Assert.Equal("To sum a list, loop over it:", b.Before);
        Assert.Equal("The loop adds each item.", b.After);

        using var dir = new TempDir();
        string input = dir.Write("in.jsonl", JsonSerializer.Serialize(new { id = "d", text }) + "\n" + JsonSerializer.Serialize(new { id = "n", text = "No code at all here." }) + "\n");
        var r = Runs.Run(Runs.PipelineJson(input, dir["o"], """{ "type": "code_extract" }"""));
        var outDocs = SynthTestData.ReadOutput(dir["o"]);
        var doc = Assert.Single(outDocs);
        Assert.Equal("d/code-0", doc.GetProperty("id").GetString());
        Assert.Contains("\ntotal = 0\nfor x in xs:\n    total += x\n```\n\nThe loop", doc.GetProperty("text").GetString()!, StringComparison.Ordinal);
        var m = SynthTestData.Meta(doc);
        Assert.Equal("code_extract", m.GetProperty("task").GetString());
        Assert.Equal("d", m.GetProperty("source_id").GetString());
        Assert.Equal(1, r.Stats.Stages.Single(s => s.Name == "code_extract").Dropped["code_extract.no_code"]);
    }
}
