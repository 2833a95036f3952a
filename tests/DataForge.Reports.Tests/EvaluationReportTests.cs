using DataForge.Reports;
using DataForge.Reports.Sections;
using DataForge.Tests;

namespace DataForge.Reports.Tests;

/// <summary>eval.json (docs/formats.md#evaluation-results-evaljson) in the report: per-model sections, the comparison, task curves.</summary>
public class EvaluationReportTests
{
    /// <summary>The example of docs/formats.md: every field given, edge included.</summary>
    internal const string FullEval = """
        { "model": "out/run/final", "model_name": "run", "tasks_file": "tasks.json", "seconds": 12.3,
          "tasks": [ { "name": "hellaswag-mini", "kind": "multiple_choice", "metric": "acc", "value": 0.31, "stderr": 0.02, "n": 500, "seconds": 4.1 },
                     { "name": "hellaswag-mini", "kind": "multiple_choice", "metric": "acc_norm", "value": 0.33, "stderr": 0.02, "n": 500, "seconds": 4.1 },
                     { "name": "heldout-ppl", "kind": "perplexity", "metric": "bits_per_byte", "value": 1.21, "stderr": null, "n": 204800, "seconds": 2.0 },
                     { "name": "gsm8k-mini", "kind": "generate", "metric": "exact_match", "value": 0.05, "stderr": 0.01, "n": 100, "seconds": 30.2 } ],
          "edge": { "parameters": 12345678, "bytes": 49382912, "peak_rss_mb": 612.5, "prefill_tokens_per_s": 5400.2, "decode_tokens_per_s": 210.7 } }
        """;

    /// <summary>A bigger model: better accuracy, worse bits per byte; no edge measurements, no stderr.</summary>
    internal const string BigEval = """
        { "model_name": "big",
          "tasks": [ { "name": "hellaswag-mini", "kind": "multiple_choice", "metric": "acc", "value": 0.42, "n": 500 },
                     { "name": "hellaswag-mini", "kind": "multiple_choice", "metric": "acc_norm", "value": 0.44, "stderr": null },
                     { "name": "heldout-ppl", "kind": "perplexity", "metric": "bits_per_byte", "value": 1.35 },
                     { "name": "gsm8k-mini", "kind": "generate", "metric": "exact_match", "value": 0.05 } ] }
        """;

    /// <summary>A training run whose evaluation lines carry "tasks", with its evaluation in RUN/eval/eval.json.</summary>
    internal static void TrainingRunWithEval(TempDir dir, string run)
    {
        var lines = new List<string>();
        for (int s = 1; s <= 20; s++)
        {
            lines.Add($$"""{"step":{{s * 10}},"tokens":{{s * 40960}},"lr":0.001,"loss":{{6 - s * 0.1}},"grad_norm":1.0,"tokens_per_s":2000,"phase":"stable"}""");
            if (s % 5 == 0)
                lines.Add($$$"""{"step":{{{s * 10}}},"tokens":{{{s * 40960}}},"phase":"stable","val_loss":{{{5 - s * 0.1}}},"tasks":{"hellaswag-mini/acc":{{{0.25 + s * 0.003}}},"heldout-ppl/bits_per_byte":{{{2 - s * 0.04}}}}}""");
        }
        dir.Write($"{run}/metrics.jsonl", string.Join("\n", lines) + "\n");
        dir.Write($"{run}/eval/eval.json", FullEval);
    }

    [Fact]
    public void A_training_run_with_its_evaluation_shows_task_curves_and_an_evaluation_section_without_a_comparison()
    {
        using var dir = new TempDir();
        TrainingRunWithEval(dir, "run");
        var page = ReportBuilder.Build(dir["run"]);
        Assert.Equal(["training", "loss", "tasks", "lr", "throughput", "evaluation"], page.SectionIds);
        string html = page.Render();
        // Loss, two task curves, learning rate, throughput: one model has nothing to compare with, so no comparison chart.
        Assert.Equal(5, CountOf(html, "<svg"));
        string tasks = SectionOf(html, "tasks");
        Assert.Equal(2, CountOf(tasks, "<svg"));
        Assert.Contains("hellaswag-mini/acc at each evaluation of the run (4 points)", tasks, StringComparison.Ordinal);
        Assert.Contains("heldout-ppl/bits_per_byte", tasks, StringComparison.Ordinal);

        string eval = SectionOf(html, "evaluation");
        Assert.Contains("<h2>Evaluation run</h2>", eval, StringComparison.Ordinal);
        Assert.Contains("Model out/run/final; tasks from tasks.json; 12.3 s in all.", eval, StringComparison.Ordinal);
        Assert.Contains("<td>hellaswag-mini</td><td>multiple_choice</td><td>acc</td><td class=\"n\">0.31 &#177; 0.02</td><td class=\"n\">500</td><td class=\"n\">4.1</td>",
            eval, StringComparison.Ordinal);
        // stderr null: the value alone.
        Assert.Contains("<td>bits_per_byte</td><td class=\"n\">1.21</td><td class=\"n\">204,800</td>", eval, StringComparison.Ordinal);
        // Edge: parameters, MB on disk, peak RSS, prefill and decode tokens/s.
        Assert.Contains("<td class=\"n\">12,345,678</td><td class=\"n\">49.4</td><td class=\"n\">612.5</td><td class=\"n\">5,400</td><td class=\"n\">210.7</td>",
            eval, StringComparison.Ordinal);

        // The evaluation directory on its own is a report too.
        Assert.Equal(["evaluation"], ReportBuilder.Build(dir["run/eval"]).SectionIds);
    }

