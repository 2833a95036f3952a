using System.Globalization;
using System.IO.Compression;
using System.Net;
using System.Text;
using System.Text.Encodings.Web;
using System.Text.Json;
using System.Text.RegularExpressions;

namespace DataForge.Bench;

/// <summary>
/// Labelled good-vs-bad text for the quality-classifier benchmark, built from real text shipped in Debian packages.
/// Positives: prose paragraphs of the Python 3.11 documentation (python3.11-doc, reST sources), Perl's manual
/// and release notes (perl-doc, POD) and the Debian Reference (debian-reference-en, HTML), markup stripped, grouped into documents of
/// 35-150 words. Negatives, as many: real low-value text (Debian changelog entries, licence boilerplate from
/// /usr/share/doc/*/copyright) and realistic junk derived from the same vocabulary (scrambled "spun" copies of the
/// documentation prose, web boilerplate pages, keyword-stuffed spam). Deterministic for a seed; written as a fixed
/// 80/20 train/test split in JSONL (for DataForge) and fastText's format (for the peer).
/// </summary>
public static partial class QualityCorpus
{
    public static int Generate(string[] args)
    {
        string? outDir = null;
        int seed = 7;
        for (int i = 0; i < args.Length; i++)
        {
            switch (args[i])
            {
                case "--out": outDir = args[++i]; break;
                case "--seed": seed = int.Parse(args[++i], CultureInfo.InvariantCulture); break;
                default: Console.Error.WriteLine($"unknown argument {args[i]}"); return 2;
            }
        }
        if (outDir is null) { Console.Error.WriteLine("--out DIR is required"); return 2; }
        Directory.CreateDirectory(outDir);
        var rng = new Random(seed);

        var paragraphs = new List<List<string>>(); // per source file
        foreach (var f in Files("/usr/share/doc/python3.11/html/_sources", "*.rst.txt")) paragraphs.Add(Rst(File.ReadAllText(f)));
        foreach (var f in Files("/usr/share/perl/5.36.0/pod", "*.pod")) paragraphs.Add(Pod(File.ReadAllText(f)));
        foreach (var f in Files("/usr/share/doc/debian-reference-en/docs", "*.en.html")) paragraphs.Add(Html(File.ReadAllText(f)));
        if (paragraphs.Sum(p => p.Count) < 1000)
        {
            Console.Error.WriteLine("too little source text: install python3.11-doc perl-doc debian-reference-en");
            return 1;
        }
        var positives = new List<string>();
        foreach (var file in paragraphs)
        {
            var cur = new List<string>();
            int words = 0, target = rng.Next(35, 150);
            foreach (var p in file)
            {
                cur.Add(p);
                words += WordCount(p);
                if (words >= target)
                {
                    positives.Add(string.Join("\n\n", cur));
                    cur.Clear();
                    words = 0;
                    target = rng.Next(35, 150);
                }
            }
        }
        var vocabulary = positives.SelectMany(d => d.Split(' ', '\n')).Where(w => w.Length > 3 && w.All(char.IsLetter)).Distinct().Order(StringComparer.Ordinal).ToArray();
        var changelog = Changelogs();
        var licences = Licences();
        Console.Error.WriteLine($"positive documents: {positives.Count}; changelog entries {changelog.Count}, licence paragraphs {licences.Count}, vocabulary {vocabulary.Length}");

        var negatives = new List<(string Kind, string Text)>();
        for (int i = 0; i < positives.Count; i++)
        {
            int k = rng.Next(100);
            negatives.Add(k < 30 ? ("scrambled", Scramble(positives[rng.Next(positives.Count)], rng))
                : k < 55 ? ("changelog", Chunk(changelog, rng, 3, 12, "\n"))
                : k < 65 ? ("licence", Chunk(licences, rng, 1, 4, "\n\n"))
                : k < 85 ? ("boilerplate", Boilerplate(rng, vocabulary))
                : ("spam", Spam(rng, vocabulary)));
        }

        var pos = positives.Select(t => ("doc", t)).ToList();
        Shuffle(pos, rng);
        Shuffle(negatives, rng);
        int testPos = pos.Count / 5, testNeg = negatives.Count / 5;
        Write(Path.Combine(outDir, "test-pos.jsonl"), pos.Take(testPos), "pos");
        Write(Path.Combine(outDir, "train-pos.jsonl"), pos.Skip(testPos), "pos");
        Write(Path.Combine(outDir, "test-neg.jsonl"), negatives.Take(testNeg), "neg");
        Write(Path.Combine(outDir, "train-neg.jsonl"), negatives.Skip(testNeg), "neg");

        // fastText files: one document per line, line breaks as spaces (DCLM's preprocessing).
        var train = pos.Skip(testPos).Select(d => "__label__hq " + OneLine(d.Item2)).Concat(negatives.Skip(testNeg).Select(d => "__label__cc " + OneLine(d.Text))).ToList();
        Shuffle(train, rng);
        File.WriteAllLines(Path.Combine(outDir, "train.ft.txt"), train);
        var test = pos.Take(testPos).Select(d => (1, d.Item2)).Concat(negatives.Take(testNeg).Select(d => (0, d.Text))).ToList();
        File.WriteAllLines(Path.Combine(outDir, "test.txt"), test.Select(t => OneLine(t.Item2)));
        File.WriteAllLines(Path.Combine(outDir, "test-labels.txt"), test.Select(t => t.Item1.ToString(CultureInfo.InvariantCulture)));
        File.WriteAllLines(Path.Combine(outDir, "all.txt"), pos.Select(d => OneLine(d.Item2)).Concat(negatives.Select(d => OneLine(d.Text))));
        Console.Error.WriteLine($"wrote {pos.Count} positive and {negatives.Count} negative documents ({string.Join(", ", negatives.GroupBy(n => n.Kind).OrderBy(g => g.Key, StringComparer.Ordinal).Select(g => $"{g.Key} {g.Count()}"))}) to {outDir}");
        return 0;
    }

