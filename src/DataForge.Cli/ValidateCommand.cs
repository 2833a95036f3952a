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
            if (File.Exists(path) && Training.TrainOptions.Looks(File.ReadAllText(path)))
            {
                var t = Training.TrainOptions.Load(path);
                io.Out.WriteLine($"{path}: ok (train '{t.Name}': {t.Steps} steps, {t.Phases.Count} phase(s), {t.Model.NLayers} layers x {t.Model.DModel}, {t.Precision})");
                return ExitCodes.Ok;
            }
            var p = Pipeline.Load(path, DataForgeCli.Registry);
            io.Out.WriteLine($"{path}: ok (pipeline '{p.Settings.Name}': {p.Sources.Count} source(s), {p.Stages.Count} stage(s), output {p.Sink.Type} -> {p.Sink.OutputPath})");
            return ExitCodes.Ok;
        });
        return cmd;
    }
}
