using System.CommandLine;
using DataForge.Execution;
using DataForge.Pipelines;
using DataForge.Stages;
using DataForge.Configuration;

namespace DataForge.Cli;

/// <summary>Exit codes: 0 ok, 1 failure at run time, 2 bad usage or invalid config, 3 output directory in use.</summary>
public static class ExitCodes
{
    public const int Ok = 0;
    public const int Failure = 1;
    public const int Usage = 2;
    /// <summary>Another DataForge process holds the output directory's lock.</summary>
    public const int Busy = 3;
}

/// <summary>The <c>dataforge</c> command line, runnable in-process (tests pass their own writers).</summary>
public static class DataForgeCli
{
    /// <summary>Every stage the command line knows, from every DataForge assembly it ships with.</summary>
    public static StageRegistry Registry { get; } = StageRegistry.Core.With(
        typeof(DataForge.Quality.Stages.QualityScoreStage).Assembly, typeof(DataForge.Tokenization.TokensSink).Assembly);

    /// <summary><c>--plugin X.dll</c> (repeatable): stage libraries a command should know besides the built-in stages.</summary>
    internal static Option<string[]> PluginOption() => new("--plugin")
    {
        Description = "A stage library (.dll) whose stages to include; repeat for several. Pipelines name theirs in \"plugins\".",
        AllowMultipleArgumentsPerToken = false,
    };

    /// <summary>The built-in registry plus the stages of each plugin, in order.</summary>
    internal static StageRegistry RegistryWith(IEnumerable<string>? plugins)
    {
        var registry = Registry;
        foreach (var p in (plugins ?? []).Select(Path.GetFullPath).Distinct(StringComparer.Ordinal))
            registry = registry.WithPlugin(StagePlugins.Load(p));
        return registry;
    }

    internal static bool IsBuiltIn(StageDescriptor d) => Registry.All.Contains(d);

    public static int Run(string[] args, TextWriter stdout, TextWriter stderr, bool interactive = false)
    {
        // Progress lines come from a display thread while the command may write too.
        stderr = TextWriter.Synchronized(stderr);
        var io = new CliIO(stdout, stderr, interactive);
        var root = new RootCommand("DataForge: curate raw text into pretraining corpora and train small language models on them.");
        var verbose = new Option<bool>("--verbose") { Description = "Print the stack trace of an unexpected error.", Recursive = true };
        root.Options.Add(verbose);
        foreach (var c in new[]
                 {
                     RunCommand.Build(io), ValidateCommand.Build(io), StagesCommand.Build(io), SchemaCommand.Build(io),
                     InspectCommand.Build(io), ReportCommand.Build(io), QualityCommand.Build(io), TokenizerCommand.Build(io), MixCommand.Build(io), TrainCommand.Build(io), GenerateCommand.Build(io), EvalCommand.Build(io), ExportCommand.Build(io),
                     SlurmCommands.BuildStatus(io), SlurmCommands.BuildTask(io),
                 })
            root.Subcommands.Add(c);
        var parse = root.Parse(args);
        // "dataforge nosuch --help" would print the root help and succeed; name the unknown command instead.
        if (parse.CommandResult.Command == root && parse.UnmatchedTokens.Count > 0 && !args[0].StartsWith('-'))
        {
            stderr.WriteLine($"error: unknown command '{args[0]}'{DataForge.Configuration.NameSuggester.DidYouMean(args[0], root.Subcommands.Select(c => c.Name).ToList())}");
            stderr.WriteLine("Run 'dataforge --help' for usage.");
            return ExitCodes.Usage;
        }
        if (parse.Errors.Count > 0)
        {
            foreach (var e in parse.Errors) stderr.WriteLine($"error: {e.Message}");
            stderr.WriteLine("Run 'dataforge --help' for usage.");
            return ExitCodes.Usage;
        }
        try
        {
            return parse.Invoke(new InvocationConfiguration { EnableDefaultExceptionHandler = false, Output = stdout, Error = stderr });
        }
        catch (Exception ex)
        {
            return Report(ex, stderr, parse.GetValue(verbose));
        }
    }

    /// <summary>Turns an exception into one message and an exit code; a stack trace only with <paramref name="verbose"/>.</summary>
    public static int Report(Exception ex, TextWriter stderr, bool verbose = false)
    {
        if (verbose) stderr.WriteLine(ex.ToString());
        switch (ex)
        {
            case OutputLockedException:
                stderr.WriteLine($"error: {ex.Message}");
                return ExitCodes.Busy;
            case ConfigException ce:
                foreach (var e in ce.Errors) stderr.WriteLine(e.ToString());
                return ExitCodes.Usage;
            case DataForge.Execution.Slurm.SlurmException:
                stderr.WriteLine($"error: {ex.Message}");
                return ExitCodes.Failure;
            case RunSetupException or FileNotFoundException or CliUsageException or PluginException:
                stderr.WriteLine($"error: {ex.Message}");
                return ExitCodes.Usage;
            case InputException or IOException or UnauthorizedAccessException or InvalidDataException:
                stderr.WriteLine($"error: {ex.Message}");
                return ExitCodes.Failure;
            case OperationCanceledException:
                stderr.WriteLine("cancelled");
                return ExitCodes.Failure;
            default:
                // An error no command anticipated: one line, and where to find the details.
                stderr.WriteLine($"error: {ex.Message} ({ex.GetType().Name}{(verbose ? "" : "; run again with --verbose for the stack trace")})");
                return ExitCodes.Failure;
        }
    }
}

/// <summary>Bad command-line usage detected after parsing (exit code 2).</summary>
public sealed class CliUsageException(string message) : Exception(message);

/// <summary>Where commands write, and whether a live terminal display is allowed.</summary>
public sealed record CliIO(TextWriter Out, TextWriter Err, bool Interactive);