    static IEnumerable<string> Files(string dir, string pattern)
        => Directory.Exists(dir) ? Directory.EnumerateFiles(dir, pattern, SearchOption.AllDirectories).Order(StringComparer.Ordinal) : [];

    static int WordCount(string s) => s.Split((char[]?)null, StringSplitOptions.RemoveEmptyEntries).Length;

    static string OneLine(string s) => s.Replace('\n', ' ').Replace('\r', ' ');

    static void Shuffle<T>(List<T> l, Random rng)
    {
        for (int i = l.Count - 1; i > 0; i--)
        {
            int j = rng.Next(i + 1);
            (l[i], l[j]) = (l[j], l[i]);
        }
    }

    static void Write(string path, IEnumerable<(string, string)> docs, string prefix)
    {
        using var w = new StreamWriter(path, false, new UTF8Encoding(false));
        var o = new JsonSerializerOptions { Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping };
        int i = 0;
        foreach (var (kind, text) in docs)
            w.WriteLine(JsonSerializer.Serialize(new { id = $"{prefix}-{i++:D6}", kind, text }, o));
    }

    static IEnumerable<string> Blocks(string text) => BlankLines().Split(text.Replace("\r", "", StringComparison.Ordinal));

    static string Spaces(string s) => MultiSpace().Replace(s.Replace('\n', ' '), " ").Trim();

    /// <summary>Prose paragraphs of a reST file: no directives, literal blocks, headings or tables; roles reduced to their text.</summary>
    static List<string> Rst(string text)
    {
        var list = new List<string>();
        foreach (var b in Blocks(text))
        {
            if (b.Length == 0 || b[0] is ' ' or '\t' or '.' or '*' or '=' or '-' or '+' or '|' or '>') continue;
            var lines = b.Split('\n');
            if (lines.Any(l => l.Length > 2 && l.All(c => c is '=' or '-' or '*' or '~' or '^' or '#'))) continue;
            string p = Spaces(b);
            p = RstRole().Replace(p, m => RoleText(m.Groups[1].Value));
            p = p.Replace("``", "", StringComparison.Ordinal).Replace("`_", "", StringComparison.Ordinal).Replace("`", "", StringComparison.Ordinal).Replace("**", "", StringComparison.Ordinal);
            if (p.EndsWith("::", StringComparison.Ordinal)) p = p[..^1];
            if (WordCount(p) >= 15) list.Add(p);
        }
        return list;
    }

