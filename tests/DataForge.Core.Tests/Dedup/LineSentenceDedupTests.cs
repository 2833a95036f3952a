using System.Text;
using DataForge.Dedup;
using static DataForge.Tests.Runs;

namespace DataForge.Tests.Dedup;

public class LineSentenceDedupTests
{
    static List<string> Sentences(string text)
    {
        var bytes = Encoding.UTF8.GetBytes(text);
        var ranges = new List<Range>();
        TextSpans.Sentences(bytes, ranges);
        return ranges.Select(r => Encoding.UTF8.GetString(bytes[r])).ToList();
    }

    [Fact]
    public void Sentences_split_after_terminators_and_newlines_and_cover_the_text()
    {
        string text = "Dr. Smith came. He said \"hi!\" Then left...  Version 2.5 is out? yes\nNew line 数据很好。第二句！ end";
        var s = Sentences(text);
        Assert.Equal(string.Concat(s), text);
        Assert.Equal(["Dr. ", "Smith came. ", "He said \"hi!\" ", "Then left...  ", "Version 2.5 is out? ", "yes\n", "New line 数据很好。", "第二句！ ", "end"], s);
    }

    [Fact]
    public void Line_rule_removes_frequent_lines_and_keeps_the_rest_in_order()
    {
        var frequent = new[] { "Share on Facebook", "Home" }.Select(l => System.IO.Hashing.XxHash64.HashToUInt64(Encoding.UTF8.GetBytes(l))).Order().ToArray();
        var input = Encoding.UTF8.GetBytes("Home\nA real line.\n  Share on Facebook  \n\nAnother.");
        var output = new byte[input.Length];
        int n = LineDedupRules.Remove(input, frequent, 0, [], output, out int removed);
        Assert.Equal("A real line.\n\nAnother.", Encoding.UTF8.GetString(output, 0, n));
        Assert.Equal(2, removed);
    }

    [Theory]
    [InlineData(1)]
    [InlineData(2)]
    public void Line_dedup_removes_lines_seen_more_than_max_occurrences_times_across_the_corpus(int workers)
    {
        using var dir = new TempDir();
        var gen = new NearDuplicates(4);
        string[] boiler = ["Share on Facebook", "Subscribe to our newsletter", "All rights reserved."];
        var docs = new List<(string Id, string Text)>();
        for (int i = 0; i < 1500; i++)
        {
            var lines = new List<string>();
            for (int l = 0; l < gen.Rng.Next(1, 6); l++)
                lines.Add(gen.Rng.Next(4) == 0 ? boiler[gen.Rng.Next(boiler.Length)] : gen.Rng.Next(10) == 0 ? "Rare line " + gen.Rng.Next(3000) : gen.Render(gen.Document(8)));
            docs.Add(($"d{i}", string.Join('\n', lines)));
        }
        string input = MinHashTests.WriteJsonl(dir, "c.jsonl", docs);
        var r = Run(PipelineJson(input, dir["o"], """{"type": "line_dedup", "max_occurrences": 2}"""), workers);
        var counts = docs.SelectMany(d => d.Text.Split('\n')).Select(l => l.Trim()).GroupBy(l => l).ToDictionary(g => g.Key, g => g.Count());
        var expected = docs.Select(d => (d.Id, Text: string.Join('\n', d.Text.Split('\n').Where(l => counts[l.Trim()] <= 2))))
            .Where(d => d.Text.Trim().Length > 0).ToList();
        Assert.Equal(expected, ReadDocs(dir["o"]));
        var st = r.Stats.Stages.Single(s => s.Type == "line_dedup");
        Assert.Equal(docs.Count - expected.Count, st.Dropped.GetValueOrDefault("line_dedup.empty"));
        Assert.True(st.Counters["line_dedup.lines_removed"] > 300);
    }

    [Fact]
    public void Line_dedup_drops_a_document_left_with_only_blank_lines()
    {
        using var dir = new TempDir();
        var docs = Enumerable.Range(0, 4).Select(i => ($"d{i}", i == 3 ? "Share on Facebook\n\nA line of its own." : "Share on Facebook\n\n\nSubscribe to our newsletter")).ToList();
        string input = MinHashTests.WriteJsonl(dir, "c.jsonl", docs);
        var r = Run(PipelineJson(input, dir["o"], """{"type": "line_dedup", "max_occurrences": 2}"""));
        Assert.Equal([("d3", "\nA line of its own.")], ReadDocs(dir["o"]));
        Assert.Equal(3, r.Stats.Stages.Single(s => s.Type == "line_dedup").Dropped["line_dedup.empty"]);
    }

