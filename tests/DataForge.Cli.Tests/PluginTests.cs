using System.Diagnostics;
using System.Text.Json;

namespace DataForge.Tests;

/// <summary>Builds the sample stage library (samples/plugin/TldStages) once, as a user would, for the plugin tests.</summary>
public sealed class SamplePluginBuild
{
    /// <summary>The configuration these tests were built in (Release or Debug), so the plugin matches the host.</summary>
    static string Configuration => AppContext.BaseDirectory.Contains($"{Path.DirectorySeparatorChar}Debug{Path.DirectorySeparatorChar}", StringComparison.Ordinal) ? "Debug" : "Release";

    public string Dll { get; }

    public SamplePluginBuild()
    {
        string project = Path.Combine(CliTests.RepoRoot, "samples", "plugin", "TldStages", "TldStages.csproj");
        var psi = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var a in new[] { "build", project, "-c", Configuration, "-nologo", "-v", "q" }) psi.ArgumentList.Add(a);
        using var p = Process.Start(psi)!;
        var o = p.StandardOutput.ReadToEndAsync();
        var e = p.StandardError.ReadToEndAsync();
        if (!p.WaitForExit(TimeSpan.FromMinutes(3))) { p.Kill(true); throw new TimeoutException("building the sample plugin took over 3 minutes"); }
        if (p.ExitCode != 0) throw new InvalidOperationException($"building {project} failed:\n{o.Result}\n{e.Result}");
        Dll = Path.Combine(CliTests.RepoRoot, "samples", "plugin", "TldStages", "bin", Configuration, "net10.0", "TldStages.dll");
        if (!File.Exists(Dll)) throw new FileNotFoundException("the sample plugin build wrote no assembly", Dll);
    }
}

public class PluginTests(SamplePluginBuild plugin) : IClassFixture<SamplePluginBuild>
{
    static (int Code, string Out, string Err) Cli(params string[] args) => CliTests.Cli(args);

    [Fact]
    public void Plugin_stage_filters_counts_drops_by_reason_and_is_listed()
    {
        using var dir = new TempDir();
        var lines = new List<string>();
        string[] hosts = ["https://example.org/", "https://win-big.xyz/", "https://cheap.top/", "https://example.com/", ""];
        for (int i = 0; i < 50; i++)
            lines.Add(JsonSerializer.Serialize(new { id = $"d{i}", text = $"document {i}", url = hosts[i % hosts.Length] + (hosts[i % hosts.Length].Length > 0 ? i.ToString() : "") }));
        string input = dir.Write("in.jsonl", string.Join('\n', lines) + "\n");
        // The plugin path is relative to the pipeline file, not to the working directory.
        string relative = Path.GetRelativePath(dir["conf"], plugin.Dll);
        string p = dir.Write("conf/p.json", $$"""
            {
              "name": "with-plugin",
              "plugins": [{{Runs.J(relative)}}],
              "input": [{ "type": "jsonl", "paths": [{{Runs.J(input)}}] }],
              "stages": [{ "type": "tld_filter", "name": "tlds", "block": ["xyz", "top"], "missing_url": "drop" }],
              "output": { "type": "jsonl", "path": {{Runs.J(dir["out"])}} }
            }
            """);

        var (vc, vout, verr) = Cli("validate", p);
        Assert.True(vc == 0, verr);
        Assert.Contains("1 plugin(s)", vout);

        var (code, output, err) = Cli("run", p);
        Assert.True(code == 0, err);
        Assert.Contains("tlds: tld_filter.blocked 20, tld_filter.no_url 10", output);
        using var stats = JsonDocument.Parse(File.ReadAllText(Path.Combine(dir["out"], "stats.json")));
        var stage = stats.RootElement.GetProperty("stages").EnumerateArray().Single(s => s.GetProperty("name").GetString() == "tlds");
        Assert.Equal("tld_filter", stage.GetProperty("type").GetString());
        Assert.Equal(20, stage.GetProperty("dropped").GetProperty("tld_filter.blocked").GetInt64());
        Assert.Equal(10, stage.GetProperty("dropped").GetProperty("tld_filter.no_url").GetInt64());
        Assert.Equal(20, stats.RootElement.GetProperty("documents_out").GetInt64());
        var kept = Runs.ReadDocs(dir["out"]);
        Assert.Equal(20, kept.Count);
        Assert.All(kept, d => Assert.True(int.Parse(d.Id[1..]) % 5 is 0 or 3, d.Id));

        var (sc, list, _) = Cli("stages", "--plugin", plugin.Dll);
        Assert.Equal(0, sc);
        Assert.Matches(@"tld_filter\s+map\s+Drops documents whose URL.*\[TldStages\]", list);
        Assert.DoesNotContain("tld_filter", Cli("stages").Out);
        var (mc, markdown, _) = Cli("stages", "--markdown", "--plugin", plugin.Dll);
        Assert.Equal(0, mc);
        Assert.Contains("### `tld_filter`", markdown);
        Assert.Contains("| `missing_url` | one of \"keep\", \"drop\" | `\"keep\"` |", markdown);
        var (schemaCode, _, _) = Cli("schema", "--out", dir["schemas"], "--plugin", plugin.Dll);
        Assert.Equal(0, schemaCode);
        Assert.Contains("\"map.tld_filter\"", File.ReadAllText(Path.Combine(dir["schemas"], "pipeline.schema.json")));
    }

