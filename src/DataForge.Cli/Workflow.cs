using System.Diagnostics;
using DataForge.Configuration;

namespace DataForge.Cli;

/// <summary>One step of a workflow: a <c>dataforge</c> command line.</summary>
public sealed record WorkflowStep(string Name, IReadOnlyList<string> Args);

/// <summary>
/// A workflow file: the whole job as a list of <c>dataforge</c> commands run in order (curate, train the
/// quality model, tokenizer, mix, train, report). <c>dataforge run WORKFLOW.json</c> runs it; any step that
/// fails stops it with that step's exit code. Paths in the steps resolve against the current directory.
/// </summary>
public sealed class Workflow
{
    public required string Path { get; init; }
    public required string Name { get; init; }
    public required IReadOnlyList<WorkflowStep> Steps { get; init; }
    /// <summary>What the workflow produces, printed at the end (label -> path).</summary>
    public required IReadOnlyList<(string Label, string Path)> Outputs { get; init; }

    static readonly string[] TopKeys = [.. OptionInfo.For(typeof(WorkflowFile)).Select(o => o.Name)];
    static readonly string[] StepKeys = [.. OptionInfo.For(typeof(WorkflowStepFile)).Select(o => o.Name)];

    public static Workflow Load(string path)
    {
        if (!File.Exists(path)) throw new FileNotFoundException($"{path}: no such file");
        var root = JsonTree.ParseConfig(File.ReadAllBytes(path), path);
        var errors = new List<ConfigError>();
        void Error(JsonNodeP at, string message, string? jsonPath = null) => errors.Add(new ConfigError(path, at.Line, at.Column, jsonPath ?? at.Path, message));
        if (root.Kind != JsonKind.Object) throw new ConfigException([new ConfigError(path, root.Line, root.Column, "$", "expected a JSON object")]);
        foreach (var (key, node) in root.Properties!)
            if (key != "$schema" && !TopKeys.Contains(key)) Error(node, $"unknown key '{key}'; expected one of {string.Join(", ", TopKeys)}");
        string name = root["name"] is { Kind: JsonKind.String } n ? n.Text! : System.IO.Path.GetFileNameWithoutExtension(path);
        var steps = new List<WorkflowStep>();
        if (root["steps"] is not { Kind: JsonKind.Array, Items.Count: > 0 } s)
            Error(root["steps"] ?? root, "expected a non-empty array of steps {\"name\": ..., \"args\": [...]}", "$.steps");
        else
            foreach (var step in s.Items!)
            {
                if (step.Kind != JsonKind.Object) { Error(step, "expected an object {\"name\": ..., \"args\": [...]}"); continue; }
                foreach (var (key, node) in step.Properties!)
                    if (!StepKeys.Contains(key)) Error(node, $"unknown key '{key}'; expected {string.Join(" or ", StepKeys)}");
                if (step["args"] is not { Kind: JsonKind.Array, Items.Count: > 0 } a || a.Items!.Any(x => x.Kind != JsonKind.String))
                {
                    Error(step["args"] ?? step, "expected a non-empty array of strings: the dataforge command line, e.g. [\"run\", \"pipelines/track2-en.json\"]", step.Path + ".args");
                    continue;
                }
                var args = a.Items!.Select(x => x.Text!).ToList();
                if (args[0] == "run" && args.Count > 1 && File.Exists(args[1]) && ValidateCommand.Detect(args[1]) == ConfigKind.Workflow)
                    Error(a, "a workflow cannot run another workflow");
                string stepName = step["name"] is { Kind: JsonKind.String } sn ? sn.Text! : string.Join(' ', args.Take(2));
                steps.Add(new WorkflowStep(stepName, args));
            }
        var outputs = new List<(string, string)>();
        if (root["outputs"] is { } o)
        {
            if (o.Kind != JsonKind.Object) Error(o, "expected an object of label -> path");
            else
                foreach (var (label, node) in o.Properties!)
                    if (node.Kind == JsonKind.String) outputs.Add((label, node.Text!));
                    else Error(node, "expected a path string");
        }
        if (errors.Count > 0) throw new ConfigException([.. errors.OrderBy(e => e.Line).ThenBy(e => e.Column)]);
        return new Workflow { Path = path, Name = name, Steps = steps, Outputs = outputs };
    }

    /// <summary>Runs the steps in order in this process; returns the first non-zero exit code, or 0.</summary>
    public int Run(CliIO io)
    {
        var total = Stopwatch.StartNew();
        for (int i = 0; i < Steps.Count; i++)
        {
            var step = Steps[i];
            io.Out.WriteLine($"== {Name} step {i + 1}/{Steps.Count}: {step.Name}");
            io.Out.WriteLine($"   dataforge {string.Join(' ', step.Args.Select(Quote))}");
            var clock = Stopwatch.StartNew();
            int code = DataForgeCli.Run([.. step.Args], io.Out, io.Err, io.Interactive);
            if (code != ExitCodes.Ok)
            {
                io.Err.WriteLine($"error: {Path}: step {i + 1} '{step.Name}' failed with exit code {code}; later steps were not run");
                return code;
            }
            io.Out.WriteLine($"   ({clock.Elapsed.TotalSeconds:F1}s)");
        }
        io.Out.WriteLine($"== {Name}: {Steps.Count} steps done in {total.Elapsed.TotalSeconds:F0}s");
        int width = Outputs.Count == 0 ? 0 : Outputs.Max(o => o.Label.Length);
        foreach (var (label, path) in Outputs)
            io.Out.WriteLine($"{label.PadRight(width)} {System.IO.Path.GetFullPath(path)}{(File.Exists(path) || Directory.Exists(path) ? "" : "  (missing)")}");
        return ExitCodes.Ok;
    }

    static string Quote(string a) => a.Length == 0 || a.Any(char.IsWhiteSpace) ? $"\"{a}\"" : a;
}

/// <summary>
/// The keys of a workflow file, declared once: <see cref="Workflow.Load"/> checks keys against them and
/// schemas/workflow.schema.json is generated from them like every other schema.
/// </summary>
public sealed class WorkflowFile
{
    [Option("Name printed with each step; default: the file name.")]
    public string? Name { get; init; }

    [Option("What the workflow does.")]
    public string? Description { get; init; }

    [Option("The dataforge commands, run in order; the first that fails stops the workflow with its exit code.", Required = true)]
    public List<WorkflowStepFile> Steps { get; init; } = [];

    [Option("Label -> path, printed when the workflow ends.")]
    public Dictionary<string, string> Outputs { get; init; } = [];

    public static string Schema() => SchemaGenerator.ForOptions(typeof(WorkflowFile), "DataForge workflow",
        "A list of dataforge commands run in order by `dataforge run WORKFLOW.json`. Generated by `dataforge schema`; do not edit.");
}

/// <summary>One step of a workflow file.</summary>
public sealed class WorkflowStepFile
{
    [Option("What the step does.")]
    public string? Name { get; init; }

    [Option("The dataforge command line, e.g. [\"run\", \"pipelines/track2-en.json\", \"--overwrite\"].", Required = true)]
    public List<string> Args { get; init; } = [];
}
