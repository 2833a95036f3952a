using DataForge.Cli;
using DataForge.Tests;

namespace DataForge.Cli.Tests;

public class WorkflowTests
{
    [Fact]
    public void A_workflow_runs_its_steps_in_order_and_prints_its_outputs()
    {
        using var dir = new TempDir();
        string input = Runs.WriteCorpus(dir, "in.jsonl", 50);
        string pipeline = dir.Write("p.json", Runs.PipelineJson(input, dir["out"], """{ "type": "length_filter", "min_words": 5 }"""));
        string wf = dir.Write("wf.json", $$"""
            { "name": "two", "steps": [
                { "name": "curate", "args": ["run", {{Runs.J(pipeline)}}] },
                { "name": "report", "args": ["report", {{Runs.J(dir["out"])}}] } ],
              "outputs": { "report": {{Runs.J(dir["out/report.html"])}}, "nothing": {{Runs.J(dir["absent"])}} } }
            """);
        Assert.Equal(ConfigKind.Workflow, ValidateCommand.Detect(wf));
        var (code, stdout, err) = CliTests.Cli("run", wf);
        Assert.True(code == 0, err);
        Assert.True(stdout.IndexOf("step 1/2: curate", StringComparison.Ordinal) < stdout.IndexOf("step 2/2: report", StringComparison.Ordinal));
        Assert.True(File.Exists(dir["out/report.html"]));
        Assert.Contains("(missing)", stdout, StringComparison.Ordinal);
    }

    [Fact]
    public void A_failing_step_stops_the_workflow_with_its_exit_code_and_names_the_step()
    {
        using var dir = new TempDir();
        string wf = dir.Write("wf.json", $$"""
            { "steps": [
                { "name": "broken", "args": ["run", {{Runs.J(dir["missing.json"])}}] },
                { "name": "never", "args": ["report", {{Runs.J(dir.Path)}}] } ] }
            """);
        var (code, stdout, err) = CliTests.Cli("run", wf);
        Assert.Equal(ExitCodes.Usage, code);
        Assert.Contains("step 1 'broken' failed with exit code 2", err, StringComparison.Ordinal);
        Assert.DoesNotContain("never", stdout, StringComparison.Ordinal);
    }

    [Fact]
    public void Workflow_errors_name_line_column_and_json_path()
    {
        using var dir = new TempDir();
        string wf = dir.Write("wf.json", "{ \"steps\": [\n  {\"args\": []},\n  {\"nme\": \"x\", \"args\": [\"stages\"]}\n], \"extra\": 1 }");
        var (code, _, err) = CliTests.Cli("validate", wf);
        Assert.Equal(ExitCodes.Usage, code);
        Assert.Contains("wf.json:2:12: $.steps[0].args: expected a non-empty array of strings", err, StringComparison.Ordinal);
        Assert.Contains("wf.json:3:11: $.steps[1].nme: unknown key 'nme'", err, StringComparison.Ordinal);
        Assert.Contains("$.extra: unknown key 'extra'", err, StringComparison.Ordinal);
        var (code2, _, err2) = CliTests.Cli("run", wf, "--limit", "3");
        Assert.Equal(ExitCodes.Usage, code2);
        Assert.Contains("is a workflow", err2, StringComparison.Ordinal);
        // Pipeline-only flags are refused, not silently dropped.
        foreach (var flags in new[] { new[] { "--overwrite" }, new[] { "--workers", "2" } })
        {
            var (code3, _, err3) = CliTests.Cli(["run", wf, .. flags]);
            Assert.Equal(ExitCodes.Usage, code3);
            Assert.Contains("is a workflow", err3, StringComparison.Ordinal);
        }
    }
}
