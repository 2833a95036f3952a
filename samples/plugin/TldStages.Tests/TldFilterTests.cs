using System.Text;
using DataForge.Configuration;
using DataForge.Execution;
using DataForge.Pipelines;
using DataForge.Stages;

namespace TldStages.Tests;

public class TldFilterTests
{
    [Theory]
    [InlineData("https://www.example.com/a", "com")]
    [InlineData("http://Buy-Now.XYZ:8080/?q=1", "xyz")]
    [InlineData("https://shop.example.co.uk/", "uk")]
    [InlineData("https://localhost/", null)]
    [InlineData("https://127.0.0.1/", null)]
    [InlineData("not a url", null)]
    [InlineData("", null)]
    public void Top_level_domain_of_a_url(string url, string? expected) => Assert.Equal(expected, TldRules.TopLevelDomain(url));

    [Fact]
    public void Verdicts_name_the_rule()
    {
        var block = new HashSet<string> { "xyz" };
        Assert.Equal("tld_filter.blocked", TldRules.Verdict("https://a.xyz/", block, null, false));
        Assert.Null(TldRules.Verdict("https://a.com/", block, null, false));
        Assert.Null(TldRules.Verdict("", block, null, false));
        Assert.Equal("tld_filter.no_url", TldRules.Verdict("", block, null, true));
        Assert.Equal("tld_filter.not_allowed", TldRules.Verdict("https://a.net/", new HashSet<string>(), new HashSet<string> { "org" }, false));
    }

    /// <summary>The stage in a pipeline: run by DataForge's executor, with its drops counted by reason.</summary>
    [Fact]
    public void Stage_drops_blocked_domains_in_a_pipeline()
    {
        string dir = Path.Combine(Path.GetTempPath(), "tld-stages-tests", Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(dir);
        try
        {
            string input = Path.Combine(dir, "in.jsonl");
            File.WriteAllText(input, """
                {"id": "a", "text": "kept", "url": "https://example.org/1"}
                {"id": "b", "text": "spam", "url": "https://win-big.xyz/"}
                {"id": "c", "text": "spam", "url": "https://cheap.TOP/x"}
                {"id": "d", "text": "no url"}
                """);
            string json = $$"""
                {
                  "input": [{ "type": "jsonl", "paths": [{{Json(input)}}] }],
                  "stages": [{ "type": "tld_filter", "block": ["xyz", "top"] }],
                  "output": { "type": "jsonl", "path": {{Json(Path.Combine(dir, "out"))}} }
                }
                """;
            var registry = StageRegistry.Core.WithPlugin(typeof(TldFilterStage).Assembly);
            var pipeline = Pipeline.Parse(Encoding.UTF8.GetBytes(json), "tld.json", registry);
            var result = PipelineRunner.Run(pipeline, new RunOptions { Workers = 1 });

            var stage = result.Stats.Stages.Single(s => s.Type == "tld_filter");
            Assert.Equal(2, stage.Dropped["tld_filter.blocked"]);
            Assert.Equal(2, result.Stats.DocumentsOut);
            Assert.True(result.Stats.Balanced);
        }
        finally { Directory.Delete(dir, true); }
    }

    [Fact]
    public void Bad_options_are_located()
    {
        string json = """
            {
              "input": [{ "type": "jsonl", "paths": ["x.jsonl"] }],
              "stages": [{ "type": "tld_filter", "block": ["xyz"], "allow": ["com"] }],
              "output": { "type": "jsonl", "path": "out" }
            }
            """;
        var registry = StageRegistry.Core.WithPlugin(typeof(TldFilterStage).Assembly);
        var ex = Assert.Throws<ConfigException>(() => Pipeline.Parse(Encoding.UTF8.GetBytes(json), "tld.json", registry));
        Assert.Contains("tld.json:3:", ex.Message);
        Assert.Contains("$.stages[0].allow: give either block or allow, not both", ex.Message);
    }

    static string Json(string s) => System.Text.Json.JsonSerializer.Serialize(s);
}
