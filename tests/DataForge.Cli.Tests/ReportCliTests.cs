namespace DataForge.Tests;

/// <summary><c>dataforge report</c> on evaluations: what it prints, and the exit code of a malformed eval.json.</summary>
public class ReportCliTests
{
    const string Eval = """{"model_name":"NAME","tasks":[{"name":"heldout-ppl","kind":"perplexity","metric":"bits_per_byte","value":VALUE}]}""";

    [Fact]
    public void Report_on_a_folder_of_evaluations_lists_them_and_compares_the_models()
    {
        using var dir = new TempDir();
        dir.Write("a/eval/eval.json", Eval.Replace("NAME", "small", StringComparison.Ordinal).Replace("VALUE", "1.4", StringComparison.Ordinal));
        dir.Write("b/eval.json", Eval.Replace("NAME", "large", StringComparison.Ordinal).Replace("VALUE", "1.1", StringComparison.Ordinal));
        var (code, stdout, err) = CliTests.Cli("report", dir.Path);
        Assert.True(code == 0, err);
        Assert.Contains("evaluation a", stdout, StringComparison.Ordinal);
        Assert.Contains("evaluation b", stdout, StringComparison.Ordinal);
        string html = File.ReadAllText(dir["report.html"]);
        Assert.Contains("Models x tasks", html, StringComparison.Ordinal);
        Assert.Contains("<td>large</td><td class=\"n\"><b>1.1</b></td>", html, StringComparison.Ordinal);
    }

    [Fact]
    public void Report_on_a_malformed_eval_json_fails_with_the_file_and_position()
    {
        using var dir = new TempDir();
        dir.Write("m/eval.json", """{"tasks":[{"name":"t","metric":"acc"}]}""");
        var (code, _, err) = CliTests.Cli("report", dir["m"]);
        Assert.Equal(1, code);
        Assert.Contains("eval.json:1:11: $.tasks[0].value: missing; expected a number", err, StringComparison.Ordinal);
    }
}
