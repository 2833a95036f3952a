using System.Text;
using System.Text.Json;
using DataForge.Filters;
using DataForge.Text;

namespace DataForge.Tests.Filters;

/// <summary>
/// A hand-written set of English documents (tests/DataForge.Core.Tests/Data/english-heuristics.jsonl)
/// with the expected outcome of each filter at its defaults: null to keep, else the drop reason.
/// </summary>
public class EnglishSetTests
{
    static IEnumerable<JsonElement> Documents() =>
        File.ReadLines(Path.Combine(AppContext.BaseDirectory, "Data", "english-heuristics.jsonl")).Select(l => JsonDocument.Parse(l).RootElement.Clone());

    static string? Outcome(string filter, string text) => filter switch
    {
        "gopher_quality" => GopherQualityRules.Check(text, new GopherQualityOptions(), new StopWordTable(new GopherQualityOptions().StopWords), [], []),
        "gopher_repetition" => GopherRepetitionRules.Check(text, new GopherRepetitionOptions(), new RepetitionScratch()),
        "c4_quality" => C4(text),
        "fineweb_quality" => FineWebQualityRules.Check(text, new FineWebQualityOptions(), [], [], [], new UInt64Counter()),
        _ => throw new ArgumentException(filter),
    };

    static string? C4(string text)
    {
        var counts = new C4QualityRules.LineCounts();
        return C4QualityRules.Apply(text, new C4QualityOptions(), new StringBuilder(), [], [], ref counts);
    }

    [Fact]
    public void At_least_forty_documents_each_filter_as_expected()
    {
        var docs = Documents().ToList();
        Assert.True(docs.Count >= 40, $"{docs.Count} documents");
        var mismatches = new List<string>();
        var drops = new Dictionary<string, int>();
        foreach (var d in docs)
        {
            string text = d.GetProperty("text").GetString()!;
            foreach (var e in d.GetProperty("expect").EnumerateObject())
            {
                string? expected = e.Value.ValueKind == JsonValueKind.Null ? null : e.Value.GetString();
                string? actual = Outcome(e.Name, text);
                if (actual is not null) drops[e.Name] = drops.GetValueOrDefault(e.Name) + 1;
                if (expected != actual) mismatches.Add($"{d.GetProperty("id").GetString()} {e.Name}: expected {expected ?? "keep"}, got {actual ?? "keep"}");
            }
        }
        Assert.True(mismatches.Count == 0, string.Join("\n", mismatches));
        // The set exercises every filter in both directions.
        foreach (var f in new[] { "gopher_quality", "gopher_repetition", "c4_quality", "fineweb_quality" })
            Assert.InRange(drops.GetValueOrDefault(f), 3, docs.Count - 10);
    }

    [Fact]
    public void C4_rewrite_removes_javascript_policy_lines_and_citations()
    {
        var docs = Documents().ToDictionary(d => d.GetProperty("id").GetString()!, d => d.GetProperty("text").GetString()!);
        var sb = new StringBuilder();
        var counts = new C4QualityRules.LineCounts();
        Assert.Null(C4QualityRules.Apply(docs["javascript-and-cookies"], new C4QualityOptions(), sb, [], [], ref counts));
        Assert.DoesNotContain("JavaScript", sb.ToString());
        Assert.DoesNotContain("cookie", sb.ToString());
        Assert.Equal(2, counts.Javascript + counts.Policy);
        Assert.Null(C4QualityRules.Apply(docs["citations"], new C4QualityOptions(), sb, [], [], ref counts));
        Assert.DoesNotContain("[1]", sb.ToString());
    }
}
