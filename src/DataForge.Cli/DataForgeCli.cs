using System.CommandLine;
using DataForge.Execution;
using DataForge.Pipelines;
using DataForge.Stages;

namespace DataForge.Cli;

/// <summary>Exit codes (DESIGN.md): 0 ok, 1 failure at run time, 2 bad usage or invalid config.</summary>
public static class ExitCodes
{
    public const int Ok = 0;
    public const int Failure = 1;
    public const int Usage = 2;
}

/// <summary>The <c>dataforge</c> command line, runnable in-process (tests pass their own writers).</summary>
public static class DataForgeCli
{
    /// <summary>Every stage the command line knows, from every DataForge assembly it ships with.</summary>
    public static StageRegistry Registry { get; } = StageRegistry.Core.With(
        typeof(DataForge.Quality.Stages.QualityScoreStage).Assembly, typeof(DataForge.Tokenization.TokensSink).Assembly);

    public static int Run(string[] args, TextWriter stdout, TextWriter stderr, bool interactive = false)
    {
        var io = new CliIO(stdout, stderr, interactive);
        var root = new RootCommand("DataForge: curate raw text into pretraining corpora and train small language models on them.");
        foreach (var c in new[]
                 {
                     RunCommand.Build(io), ValidateCommand.Build(io), StagesCommand.Build(io), SchemaCommand.Build(io),
                     InspectCommand.Build(io), ReportCommand.Build(io), QualityCommand.Build(io), TokenizerCommand.Build(io), MixCommand.Build(io), TrainCommand.Build(io), GenerateCommand.Build(io),
                 })
            root.Subcommands.Add(c);
        var parse = root.Parse(args);
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
            return Report(ex, stderr);
        }
    }

    /// <summary>Turns an exception into a message and an exit code; stack traces only for real bugs.</summary>
    public static int Report(Exception ex, TextWriter stderr)
    {
        switch (ex)
        {
            case ConfigException ce:
                foreach (var e in ce.Errors) stderr.WriteLine(e.ToString());
                return ExitCodes.Usage;
            case RunSetupException or FileNotFoundException or CliUsageException:
                stderr.WriteLine($"error: {ex.Message}");
                return ExitCodes.Usage;
            case InputException or IOException or UnauthorizedAccessException:
                stderr.WriteLine($"error: {ex.Message}");
                return ExitCodes.Failure;
            case OperationCanceledException:
                stderr.WriteLine("cancelled");
                return ExitCodes.Failure;
            default:
                stderr.WriteLine($"error: {ex.GetType().Name}: {ex.Message}");
                stderr.WriteLine(ex.StackTrace);
                return ExitCodes.Failure;
        }
    }
}

/// <summary>Bad command-line usage detected after parsing (exit code 2).</summary>
public sealed class CliUsageException(string message) : Exception(message);

/// <summary>Where commands write, and whether a live terminal display is allowed.</summary>
public sealed record CliIO(TextWriter Out, TextWriter Err, bool Interactive);
