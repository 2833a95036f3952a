using System.Text;

namespace DataForge.Quality.Tests;

/// <summary>Generated good (explanatory prose) and bad (boilerplate, spam) documents for training tests.</summary>
public static class QualityData
{
    static readonly string[] Subjects = ["The cell", "Photosynthesis", "The economy", "A river", "The theorem", "Gravity", "The enzyme", "Evolution", "The algorithm", "Democracy"];
    static readonly string[] Verbs = ["explains", "depends on", "converts", "describes", "reduces", "requires", "produces", "follows from", "measures", "balances"];
    static readonly string[] Objects = ["energy in the system", "the rate of change", "light into chemical energy", "the structure of proteins", "supply and demand", "the flow of water", "a simple proof", "natural selection", "the input size", "competing interests"];
    static readonly string[] Connectives = ["Therefore,", "However,", "For example,", "In contrast,", "As a result,", "Because of this,"];
    static readonly string[] Junk = ["Click here", "Buy now!!!", "Accept all cookies", "Login | Register", "© 2021 All rights reserved", "Subscribe to our newsletter", "cheap pills online", "Home » Blog » Tag", "FREE SHIPPING", "Casino bonus 100%", "Share on Facebook", "Read more >>", "Privacy Policy", "Next page"];

    public static string Good(Random rng)
    {
        var sb = new StringBuilder();
        int sentences = rng.Next(3, 12);
        for (int i = 0; i < sentences; i++)
        {
            if (i > 0) sb.Append(rng.Next(4) == 0 ? "\n\n" : " ");
            if (i > 0 && rng.Next(3) == 0) sb.Append(Connectives[rng.Next(Connectives.Length)]).Append(' ');
            sb.Append(Subjects[rng.Next(Subjects.Length)]).Append(' ').Append(Verbs[rng.Next(Verbs.Length)]).Append(' ').Append(Objects[rng.Next(Objects.Length)]);
            if (rng.Next(5) == 0) sb.Append(", which ").Append(Verbs[rng.Next(Verbs.Length)]).Append(' ').Append(Objects[rng.Next(Objects.Length)]);
            sb.Append('.');
        }
        return sb.ToString();
    }

    public static string Bad(Random rng)
    {
        var sb = new StringBuilder();
        int lines = rng.Next(3, 15);
        for (int i = 0; i < lines; i++)
        {
            if (i > 0) sb.Append('\n');
            sb.Append(rng.Next(6) == 0 ? Subjects[rng.Next(Subjects.Length)] + " " + Objects[rng.Next(Objects.Length)] : Junk[rng.Next(Junk.Length)]);
            if (rng.Next(3) == 0) sb.Append(' ').Append(rng.Next(10000));
        }
        return sb.ToString();
    }

    public static (List<byte[]> Pos, List<byte[]> Neg) Make(int n, int seed)
    {
        var rng = new Random(seed);
        var pos = new List<byte[]>();
        var neg = new List<byte[]>();
        for (int i = 0; i < n; i++)
        {
            // A little label noise keeps the task from being trivially separable.
            pos.Add(Encoding.UTF8.GetBytes(rng.Next(20) == 0 ? Bad(rng) : Good(rng)));
            neg.Add(Encoding.UTF8.GetBytes(rng.Next(20) == 0 ? Good(rng) : Bad(rng)));
        }
        return (pos, neg);
    }

    public static string Jsonl(IEnumerable<byte[]> docs, string prefix)
    {
        var sb = new StringBuilder();
        int i = 0;
        foreach (var d in docs)
            sb.Append(System.Text.Json.JsonSerializer.Serialize(new { id = $"{prefix}{i++}", text = Encoding.UTF8.GetString(d) })).Append('\n');
        return sb.ToString();
    }
}
