using System.Text.RegularExpressions;

namespace DataForge.Tests.Synth;

/// <summary>pipelines/synth.json and pipelines/code.json run end to end (paths made absolute, output to a temp dir).</summary>
public class ShippedPipelineTests
{
    static string Load(string name, string output)
    {
        string text = File.ReadAllText(Path.Combine(SynthTestData.Root, "pipelines", name));
        text = text.Replace("\"samples/", "\"" + SynthTestData.Root.Replace("\\", "/", StringComparison.Ordinal) + "/samples/", StringComparison.Ordinal);
        return Regex.Replace(text, "\"path\": \"out/[^\"]+\"", "\"path\": " + Runs.J(output));
    }

    [Fact]
    public void Synth_pipeline_runs_and_every_document_is_chat_formatted()
    {
        using var dir = new TempDir();
        var json = Load("synth.json", dir["o"]).Replace("\"count\": 20000", "\"count\": 2000", StringComparison.Ordinal).Replace("\"count\": 10000", "\"count\": 1000", StringComparison.Ordinal);
        var r = Runs.Run(json, workers: 2);
        var docs = SynthTestData.ReadOutput(dir["o"]);
        Assert.Equal(r.Stats.DocumentsOut, docs.Count);
        Assert.All(docs, d => Assert.StartsWith("<|begin_of_text|><|start_header_id|>user<|end_header_id|>\n\n", d.GetProperty("text").GetString()!, StringComparison.Ordinal));
        var tasks = docs.GroupBy(d => SynthTestData.Meta(d).TryGetProperty("task", out var t) ? t.GetString()! : "alpaca").ToDictionary(g => g.Key, g => g.Count());
        Assert.Equal(2000, tasks["math"]);
        Assert.Equal(1000, tasks["list_dict"]);
        Assert.True(tasks["idiom_cloze"] >= 150, $"{tasks["idiom_cloze"]} cloze questions");
        Assert.Equal(200, tasks["alpaca"]);
        Assert.True(tasks["dialogue"] >= 3000);
    }

    [Fact]
    public void Code_pipeline_keeps_code_pages_and_extracts_blocks()
    {
        using var dir = new TempDir();
        var r = Runs.Run(Load("code.json", dir["o"]));
        var docs = SynthTestData.ReadOutput(dir["o"]);
        Assert.InRange(r.Stats.Stages.Single(s => s.Name == "code_score").Out, 55, 70);
        Assert.True(docs.Count >= 55);
        Assert.All(docs, d => Assert.Contains("```", d.GetProperty("text").GetString()!, StringComparison.Ordinal));
    }
}
