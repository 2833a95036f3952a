using Xunit.Abstractions;
using System.Text;
using System.Text.Json;
using DataForge.Dedup;
using DataForge.Execution;
using static DataForge.Tests.Runs;

namespace DataForge.Tests.Dedup;

public class MinHashTests(ITestOutputHelper output)
{
    [Theory]
    [InlineData("Café  NAÏVE, 2024!", "cafe naive 0000")]
    [InlineData("  Hello,world...  foo\tbar\n", "hello world foo bar")]
    [InlineData("数据模型 v2", "数 据 模 型 v0")]
    [InlineData("Ünïcödé — “quotes”", "unicode quotes")]
    [InlineData("", "")]
    [InlineData("!!! ...", "")]
    public void Normalisation_follows_the_documented_rule(string input, string expected)
        => Assert.Equal(expected, DedupNormalizer.Normalize(input));

    [Fact]
    public void Hangul_which_grows_most_when_normalised_fits_the_buffer()
    {
        // A 3-byte syllable with a final consonant decomposes into three 3-byte jamo: 4 syllables and a space, 13 bytes, become 40.
        string text = string.Concat(Enumerable.Repeat("각난닫랄 ", 3000));
        var utf8 = System.Text.Encoding.UTF8.GetBytes(text);
        byte[] buffer = [];
        int n = DedupNormalizer.Normalize(utf8, ref buffer);
        Assert.True(n > utf8.Length * 3, $"{n} bytes from {utf8.Length}");
    }

    [Fact]
    public void Signature_is_the_minimum_of_each_permutation_over_word_5gram_hashes()
    {
        var h = new MinHasher(5, 14, 8, 1);
        string text = DedupNormalizer.Normalize("One two three four five six seven, eight!");
        var sig = new ulong[h.BufferLength];
        Assert.Equal(4, h.Signature(Encoding.UTF8.GetBytes(text), sig));
        string[] words = text.Split(' ');
        var hashes = Enumerable.Range(0, words.Length - 4)
            .Select(i => System.IO.Hashing.XxHash64.HashToUInt64(Encoding.UTF8.GetBytes(string.Join(' ', words, i, 5)))).ToList();
        for (int p = 0; p < h.Count; p++)
        {
            ulong expected = hashes.Min(x => h.Permute(p, x));
            Assert.Equal(expected, sig[p]);
            Assert.True(expected < MinHasher.Prime);
        }
        // Fewer words than the n-gram size: one shingle of all words; no words: no signature.
        Assert.Equal(1, h.Signature("a b"u8, sig));
        Assert.Equal(0, h.Signature(""u8, sig));
    }

    [Fact]
    public void Permutations_use_a_wrapping_multiply_then_mod_mersenne_61()
    {
        var h = new MinHasher(5, 14, 8, 1);
        ulong x = ulong.MaxValue - 12345;
        var sig = new ulong[h.BufferLength];
        // A one-word text has one shingle: its hash.
        h.Signature("word"u8, sig);
        ulong hw = System.IO.Hashing.XxHash64.HashToUInt64("word"u8);
        for (int p = 0; p < h.Count; p++) Assert.Equal(h.Permute(p, hw), sig[p]);
        Assert.Equal(unchecked(x * 3 + 7) % MinHasher.Prime, unchecked(x * 3 + 7) % ((1UL << 61) - 1));
        // The seed fixes the permutations.
        var other = new MinHasher(5, 14, 8, 2);
        Assert.NotEqual(h.Permute(0, hw), other.Permute(0, hw));
        Assert.Equal(h.Permute(5, hw), new MinHasher(5, 14, 8, 1).Permute(5, hw));
    }

