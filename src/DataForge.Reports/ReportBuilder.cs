using DataForge.Execution;
using DataForge.Reports.Html;
using DataForge.Reports.Sections;

namespace DataForge.Reports;

/// <summary>What kind of run a directory holds, judged by the files DataForge writes.</summary>
public enum RunKind { Pipeline, Mix, Training }

public sealed record FoundRun(string Directory, string Name, RunKind Kind);

/// <summary>
/// Builds one self-contained HTML report for a directory: a pipeline output (stats.json), a training run
/// (metrics.jsonl), a mix output (mix_report.json), or a folder holding several of those one level down.
/// </summary>
public static class ReportBuilder
{
    public static IReadOnlyList<FoundRun> Discover(string dir)
    {
        if (!Directory.Exists(dir)) throw new DirectoryNotFoundException($"{dir}: no such directory");
        var found = new List<FoundRun>();
        void Probe(string d, string name)
        {
            foreach (var kind in Enum.GetValues<RunKind>())
                if (File.Exists(Path.Combine(d, Marker(kind)))) found.Add(new FoundRun(d, name, kind));
        }
        Probe(dir, Path.GetFileName(Path.TrimEndingDirectorySeparator(Path.GetFullPath(dir))));
        if (found.Count == 0)
            foreach (var sub in Directory.GetDirectories(dir).Order(StringComparer.Ordinal))
                Probe(sub, Path.GetFileName(sub));
        // Curation first, then mixing, then training; within a kind, in the order the runs finished.
        return found.OrderBy(r => r.Kind).ThenBy(r => File.GetLastWriteTimeUtc(Path.Combine(r.Directory, Marker(r.Kind))))
            .ThenBy(r => r.Name, StringComparer.Ordinal).ToList();
    }

    static string Marker(RunKind kind) => kind switch
    {
        RunKind.Pipeline => "stats.json",
        RunKind.Mix => "mix_report.json",
        _ => "metrics.jsonl",
    };

    /// <summary>Renders the report; throws when the directory holds nothing to report on.</summary>
    public static HtmlPage Build(string dir)
    {
        var runs = Discover(dir);
        if (runs.Count == 0)
            throw new FileNotFoundException($"{dir}: found no stats.json (pipeline output), metrics.jsonl (training run) or mix_report.json (mix output), here or one directory down");
        var page = new HtmlPage($"DataForge report: {Path.GetFileName(Path.TrimEndingDirectorySeparator(Path.GetFullPath(dir)))}");
        bool many = runs.Count > 1;
        foreach (var run in runs)
        {
            string prefix = many ? Slug(run.Name) + "-" : "";
            switch (run.Kind)
            {
                case RunKind.Pipeline:
                    PipelineSections.Add(page, prefix, run.Name, RunStats.Read(Path.Combine(run.Directory, "stats.json")));
                    break;
                case RunKind.Mix:
                    // A report left by a mix that did not finish (no _SUCCESS) is shown, but says so in its title.
                    MixSections.Add(page, prefix, run.Name + (OutputDirectory.Unfinished(run.Directory) is null ? "" : " (incomplete: no _SUCCESS)"),
                        Path.Combine(run.Directory, "mix_report.json"));
                    break;
                case RunKind.Training:
                    TrainingSections.Add(page, prefix, run.Name, run.Directory);
                    break;
            }
        }
        return page;
    }

    /// <summary>Writes <c>report.html</c> into the directory (or to <paramref name="outFile"/>); returns its path.</summary>
    public static string Write(string dir, string? outFile = null)
    {
        var page = Build(dir);
        string path = outFile ?? Path.Combine(dir, "report.html");
        string tmp = path + ".tmp";
        File.WriteAllText(tmp, page.Render());
        File.Move(tmp, path, overwrite: true);
        return path;
    }

    static string Slug(string name) => new(name.Select(c => char.IsAsciiLetterOrDigit(c) ? char.ToLowerInvariant(c) : '-').ToArray());
}
