using System.CommandLine;
using DataForge.Pipelines;

namespace DataForge.Cli;

public static class ValidateCommand
{
    public static Command Build(CliIO io)
    {
        var file = new Argument<string>("file") { Description = "Pipeline (or mix / train) JSON file." };
        var cmd = new Command("validate", "Check a configuration file: unknown keys, wrong types and values, unknown stages, reported as file:line:col.") { file };
        cmd.SetAction(parse =>
        {
            string path = parse.GetValue(file)!;
            if (LooksLikeMix(path))
            {
                var m = DataForge.Tokenization.Mixing.MixConfig.Load(path);
                io.Out.WriteLine($"{path}: ok (mix '{m.Name}': {m.Sources.Count} source(s), {m.Phases.Count} phase(s), {m.Phases.Sum(x => x.Tokens):N0} tokens -> {m.Output})");
                return ExitCodes.Ok;
            }
            var p = Pipeline.Load(path, DataForgeCli.Registry);
            io.Out.WriteLine($"{path}: ok (pipeline '{p.Settings.Name}': {p.Sources.Count} source(s), {p.Stages.Count} stage(s), output {p.Sink.Type} -> {p.Sink.OutputPath})");
            return ExitCodes.Ok;
        });
        return cmd;
    }

    /// <summary>A MIX.json names the mix schema or has top-level "phases" (pipelines never do).</summary>
    static bool LooksLikeMix(string path)
    {
        try
        {
            using var doc = System.Text.Json.JsonDocument.Parse(File.ReadAllBytes(path), new System.Text.Json.JsonDocumentOptions { CommentHandling = System.Text.Json.JsonCommentHandling.Skip, AllowTrailingCommas = true });
            var root = doc.RootElement;
            return root.ValueKind == System.Text.Json.JsonValueKind.Object
                && (root.TryGetProperty("phases", out _) || (root.TryGetProperty("$schema", out var s) && s.GetString()?.Contains("mix.schema", StringComparison.Ordinal) == true));
        }
        catch (System.Text.Json.JsonException) { return false; }
    }
}
