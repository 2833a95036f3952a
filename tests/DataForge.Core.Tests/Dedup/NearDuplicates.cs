using System.IO.Hashing;
using System.Text;
using DataForge.Dedup;

namespace DataForge.Tests.Dedup;

/// <summary>
/// Generated near-duplicate data: random documents over a letters-only vocabulary, copies with a
/// controlled rate of word substitutions, and the true word 5-gram Jaccard of any two texts,
/// computed directly on the normalised words (independently of the MinHash code).
/// </summary>
public sealed class NearDuplicates
{
    readonly Random _rng;
    readonly string[] _vocab;

    public NearDuplicates(int seed, int vocabulary = 8000)
    {
        _rng = new Random(seed);
        var set = new HashSet<string>(StringComparer.Ordinal);
        while (set.Count < vocabulary)
        {
            int len = _rng.Next(2, 9);
            var sb = new StringBuilder();
            for (int i = 0; i < len; i++) sb.Append((char)('a' + _rng.Next(26)));
            set.Add(sb.ToString());
        }
        _vocab = [.. set.Order(StringComparer.Ordinal)];
    }

    public Random Rng => _rng;

    public string[] Document(int words) => Enumerable.Range(0, words).Select(_ => _vocab[_rng.Next(_vocab.Length)]).ToArray();

    /// <summary>A copy with each word replaced by a random one with probability <paramref name="rate"/>.</summary>
    public string[] Mutate(string[] words, double rate) => words.Select(w => _rng.NextDouble() < rate ? _vocab[_rng.Next(_vocab.Length)] : w).ToArray();

    /// <summary>Renders words as prose with some capitals and punctuation (which the normalisation removes).</summary>
    public string Render(string[] words)
    {
        var sb = new StringBuilder();
        for (int i = 0; i < words.Length; i++)
        {
            string w = words[i];
            if (i % 11 == 0) w = char.ToUpperInvariant(w[0]) + w[1..];
            sb.Append(w);
            sb.Append(i % 11 == 10 ? ". " : i % 7 == 3 ? ", " : " ");
        }
        return sb.ToString().TrimEnd();
    }

    /// <summary>Sorted distinct hashes of the word n-grams (words joined by a space) of the normalised text.</summary>
    public static ulong[] Shingles(string text, int n = 5)
    {
        var words = DedupNormalizer.Normalize(text).Split(' ', StringSplitOptions.RemoveEmptyEntries);
        var set = new HashSet<ulong>();
        if (words.Length < n) set.Add(XxHash64.HashToUInt64(Encoding.UTF8.GetBytes(string.Join(' ', words))));
        for (int i = 0; i + n <= words.Length; i++)
            set.Add(XxHash64.HashToUInt64(Encoding.UTF8.GetBytes(string.Join(' ', words, i, n))));
        var a = set.ToArray();
        Array.Sort(a);
        return a;
    }

    public static double Jaccard(ulong[] x, ulong[] y)
    {
        int i = 0, j = 0, inter = 0;
        while (i < x.Length && j < y.Length)
        {
            if (x[i] == y[j]) { inter++; i++; j++; }
            else if (x[i] < y[j]) i++;
            else j++;
        }
        int union = x.Length + y.Length - inter;
        return union == 0 ? 1 : (double)inter / union;
    }
}
