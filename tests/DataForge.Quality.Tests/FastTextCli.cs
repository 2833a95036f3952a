using System.Diagnostics;
using System.Globalization;
using System.Text;

namespace DataForge.Quality.Tests;

/// <summary>Runs Debian's fastText CLI (installed by .ci/run) and generates labelled text for it.</summary>
public static class FastTextCli
{
    public static string Run(params string[] args)
    {
        var psi = new ProcessStartInfo("fasttext") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (var a in args) psi.ArgumentList.Add(a);
        Process p;
        try
        {
            p = Process.Start(psi)!;
        }
        catch (System.ComponentModel.Win32Exception ex)
        {
            throw new InvalidOperationException("the fastText CLI is needed for this test: apt-get install fasttext (.ci/run does it)", ex);
        }
        var stderr = p.StandardError.ReadToEndAsync();
        string stdout = p.StandardOutput.ReadToEnd();
        p.WaitForExit();
        if (p.ExitCode != 0) throw new InvalidOperationException($"fasttext {string.Join(' ', args)} failed ({p.ExitCode}): {stderr.Result}");
        return stdout;
    }

    /// <summary>predict-prob output, one dictionary label -> probability per input line.</summary>
    public static List<Dictionary<string, double>> PredictProb(string model, string input)
    {
        var result = new List<Dictionary<string, double>>();
        foreach (var line in Run("predict-prob", model, input, "-1").Split('\n'))
        {
            if (line.Length == 0) continue;
            var parts = line.Split(' ', StringSplitOptions.RemoveEmptyEntries);
            var d = new Dictionary<string, double>();
            for (int i = 0; i + 1 < parts.Length; i += 2) d[parts[i]] = double.Parse(parts[i + 1], CultureInfo.InvariantCulture);
            result.Add(d);
        }
        return result;
    }

    static readonly string[] Good = ["the", "theory", "explains", "energy", "cells", "because", "however", "therefore", "students", "history", "science", "protein", "equation", "analysis", "evidence", "résumé", "naïve", "études", "数据", "模型", "学习", "water", "river", "of", "and", "a", "is"];
    static readonly string[] Bad = ["click", "here", "buy", "now", "cheap", "free", "login", "cookies", "accept", "subscribe", "©", "»", "home", "|", "menu", "casino", "deal", "!!!", "$$$", "of", "and", "a", "is", "the", "wow", "lol"];

    /// <summary>A document of mostly class-typical words, with noise, numbers and made-up words (out of vocabulary at test time).</summary>
    public static string Document(Random rng, int label, bool unseen = false)
    {
        var own = label == 1 ? Good : Bad;
        var other = label == 1 ? Bad : Good;
        int n = rng.Next(3, 60);
        var sb = new StringBuilder();
        for (int i = 0; i < n; i++)
        {
            if (i > 0) sb.Append(rng.Next(12) == 0 ? "  " : rng.Next(20) == 0 ? "\t" : " ");
            int r = rng.Next(100);
            string w = r < 70 ? own[rng.Next(own.Length)] : r < 85 ? other[rng.Next(other.Length)]
                : r < 92 ? rng.Next(1000).ToString(CultureInfo.InvariantCulture)
                : (unseen ? "zq" : "xw") + own[rng.Next(own.Length)] + rng.Next(50).ToString(CultureInfo.InvariantCulture);
            sb.Append(w);
        }
        return sb.ToString();
    }

    /// <summary>fastText training lines: "__label__X text".</summary>
    public static string TrainingFile(string path, int n, int seed, string[] labels)
    {
        var rng = new Random(seed);
        var sb = new StringBuilder();
        for (int i = 0; i < n; i++)
        {
            int y = rng.Next(2);
            sb.Append(labels[y == 1 ? 0 : Math.Min(labels.Length - 1, 1 + rng.Next(labels.Length - 1))]).Append(' ').Append(Document(rng, y)).Append('\n');
        }
        File.WriteAllText(path, sb.ToString(), new UTF8Encoding(false));
        return path;
    }
}
