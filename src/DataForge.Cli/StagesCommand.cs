using System.CommandLine;
using DataForge.Pipelines;

namespace DataForge.Cli;

public static class StagesCommand
{
    public static Command Build(CliIO io)
    {
        var markdown = new Option<bool>("--markdown") { Description = "Print the full stage reference (options, types, defaults) as Markdown." };
        var cmd = new Command("stages", "List the registered stages.") { markdown };
        cmd.SetAction(parse =>
        {
            if (parse.GetValue(markdown))
            {
                io.Out.Write(PipelineSchema.StageReference(DataForgeCli.Registry));
                return ExitCodes.Ok;
            }
            foreach (var d in DataForgeCli.Registry.All)
                io.Out.WriteLine($"{d.Type,-20} {d.Shape.ToString().ToLowerInvariant(),-7} {d.Summary}");
            return ExitCodes.Ok;
        });
        return cmd;
    }
}
