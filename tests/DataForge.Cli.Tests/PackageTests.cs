using System.Diagnostics;
using System.IO.Compression;
using System.Xml.Linq;

namespace DataForge.Tests;

/// <summary>
/// `dotnet pack` of the solution: the six libraries and the dataforge .NET tool, which installs from a local
/// feed into a tool path and runs. Packs what the test run already built (--no-build).
/// </summary>
public class PackageTests
{
    static readonly string[] Libraries = ["DataForge.Core", "DataForge.Quality", "DataForge.Tokenization", "DataForge.Training", "DataForge.Reports", "DataForge.Deploy"];

    static string Configuration => AppContext.BaseDirectory.Contains($"{Path.DirectorySeparatorChar}Debug{Path.DirectorySeparatorChar}", StringComparison.Ordinal) ? "Debug" : "Release";

    static (int Code, string Out) Dotnet(string workingDirectory, IReadOnlyDictionary<string, string>? env, string file, params string[] args)
    {
        var psi = new ProcessStartInfo(file) { RedirectStandardOutput = true, RedirectStandardError = true, WorkingDirectory = workingDirectory };
        foreach (var a in args) psi.ArgumentList.Add(a);
        foreach (var (k, v) in env ?? new Dictionary<string, string>()) psi.Environment[k] = v;
        using var p = Process.Start(psi)!;
        var o = p.StandardOutput.ReadToEndAsync();
        var e = p.StandardError.ReadToEndAsync();
        if (!p.WaitForExit(TimeSpan.FromMinutes(5))) { p.Kill(true); throw new TimeoutException($"{file} {string.Join(' ', args)} did not finish in 5 minutes"); }
        return (p.ExitCode, o.Result + e.Result);
    }

    static XDocument Nuspec(string nupkg)
    {
        using var zip = ZipFile.OpenRead(nupkg);
        using var s = zip.Entries.Single(e => e.FullName.EndsWith(".nuspec", StringComparison.Ordinal)).Open();
        return XDocument.Load(s);
    }

    static string? Element(XDocument nuspec, string name) => nuspec.Descendants().FirstOrDefault(e => e.Name.LocalName == name)?.Value;

    [Fact]
    public void Pack_makes_the_libraries_and_a_tool_that_installs_and_validates()
    {
        using var dir = new TempDir();
        string feed = dir["feed"];
        string root = CliTests.RepoRoot;
        var (pc, po) = Dotnet(root, null, "dotnet", "pack", Path.Combine(root, "DataForge.sln"), "-c", Configuration, "--no-build", "-o", feed, "-nologo");
        Assert.True(pc == 0, po);

        var packages = Directory.GetFiles(feed, "*.nupkg").Select(Path.GetFileName).Order(StringComparer.Ordinal).ToList();
        string version = Element(Nuspec(Path.Combine(feed, packages[0]!)), "version")!;
        Assert.Equal(Libraries.Append("DataForge.Cli").Order(StringComparer.Ordinal).Select(id => $"{id}.{version}.nupkg"), packages);
        foreach (var id in Libraries)
        {
            string nupkg = Path.Combine(feed, $"{id}.{version}.nupkg");
            var nuspec = Nuspec(nupkg);
            Assert.False(string.IsNullOrWhiteSpace(Element(nuspec, "description")), id);
            Assert.Equal("DataForge developers", Element(nuspec, "authors"));
            using var zip = ZipFile.OpenRead(nupkg);
            Assert.Contains(zip.Entries, e => e.FullName == $"lib/net10.0/{id}.dll");
            Assert.Contains(zip.Entries, e => e.FullName == $"lib/net10.0/{id}.xml");
            if (id != "DataForge.Core")
                Assert.Contains(nuspec.Descendants().Where(e => e.Name.LocalName == "dependency"),
                    d => d.Attribute("id")?.Value == "DataForge.Core" && d.Attribute("version")?.Value == version);
        }
        var tool = Nuspec(Path.Combine(feed, $"DataForge.Cli.{version}.nupkg"));
        Assert.Contains(tool.Descendants().Where(e => e.Name.LocalName == "packageType"), t => t.Attribute("name")?.Value == "DotnetTool");

        // Install from the local feed only (a nuget.config of its own), into a tool path of its own.
        string config = dir.Write("nuget.config", $"""
            <?xml version="1.0" encoding="utf-8"?>
            <configuration><packageSources><clear /><add key="local" value="{feed}" /></packageSources></configuration>
            """);
        string tools = dir["tools"];
        var (ic, io) = Dotnet(dir.Path, null, "dotnet", "tool", "install", "DataForge.Cli", "--tool-path", tools, "--configfile", config, "--version", version);
        Assert.True(ic == 0, io);

        // The tool's launcher finds the runtime this test runs on.
        string runtimeRoot = Path.GetFullPath(Path.Combine(Path.GetDirectoryName(typeof(object).Assembly.Location)!, "..", "..", ".."));
        var env = new Dictionary<string, string> { ["DOTNET_ROOT"] = runtimeRoot };
        string dataforge = Path.Combine(tools, OperatingSystem.IsWindows() ? "dataforge.exe" : "dataforge");
        var (vc, vo) = Dotnet(root, env, dataforge, "validate", "pipelines/curate-samples.json");
        Assert.True(vc == 0, vo);
        Assert.Contains("pipelines/curate-samples.json: ok (pipeline 'curate-samples'", vo);
        var (bc, bo) = Dotnet(root, env, dataforge, "validate", Path.Combine(dir.Path, "nuget.config"));
        Assert.Equal(2, bc);
        Assert.Contains("nuget.config:1:1:", bo);
    }
}