    [Fact]
    public void A_folder_of_evaluated_models_gets_a_models_by_tasks_table_with_the_best_value_bold_and_a_grouped_chart()
    {
        using var dir = new TempDir();
        TrainingRunWithEval(dir, "run");
        dir.Write("big/eval.json", BigEval);
        // No model_name: the model is named after its directory; it lacks two of the columns.
        dir.Write("tiny/eval/eval.json", """{"tasks":[{"name":"hellaswag-mini","kind":"multiple_choice","metric":"acc","value":0.26},{"name":"gsm8k-mini","kind":"generate","metric":"exact_match","value":0.01}]}""");

        var runs = ReportBuilder.Discover(dir.Path);
        Assert.Equal(3, runs.Count(r => r.Kind == RunKind.Evaluation));
        var page = ReportBuilder.Build(dir.Path);
        Assert.Equal(["run-training", "run-loss", "run-tasks", "run-lr", "run-throughput", "eval-comparison"],
            page.SectionIds.Take(6));
        Assert.Equal(["big-evaluation", "run-evaluation", "tiny-evaluation"], page.SectionIds.Skip(6).Order(StringComparer.Ordinal));

        string cmp = SectionOf(page.Render(), "eval-comparison");
        Assert.Contains("<h2>Models x tasks</h2>", cmp, StringComparison.Ordinal);
        Assert.Contains("<th>model</th><th>hellaswag-mini/acc</th><th>hellaswag-mini/acc_norm</th><th>heldout-ppl/bits_per_byte</th><th>gsm8k-mini/exact_match</th>",
            cmp, StringComparison.Ordinal);
        // Accuracy: higher is better, so big's 0.42 is bold. Bits per byte: lower is better, so run's 1.21 is bold, not big's 1.35.
        Assert.Contains("<tr><td>big</td><td class=\"n\"><b>0.42</b></td><td class=\"n\"><b>0.44</b></td><td class=\"n\">1.35</td><td class=\"n\"><b>0.05</b></td></tr>",
            cmp, StringComparison.Ordinal);
        Assert.Contains("<tr><td>run</td><td class=\"n\">0.31</td><td class=\"n\">0.33</td><td class=\"n\"><b>1.21</b></td><td class=\"n\"><b>0.05</b></td></tr>",
            cmp, StringComparison.Ordinal);
        // Missing scores are empty cells, and never bold.
        Assert.Contains("<tr><td>tiny</td><td class=\"n\">0.26</td><td class=\"n\"></td><td class=\"n\"></td><td class=\"n\">0.01</td></tr>",
            cmp, StringComparison.Ordinal);
        Assert.Equal(1, CountOf(cmp, "<svg"));
        Assert.Contains("Scores per task/metric", cmp, StringComparison.Ordinal);

        // The edge table shows where measured, and says so where not.
        Assert.Contains("No edge measurements", SectionOf(page.Render(), "big-evaluation"), StringComparison.Ordinal);
        Assert.Contains("612.5", SectionOf(page.Render(), "run-evaluation"), StringComparison.Ordinal);
    }

    [Fact]
    public void Two_models_that_share_a_model_name_stay_apart_in_the_comparison()
    {
        using var dir = new TempDir();
        dir.Write("a/eval.json", BigEval);
        dir.Write("b/eval.json", BigEval.Replace("0.42", "0.40", StringComparison.Ordinal));
        string cmp = SectionOf(ReportBuilder.Build(dir.Path).Render(), "eval-comparison");
        Assert.Contains("<tr><td>big (a)</td><td class=\"n\"><b>0.42</b></td>", cmp, StringComparison.Ordinal);
        Assert.Contains("<tr><td>big (b)</td><td class=\"n\">0.4</td>", cmp, StringComparison.Ordinal);
        // Ties are all bold.
        Assert.Equal(2, CountOf(cmp, "<b>1.35</b>"));
    }

