using DataForge.Execution;
using DataForge.Reports.Html;
using DataForge.Reports.Sections;

namespace DataForge.Reports;

/// <summary>What kind of run a directory holds, judged by the files DataForge writes.</summary>
public enum RunKind { Pipeline, Mix, Training, Evaluation }

public sealed record FoundRun(string Directory, string Name, RunKind Kind);

/// <summary>
/// Builds one self-contained HTML report for a directory: a pipeline output (stats.json), a training run
/// (metrics.jsonl), a mix output (mix_report.json), an evaluation (eval.json, also as RUN/eval/eval.json inside
/// a training run), or a folder holding several of those one level down.
/// </summary>
public static class ReportBuilder
{
    /// <summary>Where <c>dataforge eval</c> writes by default, relative to the run holding the model (MODEL/../eval).</summary>
    const string EvalSubdirectory = "eval";

    public static IReadOnlyList<FoundRun> Discover(string dir)
    {
        if (!Directory.Exists(dir)) throw new DirectoryNotFoundException($"{dir}: no such directory");
        var found = new List<FoundRun>();
        void Add(string d, string name, RunKind kind)
        {
            // An evaluation is reachable both as RUN/eval (with its run) and as a directory of its own one level down.
            string full = Path.GetFullPath(d);
            if (!found.Exists(r => r.Kind == kind && Path.GetFullPath(r.Directory) == full)) found.Add(new FoundRun(d, name, kind));
        }
        void Probe(string d, string name)
        {
            foreach (var kind in Enum.GetValues<RunKind>())
                if (File.Exists(Path.Combine(d, Marker(kind)))) Add(d, name, kind);
            // The evaluation of a run's model sits beside final/ and is reported under the run's name.
            string nested = Path.Combine(d, EvalSubdirectory);
            if (File.Exists(Path.Combine(nested, Marker(RunKind.Evaluation)))) Add(nested, name, RunKind.Evaluation);
        }
        Probe(dir, Path.GetFileName(Path.TrimEndingDirectorySeparator(Path.GetFullPath(dir))));
        // A folder whose only find is its eval/ subdirectory may still be a folder of runs (out/ holding run/ and eval/).
        if (found.TrueForAll(r => r.Directory != dir))
            foreach (var sub in Directory.GetDirectories(dir).Order(StringComparer.Ordinal))
                Probe(sub, Path.GetFileName(sub));
        // Curation first, then mixing, training and evaluation; within a kind, in the order the runs finished.
        return found.OrderBy(r => r.Kind).ThenBy(r => File.GetLastWriteTimeUtc(Path.Combine(r.Directory, Marker(r.Kind))))
            .ThenBy(r => r.Name, StringComparer.Ordinal).ToList();
    }

    static string Marker(RunKind kind) => kind switch
    {
        RunKind.Pipeline => "stats.json",
        RunKind.Mix => "mix_report.json",
        RunKind.Evaluation => "eval.json",
        _ => "metrics.jsonl",
    };

    /// <summary>Renders the report; throws when the directory holds nothing to report on.</summary>
    public static HtmlPage Build(string dir)
    {
        var runs = Discover(dir);
        if (runs.Count == 0)
            throw new FileNotFoundException($"{dir}: found no stats.json (pipeline output), metrics.jsonl (training run), mix_report.json (mix output) or eval.json (evaluation, also as eval/eval.json), here or one directory down");
        var page = new HtmlPage($"DataForge report: {Path.GetFileName(Path.TrimEndingDirectorySeparator(Path.GetFullPath(dir)))}");
        // Section ids carry the run's name only when runs of several names share the page; a training run and
        // its own evaluation share a name, and no two kinds of run use the same section ids.
        bool many = runs.Select(r => r.Name).Distinct().Count() > 1;
        var evaluations = ModelNames(dir, runs.Where(r => r.Kind == RunKind.Evaluation).ToList());
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
                case RunKind.Evaluation:
                    // Evaluations come last; the comparison of all models leads them, the detail of each follows.
                    if (evaluations.Count > 1 && ReferenceEquals(run, evaluations[0].Run))
                        EvaluationSections.Compare(page, evaluations.Select(e => (e.Name, e.Result)).ToList());
                    var (_, name, result) = evaluations.Single(e => ReferenceEquals(e.Run, run));
                    EvaluationSections.Add(page, prefix, name, result);
                    break;
            }
        }
        return page;
    }

    /// <summary>
    /// Reads every eval.json and names its model: the file's model_name, else the run's name; a name that several
    /// models share gets the path of its directory so the comparison's rows stay apart.
    /// </summary>
    static List<(FoundRun Run, string Name, EvalResult Result)> ModelNames(string dir, List<FoundRun> runs)
    {
        var read = runs.Select(r => (Run: r, Result: EvalResult.Read(Path.Combine(r.Directory, "eval.json")))).ToList();
        var names = read.Select(e => e.Result.ModelName is { Length: > 0 } n ? n : e.Run.Name).ToList();
        return read.Select((e, i) => (e.Run,
            names.Count(n => n == names[i]) > 1 ? $"{names[i]} ({Path.GetRelativePath(dir, e.Run.Directory)})" : names[i], e.Result)).ToList();
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
