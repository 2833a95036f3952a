using System.Diagnostics;
using System.Globalization;
using System.IO.Compression;
using System.Text;
using System.Text.Json;
using DataForge.Determinism;
using DataForge.Stages;
using DataForge.Synth;

namespace DataForge.Bench;

/// <summary>In-process measurements: generator items/s (per kind) and idiom matching MB/s.</summary>
static class SynthBench
{
    static string Arg(string[] args, string name, string fallback)
    {
        int i = Array.IndexOf(args, name);
        return i >= 0 && i + 1 < args.Length ? args[i + 1] : fallback;
    }

    /// <summary>synth-gen --count N: items/s of math_generate per kind and of list_dict_generate (one thread, no I/O).</summary>
    public static int Generate(string[] args)
    {
        long n = long.Parse(Arg(args, "--count", "200000"), CultureInfo.InvariantCulture);
        var init = new StageInit { Name = "bench", Type = "bench" };
        Console.WriteLine("| generator | kind | items | seconds | items/s | text MB/s (UTF-8) |");
        Console.WriteLine("|---|---|---|---|---|---|");
        foreach (var kind in MathItems.Kinds.Append("all"))
        {
            var g = new MathGenerateSource(new MathGenerateOptions { Count = n, Seed = 1, Kinds = kind == "all" ? null : [kind] }, init);
            Run("math_generate", kind, n, g);
        }
        Run("list_dict_generate", "all", n, new ListDictGenerateSource(new ListDictGenerateOptions { Count = n, Seed = 1 }, init));
        return 0;
    }

    static void Run(string gen, string kind, long n, GeneratorSource g)
    {
        for (long i = 0; i < 2000; i++) g.Item(i); // warm-up (JIT)
        long bytes = 0;
        var sw = Stopwatch.StartNew();
        for (long i = 0; i < n; i++) bytes += Encoding.UTF8.GetByteCount(g.Item(i).Text);
        double s = sw.Elapsed.TotalSeconds;
        Console.WriteLine($"| {gen} | {kind} | {n} | {s:F2} | {n / s:F0} | {bytes / 1e6 / s:F1} |");
    }

    /// <summary>idiom-match --lexicon FILE --format lines|jieba --input ZH.jsonl[.gz] [--synthetic N]: MB/s of Aho-Corasick counting and of full cloze generation.</summary>
    public static int IdiomMatch(string[] args)
    {
        string input = Arg(args, "--input", "");
        string lexPath = Arg(args, "--lexicon", "");
        string format = Arg(args, "--format", "lines");
        int synthetic = int.Parse(Arg(args, "--synthetic", "0"), CultureInfo.InvariantCulture);
        var texts = new List<string>();
        using (var s = input.EndsWith(".gz", StringComparison.Ordinal) ? (Stream)new GZipStream(File.OpenRead(input), CompressionMode.Decompress) : File.OpenRead(input))
        using (var r = new StreamReader(s))
            while (r.ReadLine() is { } line)
                if (line.Length > 0) texts.Add(JsonDocument.Parse(line).RootElement.GetProperty("text").GetString()!);
        long utf8 = texts.Sum(t => (long)Encoding.UTF8.GetByteCount(t));
        IdiomLexicon lex;
        if (synthetic > 0)
        {
            // The shipped idioms plus random 4-character CJK words, for a large automaton.
            var words = IdiomLexicon.Load(lexPath, format).Words.Select(w => (w, 0L)).ToList();
            var rng = new Random(3);
            while (words.Count < synthetic)
                words.Add((new string(Enumerable.Range(0, 4).Select(_ => (char)rng.Next(0x4E00, 0x9FA5)).ToArray()), 0L));
            lex = new IdiomLexicon(words);
        }
        else lex = IdiomLexicon.Load(lexPath, format);
        Console.Error.WriteLine($"{texts.Count} documents, {utf8 / 1e6:F1} MB UTF-8, lexicon {lex.Count} words");
        // Matching only (strings already decoded).
        long matches = 0;
        foreach (var t in texts.Take(200)) matches += lex.Matcher.Count(t);
        var sw = Stopwatch.StartNew();
        matches = 0;
        foreach (var t in texts) matches += lex.Matcher.Count(t);
        double match = sw.Elapsed.TotalSeconds;
        // Matching + sentence split + distractors (the stage's work without Arrow and I/O).
        var scratch = new List<(int, int)>();
        long questions = 0;
        sw.Restart();
        for (int i = 0; i < texts.Count; i++)
        {
            var rng = new SplitMix64(Seeds.DeriveForIndex(1, (ulong)i));
            questions += IdiomClozeRules.Make(texts[i], lex, 3, 300, new ContextRule(12, 160), ref rng, scratch, new ClozeSkips()).Count;
        }
        double cloze = sw.Elapsed.TotalSeconds;
        Console.WriteLine($"| {lex.Count} | {utf8 / 1e6:F0} | {matches} | {match:F2} | {utf8 / 1e6 / match:F0} | {questions} | {cloze:F2} | {utf8 / 1e6 / cloze:F0} |");
        return 0;
    }
}
