using System.Globalization;
using System.Text;
using System.Text.Encodings.Web;
using System.Text.Json;

namespace DataForge.Bench;

/// <summary>
/// Generates a web-crawl-like JSON Lines corpus of a given size, deterministically: prose paragraphs
/// from a vocabulary with a Zipf-like distribution, some boilerplate and list pages, occasional
/// non-ASCII (accents, CJK, curly quotes), CRLF and messy whitespace, ids, urls and extra fields.
/// </summary>
public static class WebCorpus
{
    static readonly string[] Common = "the of and to a in is that for it as was with be by on not he this are or his from at which but have an they you were her she there been one all we their has would when if so no will more can who its out up do what about some time into only other could them than then these two may now like very well first any over such our new even most after also made just many where those much before through back years way".Split(' ');
    static readonly string[] Content = "data model river system history water energy market city music science language school health research family computer network garden student season theory mountain village coffee travel festival software protocol harbour library museum bridge forest weather economy policy engine journey kitchen recipe patient doctor planet orbit galaxy ocean island desert winter summer harvest farmer painter novel chapter theatre election council budget factory railway airport vaccine protein molecule algorithm database server browser camera battery sensor robot satellite telescope".Split(' ');
    static readonly string[] Accented = ["café", "naïve", "résumé", "Zürich", "São Paulo", "façade", "jalapeño", "Müller", "“quoted”", "—", "…", "北京", "数据集", "東京", "€5"];
    static readonly string[] Boiler = ["Home", "About us", "Contact", "Privacy Policy", "Terms of Use", "This site uses cookies to improve your experience.", "Subscribe to our newsletter", "Share on Facebook", "Log in", "Sign up", "© 2024 All rights reserved."];

    public static int Generate(string[] args)
    {
        string? output = null;
        long mb = 0;
        int seed = 1;
        for (int i = 0; i < args.Length; i++)
        {
            switch (args[i])
            {
                case "--out": output = args[++i]; break;
                case "--mb": mb = long.Parse(args[++i], CultureInfo.InvariantCulture); break;
                case "--seed": seed = int.Parse(args[++i], CultureInfo.InvariantCulture); break;
                case "--low-vocabulary": LowVocabulary = true; break;
                default: Console.Error.WriteLine($"unknown argument {args[i]}"); return 2;
            }
        }
        if (output is null || mb <= 0) { Console.Error.WriteLine("--out and --mb are required"); return 2; }
        var rng = new Random(seed);
        long target = mb << 20, written = 0, n = 0;
        using var fs = new FileStream(output, FileMode.Create, FileAccess.Write, FileShare.None, 1 << 20);
        var options = new JsonWriterOptions { Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping };
        var sb = new StringBuilder(1 << 16);
        var buffer = new System.Buffers.ArrayBufferWriter<byte>(1 << 16);
        using var w = new Utf8JsonWriter(buffer, options);
        while (written < target)
        {
            sb.Clear();
            int kind = rng.Next(10);
            if (kind < 7) Prose(rng, sb);
            else if (kind < 9) Boilerplate(rng, sb);
            else List(rng, sb);
            buffer.ResetWrittenCount();
            w.Reset(buffer);
            w.WriteStartObject();
            w.WriteString("id", $"web-{n:D9}");
            w.WriteString("text", sb.ToString());
            w.WriteString("url", $"https://www.{Content[rng.Next(Content.Length)]}-{rng.Next(5000)}.com/{Content[rng.Next(Content.Length)]}/{n}");
            w.WriteString("date", $"2024-{1 + rng.Next(12):D2}-{1 + rng.Next(28):D2}");
            w.WriteNumber("crawl_score", Math.Round(rng.NextDouble(), 4));
            w.WriteEndObject();
            w.Flush();
            fs.Write(buffer.WrittenSpan);
            fs.WriteByte((byte)'\n');
            written += buffer.WrittenCount + 1;
            n++;
        }
        Console.WriteLine($"{output}: {n} documents, {written / 1e6:F1} MB");
        return 0;
    }