    [Fact]
    public void Sentence_dedup_removes_spans_seen_earlier_and_leaves_short_documents_alone()
    {
        using var dir = new TempDir();
        var gen = new NearDuplicates(9);
        string Sentence() => gen.Render(gen.Document(gen.Rng.Next(9, 14))).Replace(".", "", StringComparison.Ordinal) + ".";
        var s = Enumerable.Range(0, 12).Select(_ => Sentence()).ToArray();
        string a = string.Join(' ', s[..6]);
        // b repeats sentences 1-4 of a (two 3-sentence spans) between new ones; c is short and repeats a span; d repeats only two sentences.
        string b = string.Join(' ', new[] { s[6], s[1], s[2], s[3], s[4], s[7], s[8], s[9] });
        string c = string.Join(' ', s[1..4]);
        string d = string.Join(' ', new[] { s[10], s[1], s[2], s[11], s[6], s[7] });
        string input = MinHashTests.WriteJsonl(dir, "c.jsonl", [("a", a), ("b", b), ("c", c), ("d", d)]);
        Run(PipelineJson(input, dir["o"], """{"type": "sentence_dedup"}"""));
        var outDocs = ReadDocs(dir["o"]).ToDictionary(x => x.Id, x => x.Text);
        Assert.Equal(a, outDocs["a"]);
        Assert.Equal(string.Join(' ', new[] { s[6], s[7], s[8], s[9] }), outDocs["b"]);
        Assert.Equal(c, outDocs["c"]);
        // d: s10 s1 s2 / s1 s2 s11 ... no span of a; but "s6 s7" follows s11, and span (s11 s6 s7) is new: unchanged.
        Assert.Equal(d, outDocs["d"]);
    }

    [Fact]
    public void Sentence_dedup_matches_an_in_memory_reference_with_one_and_two_workers()
    {
        using var dir = new TempDir();
        var gen = new NearDuplicates(12, vocabulary: 300);
        var pool = Enumerable.Range(0, 150).Select(_ => gen.Render(gen.Document(gen.Rng.Next(7, 11))).Replace(".", "", StringComparison.Ordinal) + ".").ToArray();
        // Documents are runs of consecutive pool sentences, so 3-sentence spans recur across documents.
        var docs = Enumerable.Range(0, 1200).Select(i => ($"d{i}", string.Join(gen.Rng.Next(5) == 0 ? "\n" : " ",
            Enumerable.Range(0, gen.Rng.Next(1, 5)).SelectMany(_ => { int k = gen.Rng.Next(pool.Length - 6); return pool[k..(k + gen.Rng.Next(1, 6))]; })))).ToList();
        string input = MinHashTests.WriteJsonl(dir, "c.jsonl", docs);
        var r1 = Run(PipelineJson(input, dir["one"], """{"type": "sentence_dedup"}""", "\"partition_bytes\": 32768"), workers: 1);
        Run(PipelineJson(input, dir["two"], """{"type": "sentence_dedup"}""", "\"partition_bytes\": 32768"), workers: 2);
        Assert.Equal(Shards(dir["one"]), Shards(dir["two"]));
        Assert.True(r1.Stats.Partitions > 3);

        var options = new SentenceDedupOptions();
        var seen = new HashSet<ulong>();
        var expected = new List<(string, string)>();
        byte[] scratch = [];
        foreach (var (id, text) in docs)
        {
            var bytes = Encoding.UTF8.GetBytes(text);
            var hashes = new List<ulong>();
            SentenceDedupStage.SpanHashes(bytes, options, [], hashes, ref scratch);
            var removed = new List<ushort>();
            for (int k = 0; k < hashes.Count; k++) if (!seen.Add(hashes[k])) removed.Add((ushort)k);
            var output = new byte[bytes.Length];
            int n = SentenceDedupRules.Remove(bytes, removed.ToArray(), 3, [], output, out _);
            if (n > 0) expected.Add((id, Encoding.UTF8.GetString(output, 0, n)));
        }
        Assert.Equal(expected, ReadDocs(dir["one"]));
        var st = r1.Stats.Stages.Single(s => s.Type == "sentence_dedup");
        Assert.Equal(docs.Count - expected.Count, st.Dropped.GetValueOrDefault("sentence_dedup.empty"));
        Assert.True(st.Counters["sentence_dedup.duplicate_spans"] > 100, $"duplicate spans {st.Counters["sentence_dedup.duplicate_spans"]}");
        Assert.Contains(expected, e => docs.First(d => d.Item1 == e.Item1).Item2 != e.Item2);
    }
}
