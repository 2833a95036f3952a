using DataForge.Reports;
using DataForge.Reports.Sections;
using DataForge.Tests;

namespace DataForge.Reports.Tests;

public class ReportTests
{
    static string CuratedRun(TempDir dir)
    {
        string input = Runs.WriteCorpus(dir, "in.jsonl", 300);
        string output = dir["curated"];
        Runs.Run(Runs.PipelineJson(input, output, """{ "type": "length_filter", "min_words": 20 }, { "type": "sample", "fraction": 0.8 }"""));
        return output;
    }

    [Fact]
    public void Pipeline_report_has_every_section_with_figures_and_the_run_figures()
    {
        using var dir = new TempDir();
        string output = CuratedRun(dir);
        var page = ReportBuilder.Build(output);
        Assert.Equal(["summary", "funnel", "drops", "quality", "dedup", "lengths", "distributions"], page.SectionIds);
        string html = page.Render();
        // Funnel (2 charts), drop reasons, input and output lengths: every figure is inline SVG, nothing fetched.
        Assert.True(CountOf(html, "<svg") >= 5, "expected at least five inline SVG figures");
        Assert.DoesNotContain("http://", html.Replace("http://www.w3.org", "", StringComparison.Ordinal), StringComparison.Ordinal);
        Assert.DoesNotContain("<script", html, StringComparison.Ordinal);
        Assert.Contains("length_filter.min_words", html, StringComparison.Ordinal);
        Assert.Contains("sample.", html, StringComparison.Ordinal);
        Assert.Contains("Accounting balances", html, StringComparison.Ordinal);
    }

    [Fact]
    public void Training_run_report_shows_loss_lr_and_throughput_and_rejects_a_broken_line_by_position()
    {
        using var dir = new TempDir();
        var lines = new List<string>();
        for (int s = 1; s <= 50; s++)
            lines.Add($$"""{"step":{{s}},"tokens":{{s * 4096}},"lr":{{Math.Min(1, s / 10.0) * 1e-3}},"loss":{{8 - s * 0.1}},"grad_norm":1.0,"tokens_per_s":2000,"phase":"{{(s <= 40 ? "stable" : "decay")}}"}""");
        lines.Add("""{"step":50,"tokens":204800,"val_loss":3.25}""");
        dir.Write("run/metrics.jsonl", string.Join("\n", lines) + "\n");
        dir.Write("run/samples.txt", "Once upon a <time>");
        var page = ReportBuilder.Build(dir["run"]);
        Assert.Equal(["training", "loss", "lr", "throughput", "samples"], page.SectionIds);
        string html = page.Render();
        Assert.Equal(3, CountOf(html, "<svg"));
        Assert.Contains("stable -&gt; decay", html, StringComparison.Ordinal);
        Assert.Contains("Once upon a &lt;time&gt;", html, StringComparison.Ordinal);
        Assert.Contains("3.25", html, StringComparison.Ordinal);

        dir.Write("bad/metrics.jsonl", "{\"step\":1,\"loss\":2}\n{\"loss\":2}\n");
        var ex = Assert.Throws<InvalidDataException>(() => ReportBuilder.Build(dir["bad"]));
        Assert.Contains("metrics.jsonl:2:", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Mix_report_and_a_folder_of_runs_become_one_page_with_prefixed_sections()
    {
        using var dir = new TempDir();
        CuratedRun(dir);
        dir.Write("mix/mix_report.json", """
            {"name":"m","notes":["synth capped at 400 tokens (max_epochs 4); 100 tokens redistributed"],
             "phases":[{"name":"stable","entries":[
              {"source":"web","bucket":"high","available_tokens":1000,"requested_tokens":500,"realised_tokens":600,"epochs":0.6},
              {"source":"synth","bucket":null,"available_tokens":100,"requested_tokens":500,"realised_tokens":400,"epochs":4}]}],
             "sources":[{"source":"web","bucket":"high","max_epochs":2},{"source":"synth","bucket":null,"max_epochs":4}]}
            """);
        var (rows, notes) = MixSections.Read(dir["mix/mix_report.json"]);
        Assert.Equal(2, rows.Count);
        Assert.Equal(4, rows[1].Epochs);
        Assert.Equal(4, rows[1].MaxEpochs);
        Assert.Equal(2, rows[0].MaxEpochs);
        Assert.Single(notes);
        var page = ReportBuilder.Build(dir.Path);
        Assert.Contains("curated-funnel", page.SectionIds);
        Assert.Contains("mix-mixture", page.SectionIds);
        Assert.Contains("web/high", page.Render(), StringComparison.Ordinal);
        Assert.Contains("100 tokens redistributed", page.Render(), StringComparison.Ordinal);
        string path = ReportBuilder.Write(dir.Path);
        Assert.True(new FileInfo(path).Length > 10_000);
    }

    [Fact]
    public void A_directory_without_runs_is_an_error_that_says_what_was_looked_for()
    {
        using var dir = new TempDir();
        var ex = Assert.Throws<FileNotFoundException>(() => ReportBuilder.Build(dir.Path));
        Assert.Contains("stats.json", ex.Message, StringComparison.Ordinal);
        Assert.Contains("metrics.jsonl", ex.Message, StringComparison.Ordinal);
    }

    static int CountOf(string s, string what)
    {
        int n = 0;
        for (int i = s.IndexOf(what, StringComparison.Ordinal); i >= 0; i = s.IndexOf(what, i + 1, StringComparison.Ordinal)) n++;
        return n;
    }
}