    [Fact]
    public void Plugin_options_are_validated_with_locations()
    {
        using var dir = new TempDir();
        string p = dir.Write("p.json", $$"""
            {
              "plugins": [{{Runs.J(plugin.Dll)}}],
              "input": [{ "type": "jsonl", "paths": ["x.jsonl"] }],
              "stages": [{ "type": "tld_filter", "block": ["xyz"], "missing_url": "maybe" }],
              "output": { "type": "jsonl", "path": {{Runs.J(dir["out"])}} }
            }
            """);
        var (code, _, err) = Cli("validate", p);
        Assert.Equal(2, code);
        Assert.Contains($"{p}:4:71: $.stages[0].missing_url: expected one of \"keep\", \"drop\", found \"maybe\"", err);
    }

    [Fact]
    public void Missing_or_bad_plugin_is_a_located_error_with_exit_code_2()
    {
        using var dir = new TempDir();
        string notAssembly = dir.Write("NotAnAssembly.dll", "this is text, not a .NET assembly");
        string Pipeline(string plugins) => $$"""
            {
              "plugins": [{{plugins}}],
              "input": [{ "type": "jsonl", "paths": ["x.jsonl"] }],
              "stages": [{ "type": "tld_filter", "block": ["xyz"] }],
              "output": { "type": "jsonl", "path": {{Runs.J(dir["out"])}} }
            }
            """;

        string missing = dir.Write("missing.json", Pipeline("\"lib/Missing.dll\""));
        var (code, _, err) = Cli("run", missing);
        Assert.Equal(2, code);
        Assert.Contains($"{missing}:2:15: $.plugins[0]: plugin not found: {Path.Combine(dir.Path, "lib", "Missing.dll")}", err);
        Assert.DoesNotContain("unknown stage type", err);
        Assert.False(Directory.Exists(dir["out"]));

        string bad = dir.Write("bad.json", Pipeline($"{Runs.J(plugin.Dll)}, \"NotAnAssembly.dll\""));
        (code, _, err) = Cli("validate", bad);
        Assert.Equal(2, code);
        Assert.Contains($"{bad}:2:{17 + Runs.J(plugin.Dll).Length}: $.plugins[1]: {notAssembly} is not a .NET assembly", err);

        string twice = dir.Write("twice.json", Pipeline($"{Runs.J(plugin.Dll)}, {Runs.J(plugin.Dll)}"));
        (code, _, err) = Cli("validate", twice);
        Assert.Equal(2, code);
        Assert.Contains("$.plugins[1]: plugin " + plugin.Dll + " is listed twice", err);

        string notList = dir.Write("notlist.json", Pipeline("").Replace("\"plugins\": [],", "\"plugins\": \"x.dll\",", StringComparison.Ordinal));
        (code, _, err) = Cli("validate", notList);
        Assert.Equal(2, code);
        Assert.Contains("$.plugins: expected an array of stage library paths", err);

        (code, _, err) = Cli("stages", "--plugin", dir["nope.dll"]);
        Assert.Equal(2, code);
        Assert.Contains("plugin not found", err);
    }

