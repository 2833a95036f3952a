using System.Globalization;

namespace DataForge.Cli;

public static class Program
{
    public static int Main(string[] args)
    {
        // Generated text, metrics and reports must not depend on the machine's locale (sv-SE writes "−5" for -5).
        CultureInfo.DefaultThreadCurrentCulture = CultureInfo.InvariantCulture;
        CultureInfo.CurrentCulture = CultureInfo.InvariantCulture;
        return DataForgeCli.Run(args, Console.Out, Console.Error, interactive: !Console.IsOutputRedirected && !Console.IsErrorRedirected);
    }
}
