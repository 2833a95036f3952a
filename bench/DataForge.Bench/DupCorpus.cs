using System.Globalization;
using System.Text;
using System.Text.Json;

namespace DataForge.Bench;

/// <summary>
/// Generates a JSON Lines corpus with planted near-duplicates, deterministically: documents of
/// about 1 KB of prose over a 50,000-word vocabulary (skewed, letters only), and with probability
/// --dup-fraction a document is instead a copy of one of the last 20,000 originals with a random
/// share (0 to --max-edit) of its words substituted and a few inserted or deleted. Each record has
/// `id`, `text`, `url` and, for copies, `dup_of` (the original's id) and `edit` (the rate used).
/// </summary>
public static class DupCorpus
{
    public static int Generate(string[] args)
    {
        string? output = null;
        long docs = 0;
        int seed = 1;
        double dupFraction = 0.25, maxEdit = 0.1;
        for (int i = 0; i < args.Length; i++)
        {
            switch (args[i])
            {
                case "--out": output = args[++i]; break;
                case "--docs": docs = long.Parse(args[++i], CultureInfo.InvariantCulture); break;
                case "--seed": seed = int.Parse(args[++i], CultureInfo.InvariantCulture); break;
                case "--dup-fraction": dupFraction = double.Parse(args[++i], CultureInfo.InvariantCulture); break;
                case "--max-edit": maxEdit = double.Parse(args[++i], CultureInfo.InvariantCulture); break;
                default: Console.Error.WriteLine($"unknown argument {args[i]}"); return 2;
            }
        }
        if (output is null || docs <= 0) { Console.Error.WriteLine("--out and --docs are required"); return 2; }
        var rng = new Random(seed);
        var vocab = new string[50_000];
        var seen = new HashSet<string>(StringComparer.Ordinal);
        for (int v = 0; v < vocab.Length;)
        {
            int len = 2 + (int)(rng.NextDouble() * rng.NextDouble() * 10);
            var w = new StringBuilder();
            for (int k = 0; k < len; k++) w.Append((char)('a' + rng.Next(26)));
            if (seen.Add(w.ToString())) vocab[v++] = w.ToString();
        }
        int Word() => (int)(vocab.Length * Math.Pow(rng.NextDouble(), 2.5));
        const int Window = 20_000;
        var recent = new int[Window][];
        var recentIds = new long[Window];
        int recentCount = 0;
        using var fs = new FileStream(output, FileMode.Create, FileAccess.Write, FileShare.None, 1 << 20);
        var buffer = new System.Buffers.ArrayBufferWriter<byte>(1 << 16);
        using var json = new Utf8JsonWriter(buffer);
        var sb = new StringBuilder(4096);
        var words = new List<int>(512);
        for (long n = 0; n < docs; n++)
        {
            words.Clear();
            long dupOf = -1;
            double edit = 0;
            if (recentCount > 0 && rng.NextDouble() < dupFraction)
            {
                int pick = rng.Next(Math.Min(recentCount, Window));
                dupOf = recentIds[pick];
                edit = Math.Round(rng.NextDouble() * maxEdit, 4);
                foreach (int w in recent[pick])
                {
                    double u = rng.NextDouble();
                    if (u < edit * 0.8) words.Add(Word());
                    else if (u < edit * 0.9) continue;
                    else if (u < edit) { words.Add(w); words.Add(Word()); }
                    else words.Add(w);
                }
            }
            else
            {
                int len = 120 + rng.Next(100);
                for (int k = 0; k < len; k++) words.Add(Word());
                recent[recentCount % Window] = [.. words];
                recentIds[recentCount % Window] = n;
                recentCount++;
            }
            sb.Clear();
            for (int k = 0; k < words.Count; k++)
            {
                string w = vocab[words[k]];
                if (k % 12 == 0) { sb.Append(char.ToUpperInvariant(w[0])); sb.Append(w, 1, w.Length - 1); }
                else sb.Append(w);
                sb.Append(k % 12 == 11 ? (k % 48 == 47 ? ".\n" : ". ") : k % 5 == 2 ? ", " : " ");
            }
            buffer.ResetWrittenCount();
            json.Reset(buffer);
            json.WriteStartObject();
            json.WriteString("id", $"doc-{n:D9}");
            json.WriteString("text", sb.ToString().TrimEnd());
            json.WriteString("url", $"https://site{n % 997}.example/{n}");
            if (dupOf >= 0) { json.WriteString("dup_of", $"doc-{dupOf:D9}"); json.WriteNumber("edit", edit); }
            json.WriteEndObject();
            json.Flush();
            fs.Write(buffer.WrittenSpan);
            fs.WriteByte((byte)'\n');
        }
        return 0;
    }
}