    static string RoleText(string inner)
    {
        inner = inner.TrimStart('!', '~');
        int lt = inner.IndexOf(" <", StringComparison.Ordinal);
        return lt > 0 ? inner[..lt] : inner;
    }

    /// <summary>Prose paragraphs of a POD file: no commands or verbatim blocks; formatting codes reduced to their text.</summary>
    static List<string> Pod(string text)
    {
        var list = new List<string>();
        bool skip = false;
        foreach (var b in Blocks(text))
        {
            if (b.StartsWith("=begin", StringComparison.Ordinal)) skip = true;
            if (b.StartsWith("=end", StringComparison.Ordinal)) { skip = false; continue; }
            if (skip || b.Length == 0 || b[0] is ' ' or '\t' or '=') continue;
            string p = Spaces(b);
            for (int k = 0; k < 3; k++) p = PodCode().Replace(p, m => m.Groups[1].Value.Split('|')[0]);
            if (WordCount(p) >= 15) list.Add(p);
        }
        return list;
    }

    static List<string> Html(string text)
    {
        var list = new List<string>();
        foreach (Match m in HtmlParagraph().Matches(text))
        {
            string p = Spaces(WebUtility.HtmlDecode(Tag().Replace(m.Groups[1].Value, "")));
            if (WordCount(p) >= 15) list.Add(p);
        }
        return list;
    }

    /// <summary>Entries of Debian changelogs (real, terse, list-like text).</summary>
    static List<string> Changelogs()
    {
        var entries = new List<string>();
        foreach (var f in Directory.EnumerateFiles("/usr/share/doc", "changelog.Debian.gz", SearchOption.AllDirectories).Order(StringComparer.Ordinal))
        {
            try
            {
                using var r = new StreamReader(new GZipStream(File.OpenRead(f), CompressionMode.Decompress));
                string all = r.ReadToEnd();
                foreach (var e in all.Split("\n\n", StringSplitOptions.RemoveEmptyEntries).Take(40))
                    if (e.Trim().Length > 20) entries.Add(e.Trim());
            }
            catch (InvalidDataException)
            {
            }
        }
        return entries;
    }

    /// <summary>Paragraphs of licence boilerplate from Debian copyright files.</summary>
    static List<string> Licences()
    {
        var list = new List<string>();
        foreach (var f in Directory.EnumerateFiles("/usr/share/doc", "copyright", SearchOption.AllDirectories).Order(StringComparer.Ordinal))
            foreach (var b in Blocks(File.ReadAllText(f)))
                if (WordCount(b) >= 10) list.Add(b.Trim());
        return list.Distinct().ToList();
    }

    static string Chunk(List<string> items, Random rng, int min, int max, string sep)
    {
        int start = rng.Next(items.Count), n = rng.Next(min, max + 1);
        return string.Join(sep, Enumerable.Range(0, n).Select(i => items[(start + i) % items.Count]));
    }

    /// <summary>"Spun" text: the words of a real document shuffled within windows of 3-8 words.</summary>
    static string Scramble(string doc, Random rng)
    {
        var words = doc.Replace("\n\n", " ", StringComparison.Ordinal).Split(' ', StringSplitOptions.RemoveEmptyEntries);
        for (int i = 0; i < words.Length;)
        {
            int w = rng.Next(3, 9);
            int end = Math.Min(words.Length, i + w);
            for (int a = end - 1; a > i; a--)
            {
                int b = rng.Next(i, a + 1);
                (words[a], words[b]) = (words[b], words[a]);
            }
            i = end;
        }
        return string.Join(' ', words);
    }

