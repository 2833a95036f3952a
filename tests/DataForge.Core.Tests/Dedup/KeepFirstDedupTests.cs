using DataForge.Dedup;
using static DataForge.Tests.Runs;

namespace DataForge.Tests.Dedup;

public class KeepFirstDedupTests
{
    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public void Exact_dedup_keeps_exactly_the_first_of_each_distinct_text(bool normalize)
    {
        using var dir = new TempDir();
        var gen = new NearDuplicates(3, vocabulary: 50);
        var pool = Enumerable.Range(0, 400).Select(_ => gen.Render(gen.Document(gen.Rng.Next(1, 12)))).ToList();
        var docs = new List<(string Id, string Text)>();
        for (int i = 0; i < 3000; i++)
        {
            string t = pool[gen.Rng.Next(pool.Count)];
            // Variants that differ only in case, punctuation or spacing: duplicates only after normalisation.
            if (gen.Rng.Next(4) == 0) t = t.ToUpperInvariant() + " !";
            docs.Add(($"d{i}", t));
        }
        string input = MinHashTests.WriteJsonl(dir, "c.jsonl", docs);
        string stage = $$"""{"type": "exact_dedup", "normalize": {{(normalize ? "true" : "false")}}}""";
        var r = Run(PipelineJson(input, dir["one"], stage), workers: 1);
        Run(PipelineJson(input, dir["two"], stage), workers: 2);
        Assert.Equal(Shards(dir["one"]), Shards(dir["two"]));
        var keys = docs.Select(d => normalize ? DedupNormalizer.Normalize(d.Text) : d.Text).ToList();
        var seen = new HashSet<string>(StringComparer.Ordinal);
        var expected = docs.Where((d, i) => seen.Add(keys[i])).Select(d => d.Id).ToList();
        Assert.Equal(expected, ReadDocs(dir["one"]).Select(d => d.Id));
        var st = r.Stats.Stages.Single(s => s.Type == "exact_dedup");
        Assert.Equal(docs.Count - expected.Count, st.Dropped["exact_dedup.duplicate"]);
        Assert.Equal(keys.GroupBy(k => k).Count(g => g.Count() > 1), st.Counters["exact_dedup.duplicate_groups"]);
        Assert.True(r.Stats.Partitions > 2);
    }

    [Theory]
    [InlineData("https://www.Example.com:443/a/b/?utm_source=x&id=3#top", "example.com/a/b?id=3")]
    [InlineData("http://example.com/a/b?id=3", "example.com/a/b?id=3")]
    [InlineData("HTTP://EXAMPLE.com:80/", "example.com")]
    [InlineData("example.com/%7Euser/", "example.com/~user")]
    [InlineData("ftp://example.com/x", "ftp://example.com/x")]
    [InlineData("https://example.com/A?fbclid=1", "example.com/A")]
    public void Url_normalisation(string url, string expected) => Assert.Equal(expected, UrlNormalizer.Normalize(url));

    [Fact]
    public void Url_dedup_keeps_the_first_document_per_normalised_url_and_documents_without_url()
    {
        using var dir = new TempDir();
        string[] urls = ["https://a.org/x", "http://www.a.org/x/", null!, "https://a.org/y", "https://a.org/x#frag", null!, "https://a.org/Y"];
        var docs = urls.Select((u, i) => ($"d{i}", $"text {i}")).ToList();
        string input = MinHashTests.WriteJsonl(dir, "c.jsonl", docs, i => urls[i]);
        var r = Run(PipelineJson(input, dir["o"], """{"type": "url_dedup"}"""), workers: 2);
        Assert.Equal(["d0", "d2", "d3", "d5", "d6"], ReadDocs(dir["o"]).Select(d => d.Id));
        var st = r.Stats.Stages.Single(s => s.Type == "url_dedup");
        Assert.Equal(2, st.Dropped["url_dedup.duplicate"]);
        Assert.Equal(2, st.Counters["url_dedup.no_key"]);
    }
}

public class DedupOptionTests
{
    [Theory]
    [InlineData("""{"type": "minhash_dedup", "num_buckets": 100, "hashes_per_bucket": 64}""", "num_buckets")]
    [InlineData("""{"type": "minhash_dedup", "mode": "delete"}""", "mode")]
    [InlineData("""{"type": "minhash_dedup", "n_grams": 0}""", "n_grams")]
    [InlineData("""{"type": "line_dedup", "max_occurrences": 0}""", "max_occurrences")]
    [InlineData("""{"type": "sentence_dedup", "n_sentences": 0}""", "n_sentences")]
    public void Invalid_options_are_reported_with_their_name(string stage, string option)
    {
        var ex = Assert.ThrowsAny<Exception>(() => Parse(PipelineJson("in.jsonl", "out", stage)));
        Assert.Contains(option, ex.Message);
    }
}
