using System.Globalization;
using DataForge.Determinism;
using DataForge.Configuration;

namespace DataForge.Synth;

/// <summary>An idiom lexicon: words with a frequency (0 when unknown), grouped for distractor choice.</summary>
public sealed class IdiomLexicon
{
    public IReadOnlyList<string> Words { get; }
    public IReadOnlyList<long> Frequencies { get; }
    /// <summary>Frequency band of each word (quartile by frequency among words of the same length; 0 when frequencies are unknown).</summary>
    public IReadOnlyList<int> Bands { get; }
    public AhoCorasick Matcher { get; }

    readonly Dictionary<string, int> _index = new(StringComparer.Ordinal);
    // (length, band) -> word ids; (length, char) -> word ids; length -> word ids
    readonly Dictionary<(int, int), int[]> _byBand;
    readonly Dictionary<(int, char), int[]> _byChar;
    readonly Dictionary<int, int[]> _byLength;

    public IdiomLexicon(IReadOnlyList<(string Word, long Freq)> entries)
    {
        var words = new List<string>();
        var freqs = new List<long>();
        foreach (var (w, f) in entries)
            if (_index.TryAdd(w, words.Count)) { words.Add(w); freqs.Add(f); }
        Words = words;
        Frequencies = freqs;
        var bands = new int[words.Count];
        _byLength = Enumerable.Range(0, words.Count).GroupBy(i => words[i].Length).ToDictionary(g => g.Key, g => g.ToArray());
        foreach (var (_, ids) in _byLength)
        {
            var ranked = ids.OrderBy(i => freqs[i]).ThenBy(i => words[i], StringComparer.Ordinal).ToArray();
            bool known = ranked.Any(i => freqs[i] > 0);
            for (int r = 0; r < ranked.Length; r++) bands[ranked[r]] = known ? r * 4 / ranked.Length : 0;
        }
        Bands = bands;
        _byBand = Enumerable.Range(0, words.Count).GroupBy(i => (words[i].Length, bands[i])).ToDictionary(g => g.Key, g => g.ToArray());
        _byChar = Enumerable.Range(0, words.Count).SelectMany(i => words[i].Distinct().Select(c => (Key: (words[i].Length, c), Id: i)))
            .GroupBy(x => x.Key).ToDictionary(g => g.Key, g => g.Select(x => x.Id).ToArray());
        Matcher = new AhoCorasick(words);
    }

    public int Count => Words.Count;

    public int IndexOf(string word) => _index.GetValueOrDefault(word, -1);

    /// <summary>
    /// Three distractors for <paramref name="answer"/>: words of the same length, never the answer or
    /// an excluded word, preferring ones that share characters with the answer and are in its
    /// frequency band. Null when the lexicon has too few words of that length.
    /// </summary>
    public int[]? Distractors(int answer, IReadOnlySet<int> excluded, ref SplitMix64 rng, int count = 3)
    {
        string a = Words[answer];
        int len = a.Length, band = Bands[answer];
        var chosen = new List<int>(count);
        bool Ok(int id) => id != answer && !excluded.Contains(id) && !chosen.Contains(id);

        // Tier 1 and 2: sharing characters (same band first).
        var sharing = new List<int>();
        var seen = new HashSet<int>();
        foreach (char c in a.Distinct())
            if (_byChar.TryGetValue((len, c), out var ids))
                foreach (int id in ids) if (seen.Add(id) && Ok(id)) sharing.Add(id);
        if (sharing.Count > 0)
        {
            sharing.Sort();
            rng.Shuffle(sharing, BoundedDraw.MultiplyHigh);
            foreach (int id in sharing) if (chosen.Count < count && Bands[id] == band) chosen.Add(id);
            foreach (int id in sharing) if (chosen.Count < count && Ok(id)) chosen.Add(id);
        }
        // Tier 3 and 4: same band, then any word of that length (random probes, then a scan).
        if (chosen.Count < count && _byBand.TryGetValue((len, band), out var same)) Fill(same, chosen, count, Ok, ref rng);
        if (chosen.Count < count && _byLength.TryGetValue(len, out var all)) Fill(all, chosen, count, Ok, ref rng);
        return chosen.Count == count ? [.. chosen] : null;
    }

    static void Fill(int[] pool, List<int> chosen, int count, Func<int, bool> ok, ref SplitMix64 rng)
    {
        for (int probe = 0; probe < 64 && chosen.Count < count; probe++)
        {
            int id = pool[rng.NextInt(pool.Length)];
            if (ok(id)) chosen.Add(id);
        }
        if (chosen.Count < count)
        {
            int start = rng.NextInt(pool.Length);
            for (int k = 0; k < pool.Length && chosen.Count < count; k++)
            {
                int id = pool[(start + k) % pool.Length];
                if (ok(id)) chosen.Add(id);
            }
        }
    }

    /// <summary>
    /// Loads a lexicon: <c>lines</c> (one word per line; anything after whitespace is ignored; # comments)
    /// or <c>jieba</c> (<c>word freq pos</c>, keeping POS <c>i</c>).
    /// </summary>
    public static IdiomLexicon Load(string path, string format, string option = "lexicon")
    {
        if (!File.Exists(path)) throw new OptionException(option, $"file not found: {path}");
        var entries = new List<(string, long)>();
        int lineNo = 0;
        foreach (var raw in File.ReadLines(path))
        {
            lineNo++;
            string line = raw.Trim().TrimStart('\uFEFF');
            if (line.Length == 0 || line.StartsWith('#')) continue;
            var parts = line.Split([' ', '\t'], StringSplitOptions.RemoveEmptyEntries);
            if (format == "jieba")
            {
                if (parts.Length < 2 || !long.TryParse(parts[1], NumberStyles.None, CultureInfo.InvariantCulture, out long freq))
                    throw new OptionException(option, $"{path}:{lineNo}: expected 'word frequency pos' (jieba dict.txt), found \"{Shorten(line)}\"");
                if (parts.Length >= 3 && parts[2] == "i") entries.Add((parts[0], freq));
            }
            else entries.Add((parts[0], 0));
        }
        if (entries.Count < 4)
            throw new OptionException(option, $"{path}: expected at least 4 idioms{(format == "jieba" ? " with POS 'i'" : "")}, found {entries.Count}");
        return new IdiomLexicon(entries);
    }

    static string Shorten(string s) => s.Length <= 60 ? s : s[..60] + "…";
}