    [Fact]
    public void Match_probability_per_jaccard_band_follows_the_lsh_s_curve()
    {
        var gen = new NearDuplicates(11);
        var h = new MinHasher(5, 14, 8, 1);
        Assert.Equal(0.924, h.MatchProbability(0.8), 3);
        var bins = new (int Pairs, int Matches, double Expected, double Variance)[10];
        var sa = new ulong[h.BufferLength];
        var sb = new ulong[h.BufferLength];
        for (int k = 0; k < 4000; k++)
        {
            var doc = gen.Document(100);
            var copy = gen.Mutate(doc, gen.Rng.NextDouble() * 0.2);
            string ta = gen.Render(doc), tb = gen.Render(copy);
            double j = NearDuplicates.Jaccard(NearDuplicates.Shingles(ta), NearDuplicates.Shingles(tb));
            h.Signature(Encoding.UTF8.GetBytes(DedupNormalizer.Normalize(ta)), sa);
            h.Signature(Encoding.UTF8.GetBytes(DedupNormalizer.Normalize(tb)), sb);
            int bin = Math.Min(9, (int)(j * 10));
            double p = h.MatchProbability(j);
            var cell = bins[bin];
            bins[bin] = (cell.Pairs + 1, cell.Matches + (h.Candidates(sa, sb) ? 1 : 0), cell.Expected + p, cell.Variance + p * (1 - p));
        }
        var report = new StringBuilder();
        int tested = 0;
        for (int b = 0; b < 10; b++)
        {
            var (n, m, e, v) = bins[b];
            if (n < 60) continue;
            tested++;
            double observed = (double)m / n, expected = e / n, tolerance = 4 * Math.Sqrt(v) / n + 0.02;
            report.AppendLine($"J [{b / 10.0:F1},{(b + 1) / 10.0:F1}): {n} pairs, matched {observed:F3}, S-curve {expected:F3}, tolerance {tolerance:F3}");
            Assert.True(Math.Abs(observed - expected) <= tolerance, report.ToString());
        }
        output.WriteLine(report.ToString());
        Assert.True(tested >= 5, report.ToString());
    }

    /// <summary>Families of an original and near copies (Jaccard >= 0.8), far copies (Jaccard well below), and unrelated documents, shuffled.</summary>
    static List<(string Id, string Text)> Benchmark(int seed, int families)
    {
        var gen = new NearDuplicates(seed);
        var docs = new List<(string, string)>();
        for (int f = 0; f < families; f++)
        {
            var orig = gen.Document(gen.Rng.Next(80, 250));
            docs.Add(($"f{f}-orig", gen.Render(orig)));
            int near = gen.Rng.Next(0, 3);
            for (int c = 0; c < near; c++)
                docs.Add(($"f{f}-near{c}", gen.Render(gen.Mutate(orig, near == 1 ? gen.Rng.NextDouble() * 0.022 : gen.Rng.NextDouble() * 0.006))));
            if (gen.Rng.Next(3) == 0) docs.Add(($"f{f}-far", gen.Render(gen.Mutate(orig, 0.15 + gen.Rng.NextDouble() * 0.2))));
        }
        for (int u = 0; u < families / 3; u++) docs.Add(($"u{u}", gen.Render(gen.Document(gen.Rng.Next(20, 200)))));
        return [.. docs.OrderBy(_ => gen.Rng.Next())];
    }

    internal static string WriteJsonl(TempDir dir, string name, IEnumerable<(string Id, string Text)> docs, Func<int, string?>? url = null)
    {
        var sb = new StringBuilder();
        int i = 0;
        foreach (var (id, text) in docs)
        {
            string? u = url?.Invoke(i++);
            sb.Append(u is null ? JsonSerializer.Serialize(new { id, text }) : JsonSerializer.Serialize(new { id, text, url = u })).Append('\n');
        }
        return dir.Write(name, sb.ToString());
    }

    internal static List<JsonElement> ReadJsonl(string outDir)
        => Directory.EnumerateFiles(outDir, "part-*").Order(StringComparer.Ordinal)
            .SelectMany(File.ReadLines).Select(l => JsonDocument.Parse(l).RootElement.Clone()).ToList();