    [Theory]
    [InlineData("multiple_choice", "acc", false)]
    [InlineData("generate", "exact_match", false)]
    [InlineData("perplexity", "bits_per_byte", true)]
    [InlineData("perplexity", "word_count", true)]
    [InlineData("custom", "perplexity", true)]
    [InlineData("custom", "val_loss", true)]
    [InlineData("custom", "BPB", true)]
    public void Lower_is_better_for_perplexity_bits_per_byte_and_loss_metrics(string kind, string metric, bool lower) =>
        Assert.Equal(lower, EvaluationSections.LowerIsBetter(kind, metric));

    [Fact]
    public void Reader_tolerates_missing_optional_fields()
    {
        using var dir = new TempDir();
        var full = EvalResult.Read(dir.Write("full.json", FullEval));
        Assert.Equal("run", full.ModelName);
        Assert.Equal(4, full.Scores.Count);
        Assert.Equal("heldout-ppl/bits_per_byte", full.Scores[2].Key);
        Assert.True(double.IsNaN(full.Scores[2].Stderr));
        Assert.Equal(204800, full.Scores[2].N);
        Assert.Equal(12345678, full.Edge!.Parameters);
        Assert.Equal(210.7, full.Edge.DecodeTokensPerSecond);

        var bare = EvalResult.Read(dir.Write("bare.json", """{"tasks":[{"name":"t","metric":"acc","value":0.5}],"edge":null}"""));
        Assert.Null(bare.Edge);
        Assert.Null(bare.ModelName);
        Assert.True(double.IsNaN(bare.Seconds));
        Assert.Equal("", bare.Scores[0].Kind);
        Assert.Null(bare.Scores[0].N);

        var partialEdge = EvalResult.Read(dir.Write("edge.json", """{"tasks":[],"edge":{"parameters":1000}}"""));
        Assert.Equal(1000, partialEdge.Edge!.Parameters);
        Assert.True(double.IsNaN(partialEdge.Edge.PeakRssMb));
    }

    [Theory]
    [InlineData("{\"tasks\":[\n {\"name\":\"t\",\"metric\":\"acc\",\"value\":0.5},\n {\"name\":\"t\",\"metric\":\"acc_norm\",\"value\":\"high\"}]}",
        "eval.json:3:42: $.tasks[1].value: expected a number or null, found a string")]
    [InlineData("{\"tasks\":[{\"name\":\"t\",\"value\":0.5}]}", "eval.json:1:11: $.tasks[0].metric: missing; expected a string")]
    [InlineData("{\"model\":\"m\"}", "eval.json:1:1: $.tasks: missing; expected an array of task results")]
    [InlineData("{\"tasks\":{}}", "eval.json:1:10: $.tasks: expected an array of task results, found an object")]
    [InlineData("{\"tasks\":[],\"edge\":[1]}", "eval.json:1:20: $.edge: expected an object of edge measurements, found an array")]
    [InlineData("{\"tasks\":[{\"name\":\"t\",\"metric\":\"acc\",\"value\":0.5,\"n\":2.5}]}", "eval.json:1:54: $.tasks[0].n: expected a whole number, found 2.5")]
    [InlineData("{\"tasks\":[\n", "eval.json:2:1: invalid JSON")]
    public void A_malformed_eval_json_is_an_error_naming_file_position_and_what_was_expected(string json, string expected)
    {
        using var dir = new TempDir();
        dir.Write("m/eval.json", json);
        var ex = Assert.Throws<InvalidDataException>(() => ReportBuilder.Build(dir["m"]));
        Assert.Contains(expected, ex.Message, StringComparison.Ordinal);
        Assert.StartsWith(dir["m/eval.json"], ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void A_tasks_entry_in_metrics_jsonl_that_is_not_an_object_is_an_error_naming_the_line()
    {
        using var dir = new TempDir();
        dir.Write("run/metrics.jsonl", "{\"step\":1,\"loss\":2}\n{\"step\":1,\"val_loss\":2,\"tasks\":[0.3]}\n");
        var ex = Assert.Throws<InvalidDataException>(() => ReportBuilder.Build(dir["run"]));
        Assert.Contains("metrics.jsonl:2: \"tasks\": expected an object", ex.Message, StringComparison.Ordinal);
    }

    /// <summary>The HTML of one section (from its opening tag to its end).</summary>
    internal static string SectionOf(string html, string id)
    {
        int start = html.IndexOf($"<section id=\"{id}\">", StringComparison.Ordinal);
        Assert.True(start >= 0, $"no section {id}");
        return html[start..(html.IndexOf("</section>", start, StringComparison.Ordinal) + "</section>".Length)];
    }

    static int CountOf(string s, string what)
    {
        int n = 0;
        for (int i = s.IndexOf(what, StringComparison.Ordinal); i >= 0; i = s.IndexOf(what, i + 1, StringComparison.Ordinal)) n++;
        return n;
    }
}
