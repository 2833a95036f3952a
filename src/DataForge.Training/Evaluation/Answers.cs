using System.Globalization;
using System.Text.RegularExpressions;

namespace DataForge.Training.Evaluation;

/// <summary>Taking the answer out of generated (or reference) text, and checking it: pure functions.</summary>
public static partial class Answers
{
    [GeneratedRegex(@"####\s*(-?[\d,]*\.?\d+)")]
    private static partial Regex Gsm8kMarker();

    [GeneratedRegex(@"-?\d[\d,]*(?:\.\d+)?(?:/\d+)?|-?\.\d+")]
    private static partial Regex Number();

    [GeneratedRegex(@"```[^\n]*\n(.*?)```", RegexOptions.Singleline)]
    private static partial Regex CodeBlock();

    /// <summary>
    /// The answer in <paramref name="text"/>: <c>gsm8k</c> takes the number after "####" (GSM8K's convention),
    /// else the last number; <c>last_number</c> the last number; <c>regex</c> the first group of the first match;
    /// <c>code_block</c> the content of the last fenced block; <c>none</c> the text. Trimmed; empty when absent.
    /// </summary>
    public static string Extract(string text, string how, string? regex = null)
    {
        switch (how)
        {
            case "gsm8k":
                var m = Gsm8kMarker().Match(text);
                return m.Success ? m.Groups[1].Value.Trim() : LastNumber(text);
            case "last_number":
                return LastNumber(text);
            case "regex":
                var r = Regex.Match(text, regex!, RegexOptions.None, TimeSpan.FromSeconds(1)); // cached by the Regex class
                return r.Success ? (r.Groups.Count > 1 ? r.Groups[1].Value : r.Value).Trim() : "";
            case "code_block":
                var blocks = CodeBlock().Matches(text);
                return blocks.Count > 0 ? blocks[^1].Groups[1].Value.Trim() : "";
            default:
                return text.Trim();
        }
    }

    static string LastNumber(string text)
    {
        var all = Number().Matches(text);
        return all.Count > 0 ? all[^1].Value : "";
    }

    /// <summary>Whether two extracted answers agree: <c>exact</c> compares the strings, <c>numeric</c> the numbers (commas ignored, fractions allowed).</summary>
    public static bool Matches(string predicted, string gold, string how)
    {
        if (how != "numeric") return predicted.Trim() == gold.Trim();
        return ParseNumber(predicted) is { } a && ParseNumber(gold) is { } b && Math.Abs(a - b) <= 1e-6 * Math.Max(1, Math.Abs(b));
    }

    /// <summary>A number such as "1,234", "-3.5", ".5" or "7/2"; null when the text is not one.</summary>
    public static double? ParseNumber(string s)
    {
        s = s.Trim().Replace(",", "", StringComparison.Ordinal).TrimEnd('.');
        if (s.Length == 0) return null;
        int slash = s.IndexOf('/');
        if (slash > 0)
            return double.TryParse(s[..slash], NumberStyles.Float, CultureInfo.InvariantCulture, out double p)
                && double.TryParse(s[(slash + 1)..], NumberStyles.Float, CultureInfo.InvariantCulture, out double q) && q != 0 ? p / q : null;
        return double.TryParse(s, NumberStyles.Float, CultureInfo.InvariantCulture, out double v) ? v : null;
    }

    /// <summary>Where the earliest stop sequence starts in <paramref name="text"/>, or -1.</summary>
    public static int StopAt(string text, IReadOnlyList<string> stops)
    {
        int best = -1;
        foreach (var s in stops)
        {
            if (s.Length == 0) continue;
            int i = text.IndexOf(s, StringComparison.Ordinal);
            if (i >= 0 && (best < 0 || i < best)) best = i;
        }
        return best;
    }
}
