using System.CommandLine;
using DataForge.Pipelines;

namespace DataForge.Cli;

public static class StagesCommand
{
    public static Command Build(CliIO io)
    {
        var markdown = new Option<bool>("--markdown") { Description = "Print the full stage reference (options, types, defaults) as Markdown." };
        var plugins = DataForgeCli.PluginOption();
        var cmd = new Command("stages", "List the registered stages (and those of --plugin stage libraries).") { markdown, plugins };
        cmd.SetAction(parse =>
        {
            var registry = DataForgeCli.RegistryWith(parse.GetValue(plugins));
            if (parse.GetValue(markdown))
            {
                io.Out.Write(PipelineSchema.StageReference(registry));
                return ExitCodes.Ok;
            }
            foreach (var d in registry.All)
            {
                string origin = DataForgeCli.IsBuiltIn(d) ? "" : $" [{d.StageType.Assembly.GetName().Name}]";
                io.Out.WriteLine($"{d.Type,-20} {d.Shape.ToString().ToLowerInvariant(),-7} {d.Summary}{origin}");
            }
            return ExitCodes.Ok;
        });
        return cmd;
    }
}
