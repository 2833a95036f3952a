using System.CommandLine;
using System.Text.Json;
using DataForge.Pipelines;

namespace DataForge.Cli;

/// <summary>The kinds of configuration file <c>dataforge</c> reads.</summary>
public enum ConfigKind { Pipeline, Mix, Train, Workflow, Tasks }

public static class ValidateCommand
{
    public static Command Build(CliIO io)
    {
        var file = new Argument<string>("file") { Description = "Pipeline (or mix / train) JSON file." };
        var cmd = new Command("validate", "Check a configuration file: unknown keys, wrong types and values, unknown stages, reported as file:line:col.") { file };
        cmd.SetAction(parse =>
        {
            string path = parse.GetValue(file)!;
            switch (Detect(path))
            {
                case ConfigKind.Train:
                    var t = Training.TrainOptions.Load(path);
                    io.Out.WriteLine(t.Task == "sft"
                        ? $"{path}: ok (sft '{t.Name}': from {t.InitFrom}, {t.Sft.Train.Count} train file(s), {t.Sft.Epochs} epoch(s), {t.Precision})"
                        : $"{path}: ok (train '{t.Name}': {t.Steps} steps, {t.Phases.Count} phase(s), {t.Model.NLayers} layers x {t.Model.DModel}{(t.Model.Architecture == "ngpt" ? " nGPT" : "")}, {t.Precision})");
                    break;
                case ConfigKind.Workflow:
                    var w = Workflow.Load(path);
                    io.Out.WriteLine($"{path}: ok (workflow '{w.Name}': {w.Steps.Count} steps: {string.Join(", ", w.Steps.Select(s => s.Name))})");
                    break;
                case ConfigKind.Tasks:
                    var k = Training.Evaluation.EvalTasks.Load(path);
                    io.Out.WriteLine($"{path}: ok (tasks '{k.Name}': {string.Join(", ", k.Tasks.Select(x => $"{x.Name} ({x.Kind})"))})");
                    break;
                case ConfigKind.Mix:
                    var m = DataForge.Tokenization.Mixing.MixConfig.Load(path);
                    io.Out.WriteLine($"{path}: ok (mix '{m.Name}': {m.Sources.Count} source(s), {m.Phases.Count} phase(s), {m.Phases.Sum(x => x.Tokens):N0} tokens -> {m.Output})");
                    break;
                default:
                    var p = Pipeline.Load(path, DataForgeCli.Registry);
                    io.Out.WriteLine($"{path}: ok (pipeline '{p.Settings.Name}': {(p.Plugins.Count > 0 ? $"{p.Plugins.Count} plugin(s), " : "")}{p.Sources.Count} source(s), {p.Stages.Count} stage(s), output {p.Sink.Type} -> {p.Sink.OutputPath})");
                    break;
            }
            return ExitCodes.Ok;
        });
        return cmd;
    }

    /// <summary>
    /// Which configuration a file holds: by its <c>$schema</c> when it names one of ours, else by its keys
    /// (a pipeline has <c>stages</c>/<c>input</c>, a workflow a <c>steps</c> array, a training run <c>model</c>/<c>steps</c>/<c>init_from</c>, a mix <c>sources</c>
    /// and <c>phases</c>, a task list a <c>tasks</c> array). Anything unreadable is treated as a pipeline, whose loader reports the error precisely.
    /// </summary>
    public static ConfigKind Detect(string path)
    {
        try
        {
            using var doc = JsonDocument.Parse(File.ReadAllBytes(path), new JsonDocumentOptions { CommentHandling = JsonCommentHandling.Skip, AllowTrailingCommas = true });
            var root = doc.RootElement;
            if (root.ValueKind != JsonValueKind.Object) return ConfigKind.Pipeline;
            if (root.TryGetProperty("$schema", out var s) && s.ValueKind == JsonValueKind.String)
            {
                string schema = s.GetString()!;
                if (schema.Contains("workflow.schema", StringComparison.Ordinal)) return ConfigKind.Workflow;
                if (schema.Contains("train.schema", StringComparison.Ordinal)) return ConfigKind.Train;
                if (schema.Contains("mix.schema", StringComparison.Ordinal)) return ConfigKind.Mix;
                if (schema.Contains("tasks.schema", StringComparison.Ordinal)) return ConfigKind.Tasks;
                if (schema.Contains("pipeline.schema", StringComparison.Ordinal)) return ConfigKind.Pipeline;
            }
            if (root.TryGetProperty("stages", out _) || root.TryGetProperty("input", out _)) return ConfigKind.Pipeline;
            if (root.TryGetProperty("steps", out var steps) && steps.ValueKind == JsonValueKind.Array) return ConfigKind.Workflow;
            if (root.TryGetProperty("model", out _) || root.TryGetProperty("steps", out _) || root.TryGetProperty("init_from", out _)) return ConfigKind.Train;
            if (root.TryGetProperty("phases", out _) || root.TryGetProperty("sources", out _)) return ConfigKind.Mix;
            if (root.TryGetProperty("tasks", out var t) && t.ValueKind == JsonValueKind.Array) return ConfigKind.Tasks;
            return ConfigKind.Pipeline;
        }
        catch (Exception ex) when (ex is JsonException or IOException or UnauthorizedAccessException)
        {
            return ConfigKind.Pipeline;
        }
    }
}
