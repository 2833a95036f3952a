using System.Diagnostics;
using DataForge.Pipelines;

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

    static readonly HashSet<string> TopKeys = ["$schema", "name", "description", "steps", "outputs"];

    public static Workflow Load(string path)
    {
        if (!File.Exists(path)) throw new FileNotFoundException($"{path}: no such file");
        var root = JsonTree.ParseConfig(File.ReadAllBytes(path), path);
        var errors = new List<ConfigError>();
        void Error(JsonNodeP at, string message, string? jsonPath = null) => errors.Add(new ConfigError(path, at.Line, at.Column, jsonPath ?? at.Path, message));
        if (root.Kind != JsonKind.Object) throw new ConfigException([new ConfigError(path, root.Line, root.Column, "$", "expected a JSON object")]);
        foreach (var (key, node) in root.Properties!)
            if (!TopKeys.Contains(key)) Error(node, $"unknown key '{key}'; expected one of {string.Join(", ", TopKeys.Where(k => k != "$schema"))}");
        string name = root["name"] is { Kind: JsonKind.String } n ? n.Text! : System.IO.Path.GetFileNameWithoutExtension(path);
        var steps = new List<WorkflowStep>();
        if (root["steps"] is not { Kind: JsonKind.Array, Items.Count: > 0 } s)
            Error(root["steps"] ?? root, "expected a non-empty array of steps {\"name\": ..., \"args\": [...]}", "$.steps");
        else
            foreach (var step in s.Items!)
            {
                if (step.Kind != JsonKind.Object) { Error(step, "expected an object {\"name\": ..., \"args\": [...]}"); continue; }
                foreach (var (key, node) in step.Properties!)
                    if (key is not ("name" or "args")) Error(node, $"unknown key '{key}'; expected name or args");
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
        foreach (var (label, path) in Outputs)
            io.Out.WriteLine($"{label,-16} {System.IO.Path.GetFullPath(path)}{(File.Exists(path) || Directory.Exists(path) ? "" : "  (missing)")}");
        return ExitCodes.Ok;
    }

    static string Quote(string a) => a.Length == 0 || a.Any(char.IsWhiteSpace) ? $"\"{a}\"" : a;
}

/// <summary>The JSON Schema of workflow files (schemas/workflow.schema.json).</summary>
public static class WorkflowSchema
{
    public static string Generate() => """
        {
          "$schema": "https://json-schema.org/draft/2020-12/schema",
          "title": "DataForge workflow",
          "description": "A list of dataforge commands run in order by `dataforge run WORKFLOW.json`. Generated by `dataforge schema`; do not edit.",
          "type": "object",
          "additionalProperties": false,
          "required": ["steps"],
          "properties": {
            "$schema": { "type": "string" },
            "name": { "type": "string", "description": "Name printed with each step." },
            "description": { "type": "string" },
            "steps": {
              "type": "array",
              "minItems": 1,
              "items": {
                "type": "object",
                "additionalProperties": false,
                "required": ["args"],
                "properties": {
                  "name": { "type": "string", "description": "What the step does." },
                  "args": { "type": "array", "minItems": 1, "items": { "type": "string" }, "description": "The dataforge command line, e.g. [\"run\", \"pipelines/track2-en.json\", \"--overwrite\"]." }
                }
              }
            },
            "outputs": { "type": "object", "additionalProperties": { "type": "string" }, "description": "Label -> path, printed when the workflow ends." }
          }
        }

        """;
}