    [Fact]
    public void Near_duplicate_benchmark_has_high_precision_and_recall_and_one_and_two_workers_agree()
    {
        using var dir = new TempDir();
        var clock = System.Diagnostics.Stopwatch.StartNew();
        var docs = Benchmark(5, 300);
        output.WriteLine($"generated {docs.Count} in {clock.ElapsedMilliseconds} ms");
        string input = WriteJsonl(dir, "c.jsonl", docs);
        const string stage = """{"type": "minhash_dedup", "mode": "annotate"}""";
        const string settings = "\"partition_bytes\": 65536, \"batch_rows\": 128";
        var r1 = Run(PipelineJson(input, dir["one"], stage, settings), workers: 1);
        Run(PipelineJson(input, dir["two"], stage, settings), workers: 2);
        Assert.True(r1.Stats.Partitions > 3);
        Assert.Equal(Shards(dir["one"]), Shards(dir["two"]));
        output.WriteLine($"two runs at {clock.ElapsedMilliseconds} ms");

        var rows = ReadJsonl(dir["one"]);
        Assert.Equal(docs.Select(d => d.Id), rows.Select(r => r.GetProperty("id").GetString()));
        var cluster = rows.Select(r => r.GetProperty("minhash_cluster").GetInt64()).ToArray();
        var size = rows.Select(r => r.GetProperty("minhash_cluster_size").GetInt64()).ToArray();
        var shingles = docs.Select(d => NearDuplicates.Shingles(d.Text)).ToArray();
        long tp = 0, fp = 0, fn = 0;
        var fpJaccard = new List<double>();
        for (int i = 0; i < docs.Count; i++)
        {
            // The cluster id is the input ordinal of the cluster's first document.
            Assert.True(cluster[i] <= i);
            Assert.Equal(cluster[i], cluster[(int)cluster[i]]);
            for (int j = i + 1; j < docs.Count; j++)
            {
                bool predicted = cluster[i] == cluster[j];
                double jac = NearDuplicates.Jaccard(shingles[i], shingles[j]);
                bool truth = jac >= 0.8;
                if (predicted && truth) tp++;
                else if (predicted) { fp++; fpJaccard.Add(jac); }
                else if (truth) fn++;
            }
        }
        foreach (var g in cluster.Select((c, i) => (c, i)).GroupBy(x => x.c)) Assert.All(g, x => Assert.Equal(g.Count(), size[x.i]));
        double precision = (double)tp / (tp + fp), recall = (double)tp / (tp + fn);
        output.WriteLine($"{docs.Count} documents: precision {precision:F4}, recall {recall:F4} (tp {tp}, fp {fp}, fn {fn}); false positives' Jaccard: {string.Join(" ", fpJaccard.Order().Select(x => x.ToString("F2")))}; at {clock.ElapsedMilliseconds} ms");
        Assert.True(tp > 150, $"too few true pairs: {tp}");
        Assert.True(precision >= 0.95, $"precision {precision:F3} (tp {tp}, fp {fp}, fn {fn})");
        Assert.True(recall >= 0.90, $"recall {recall:F3} (tp {tp}, fp {fp}, fn {fn})");

        // Remove mode keeps exactly the first document of each cluster, with stats for the report.
        var removed = Run(PipelineJson(input, dir["rm"], """{"type": "minhash_dedup"}""", settings), workers: 2);
        var kept = ReadDocs(dir["rm"]).Select(d => d.Id).ToList();
        Assert.Equal(Enumerable.Range(0, docs.Count).Where(i => cluster[i] == i).Select(i => docs[i].Id), kept);
        var st = removed.Stats.Stages.Single(s => s.Type == "minhash_dedup");
        Assert.Equal(docs.Count - kept.Count, st.Dropped[MinHashDedupStage.DuplicateReason]);
        Assert.Equal(docs.Count - kept.Count, st.Counters["minhash_dedup.duplicates"]);
        var hist = st.Histograms["minhash_dedup.cluster_size"];
        Assert.Equal(st.Counters["minhash_dedup.clusters"], hist.Total);
        Assert.Contains("minhash_dedup.phase_ms.signatures", st.Counters.Keys);
    }

    [Fact]
    public void Resume_re_runs_resolve_and_gives_identical_output()
    {
        using var dir = new TempDir();
        string input = WriteJsonl(dir, "c.jsonl", Benchmark(8, 120));
        const string settings = "\"partition_bytes\": 32768, \"batch_rows\": 20";
        const string stage = """{"type": "minhash_dedup"}, {"type": "exact_dedup"}, {"type": "sentence_dedup", "min_doc_words": 20}, {"type": "line_dedup"}, {"type": "url_dedup"}""";
        var reference = Run(PipelineJson(input, dir["ref"], stage, settings), workers: 2);
        Assert.True(reference.Stats.Stages.Single(s => s.Type == "minhash_dedup").DroppedTotal > 20);
        foreach (var (name, before) in new[] { ("after", false), ("before", true) })
        {
            string explode = $"{{\"type\": \"test_explode\", \"after_batches\": 6, \"marker\": {J(dir[name + ".marker"])}}}";
            string stages = before ? explode + ", " + stage : stage + ", " + explode;
            var failing = Parse(PipelineJson(input, dir[name], stages, settings));
            Assert.Throws<InvalidOperationException>(() => PipelineRunner.Run(failing, new RunOptions { Workers = 2 }));
            var r = PipelineRunner.Run(Parse(PipelineJson(input, dir[name], stages, settings)), new RunOptions { Workers = 1, Resume = true });
            Assert.True(r.Stats.Balanced);
            Assert.Equal(Shards(dir["ref"]), Shards(dir[name]));
        }
    }
}