    /// <summary>
    /// A plugin built with DataForge.Core copied next to it (no <c>Private="false"</c> / <c>ExcludeAssets="runtime"</c>)
    /// still gets the host's DataForge.Core, so its stages are the executor's <c>Stage</c> type, in a load context of their own.
    /// </summary>
    [Fact]
    public void A_plugin_shipped_with_its_own_DataForge_Core_gets_the_hosts()
    {
        using var dir = new TempDir();
        foreach (var f in Directory.GetFiles(Path.GetDirectoryName(plugin.Dll)!))
            File.Copy(f, Path.Combine(dir.Path, Path.GetFileName(f)));
        // As a package reference without ExcludeAssets="runtime" leaves it: DataForge.Core and Arrow beside the
        // plugin and listed as its runtime assets in its .deps.json.
        var shared = new[] { typeof(DataForge.Stages.Stage).Assembly, typeof(Apache.Arrow.StringArray).Assembly };
        foreach (var a in shared) File.Copy(a.Location, Path.Combine(dir.Path, Path.GetFileName(a.Location)), overwrite: true);
        var deps = System.Text.Json.Nodes.JsonNode.Parse(File.ReadAllText(dir["TldStages.deps.json"]))!;
        var target = deps["targets"]![".NETCoreApp,Version=v10.0"]!;
        target["DataForge.Core/0.1.0"] = new System.Text.Json.Nodes.JsonObject
        {
            ["runtime"] = new System.Text.Json.Nodes.JsonObject { ["lib/net10.0/DataForge.Core.dll"] = new System.Text.Json.Nodes.JsonObject() },
        };
        deps["libraries"]!["DataForge.Core/0.1.0"] = new System.Text.Json.Nodes.JsonObject
        {
            ["type"] = "package", ["serviceable"] = false, ["sha512"] = "", ["path"] = "dataforge.core/0.1.0",
        };
        File.WriteAllText(dir["TldStages.deps.json"], deps.ToJsonString());

        var assembly = DataForge.Stages.StagePlugins.Load(dir["TldStages.dll"]);
        var context = System.Runtime.Loader.AssemblyLoadContext.GetLoadContext(assembly)!;
        Assert.NotSame(System.Runtime.Loader.AssemblyLoadContext.Default, context);
        Assert.Equal("dataforge-plugin:TldStages.dll", context.Name);
        foreach (var a in shared)
            Assert.Same(a, context.LoadFromAssemblyName(a.GetName()));
        var stage = assembly.GetType("TldStages.TldFilterStage", throwOnError: true)!;
        Assert.True(stage.IsSubclassOf(typeof(DataForge.Stages.RowRuleStage)));
        Assert.DoesNotContain(context.Assemblies, a => a.GetName().Name is "DataForge.Core" or "Apache.Arrow");
        Assert.Same(assembly, DataForge.Stages.StagePlugins.Load(dir["TldStages.dll"])); // loaded once per path
        Assert.Equal(DataForge.Stages.StageShape.Map, DataForge.Cli.DataForgeCli.Registry.WithPlugin(assembly).Find("tld_filter")!.Shape);
    }

    [Fact]
    public void Shipped_sample_pipeline_validates_with_its_relative_plugin_path()
    {
        // samples/plugin/pipeline.json names the Release build; the fixture built that configuration when tests run in Release.
        if (!plugin.Dll.Contains($"{Path.DirectorySeparatorChar}Release{Path.DirectorySeparatorChar}", StringComparison.Ordinal)) return;
        var (code, output, err) = Cli("validate", Path.Combine(CliTests.RepoRoot, "samples", "plugin", "pipeline.json"));
        Assert.True(code == 0, err);
        Assert.Contains("pipeline 'tld-sample': 1 plugin(s)", output);
    }
}
