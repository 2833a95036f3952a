using System.Reflection;
using DataForge.Configuration;

namespace DataForge.Filters;

/// <summary>Word lists: the ones DataForge ships (embedded) or files users give as options.</summary>
public static class WordLists
{
    /// <summary>Lines of a shipped list (e.g. "badwords-en.txt"), without comments and blanks.</summary>
    public static IReadOnlyList<string> Shipped(string name)
    {
        using var s = Assembly.GetExecutingAssembly().GetManifestResourceStream("DataForge.Lists." + name)
            ?? throw new InvalidOperationException($"shipped word list {name} is missing");
        using var r = new StreamReader(s);
        return Parse(r.ReadToEnd());
    }

    /// <summary>Lines of a user's list file; a missing file is an error on the option that names it.</summary>
    public static IReadOnlyList<string> FromFile(string path, string option)
    {
        if (!File.Exists(path)) throw new OptionException(option, $"file not found: {path}");
        return Parse(File.ReadAllText(path));
    }

    static List<string> Parse(string text) => text.Split('\n')
        .Select(l => l.Trim().TrimEnd('\r'))
        .Where(l => l.Length > 0 && !l.StartsWith('#'))
        .Select(l => l.ToLowerInvariant())
        .Distinct(StringComparer.Ordinal)
        .ToList();
}
