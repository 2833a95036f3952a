using System.CommandLine;
using DataForge.Pipelines;

namespace DataForge.Cli;

public static class SchemaCommand
{
    /// <summary>Every generated schema file, by name.</summary>
    public static IReadOnlyDictionary<string, string> Generate() => new SortedDictionary<string, string>(StringComparer.Ordinal)
    {
        ["pipeline.schema.json"] = SchemaGenerator.Pipeline(DataForgeCli.Registry),
        ["train.schema.json"] = SchemaGenerator.ForOptions(typeof(Training.TrainOptions), "DataForge TRAIN.json",
            "A from-scratch pretraining run: model, optimiser, learning-rate schedule, batch size and curriculum phases over token shards."),
    };

    public static Command Build(CliIO io)
    {
        var dir = new Option<string>("--out") { Description = "Directory to write the schemas to.", DefaultValueFactory = _ => "schemas" };
        var cmd = new Command("schema", "Generate the JSON Schemas of pipeline (and mix/train) files from the stage registry.") { dir };
        cmd.SetAction(parse =>
        {
            string d = parse.GetValue(dir)!;
            Directory.CreateDirectory(d);
            foreach (var (name, text) in Generate())
            {
                string path = Path.Combine(d, name);
                File.WriteAllText(path, text);
                io.Out.WriteLine($"wrote {path}");
            }
            return ExitCodes.Ok;
        });
        return cmd;
    }
}