    // Content words follow a Zipf law over a large lexicon, as in real text: a few words are very
    // common and most are rare. The lexicon is the fixed list plus generated pronounceable words.
    static readonly string[] Lexicon = BuildLexicon(40_000);
    static readonly double[] ZipfCdf = BuildZipf(Lexicon.Length, 1.07);
    public static bool LowVocabulary { get; set; }

    static string[] BuildLexicon(int size)
    {
        var rng = new Random(12345);
        string[] onsets = ["b", "c", "d", "f", "g", "h", "j", "k", "l", "m", "n", "p", "r", "s", "t", "v", "w", "br", "cl", "dr", "fl", "gr", "pl", "pr", "sh", "st", "th", "tr", "ch", "sp"];
        string[] vowels = ["a", "e", "i", "o", "u", "ai", "ea", "ou", "io", "y"];
        string[] codas = ["", "", "n", "r", "s", "t", "l", "m", "nd", "st", "ng", "ck", "rt", "ss"];
        var words = new List<string>(Content);
        var seen = new HashSet<string>(words);
        while (words.Count < size)
        {
            int syllables = 1 + rng.Next(3) + (rng.Next(4) == 0 ? 1 : 0);
            var sb = new StringBuilder();
            for (int k = 0; k < syllables; k++) sb.Append(onsets[rng.Next(onsets.Length)]).Append(vowels[rng.Next(vowels.Length)]).Append(codas[rng.Next(codas.Length)]);
            if (seen.Add(sb.ToString())) words.Add(sb.ToString());
        }
        return [.. words];
    }

    static double[] BuildZipf(int n, double exponent)
    {
        var cdf = new double[n];
        double sum = 0;
        for (int i = 0; i < n; i++) { sum += 1 / Math.Pow(i + 1, exponent); cdf[i] = sum; }
        for (int i = 0; i < n; i++) cdf[i] /= sum;
        return cdf;
    }

    static string Word(Random rng)
    {
        double r = rng.NextDouble();
        if (r < 0.55) return Common[(int)(Common.Length * rng.NextDouble() * rng.NextDouble())];
        if (r < 0.995)
        {
            if (LowVocabulary) return Content[rng.Next(Content.Length)];
            int k = Array.BinarySearch(ZipfCdf, rng.NextDouble());
            return Lexicon[k < 0 ? ~k : k];
        }
        return Accented[rng.Next(Accented.Length)];
    }

    static void Prose(Random rng, StringBuilder sb)
    {
        int paragraphs = 1 + rng.Next(8);
        for (int p = 0; p < paragraphs; p++)
        {
            if (p > 0) sb.Append(rng.Next(20) == 0 ? "\r\n\r\n\r\n" : "\n\n");
            int sentences = 2 + rng.Next(7);
            for (int s = 0; s < sentences; s++)
            {
                if (s > 0) sb.Append(rng.Next(40) == 0 ? "  " : " ");
                int words = 6 + rng.Next(20);
                for (int k = 0; k < words; k++)
                {
                    string word = Word(rng);
                    if (k == 0) sb.Append(char.ToUpperInvariant(word[0])).Append(word, 1, word.Length - 1);
                    else sb.Append(' ').Append(word);
                    if (k > 2 && k < words - 2 && rng.Next(12) == 0) sb.Append(',');
                }
                sb.Append(rng.Next(15) == 0 ? '?' : '.');
            }
        }
    }

    static void Boilerplate(Random rng, StringBuilder sb)
    {
        int lines = 5 + rng.Next(30);
        for (int i = 0; i < lines; i++)
        {
            if (i > 0) sb.Append('\n');
            sb.Append(rng.Next(3) == 0 ? Boiler[rng.Next(Boiler.Length)] : Word(rng) + " " + Word(rng));
            if (rng.Next(10) == 0) sb.Append(" \t ");
        }
    }

    static void List(Random rng, StringBuilder sb)
    {
        int items = 3 + rng.Next(25);
        for (int i = 0; i < items; i++)
        {
            if (i > 0) sb.Append('\n');
            sb.Append(rng.Next(2) == 0 ? "• " : "- ");
            int words = 1 + rng.Next(8);
            for (int k = 0; k < words; k++) sb.Append(k > 0 ? " " : "").Append(Word(rng));
        }
    }
}