    static readonly string[] Nav = ["Home", "About us", "Contact", "Blog", "Shop", "Login", "Register", "My account", "Cart (0)", "FAQ", "Sitemap", "Careers", "Press", "Help center", "Search"];
    static readonly string[] Footer = ["© {0} {1} Ltd. All rights reserved.", "Privacy Policy | Terms of Use | Cookie settings", "This website uses cookies to ensure you get the best experience on our website. Learn more", "Accept all cookies", "Subscribe to our newsletter and get 10% off your first order!", "Follow us on Facebook, Twitter and Instagram", "Powered by WordPress", "Back to top ↑", "Page {2} of {3}", "« Previous | Next »", "Share this: Facebook · Twitter · Email", "Related posts:", "Leave a comment", "Your email address will not be published. Required fields are marked *"];

    static string Cap(string w) => char.ToUpperInvariant(w[0]) + w[1..];

    static string Boilerplate(Random rng, string[] vocab)
    {
        var sb = new StringBuilder();
        string brand = Cap(vocab[rng.Next(vocab.Length)]) + Cap(vocab[rng.Next(vocab.Length)]);
        int navs = rng.Next(3, 9);
        for (int i = 0; i < navs; i++) sb.Append(Nav[rng.Next(Nav.Length)]).Append('\n');
        int items = rng.Next(2, 10);
        for (int i = 0; i < items; i++)
        {
            string title = string.Join(' ', Enumerable.Range(0, rng.Next(2, 6)).Select(_ => Cap(vocab[rng.Next(vocab.Length)])));
            sb.Append(rng.Next(3) switch
            {
                0 => $"{title} - ${rng.Next(5, 500)}.{rng.Next(100):D2} Add to cart",
                1 => $"{title} ({rng.Next(1, 300)})",
                _ => $"{title} » Read more",
            }).Append('\n');
        }
        int foot = rng.Next(2, 7);
        for (int i = 0; i < foot; i++)
            sb.Append(string.Format(CultureInfo.InvariantCulture, Footer[rng.Next(Footer.Length)], 2000 + rng.Next(25), brand, rng.Next(1, 20), rng.Next(20, 90))).Append('\n');
        return sb.ToString().TrimEnd();
    }

    static readonly string[] SpamPhrases = ["best", "cheap", "buy", "online", "free", "discount", "top 10", "review", "near me", "2024", "deal", "sale", "official site", "lowest price", "fast shipping", "no prescription", "click here"];

    static string Spam(Random rng, string[] vocab)
    {
        var keywords = Enumerable.Range(0, rng.Next(2, 5)).Select(_ => vocab[rng.Next(vocab.Length)].ToLowerInvariant()).ToArray();
        var sb = new StringBuilder();
        int n = rng.Next(8, 40);
        for (int i = 0; i < n; i++)
        {
            if (i > 0) sb.Append(rng.Next(4) == 0 ? "\n" : rng.Next(2) == 0 ? ", " : " ");
            sb.Append(SpamPhrases[rng.Next(SpamPhrases.Length)]).Append(' ').Append(keywords[rng.Next(keywords.Length)]);
            if (rng.Next(3) == 0) sb.Append(' ').Append(SpamPhrases[rng.Next(SpamPhrases.Length)]);
            if (rng.Next(5) == 0) sb.Append("!!!");
        }
        return sb.ToString();
    }

    [GeneratedRegex(@"\n[ \t]*\n+")] private static partial Regex BlankLines();
    [GeneratedRegex(@"\s+")] private static partial Regex MultiSpace();
    [GeneratedRegex(@":[a-z:]+:`([^`]*)`")] private static partial Regex RstRole();
    [GeneratedRegex(@"[BCEFILSXZ]<+\s*([^<>]*?)\s*>+")] private static partial Regex PodCode();
    [GeneratedRegex(@"<p>(.*?)</p>", RegexOptions.Singleline)] private static partial Regex HtmlParagraph();
    [GeneratedRegex(@"<[^>]+>")] private static partial Regex Tag();
}
