using System.IO.Compression;
using System.Text;
using System.Text.Json;
using DataForge.Execution;
using Parquet;
using Parquet.Schema;
using static DataForge.Tests.Runs;

namespace DataForge.Tests;

/// <summary>Every bad-input case of docs/concepts.md#bad-input, with on_error "fail" (default) and "skip".</summary>
public class ReaderBadInputTests
{
    static string Pipe(string type, string path, string onError = "fail", string extra = "", string outDir = "")
        => PipelineJson(path, outDir, settings: $"\"on_error\": \"{onError}\"", reader: $"\"type\": \"{type}\"{extra}");

    static InputException Fails(string json) => Assert.Throws<InputException>(() => Run(json));

    static List<JsonElement> Rejects(string outDir)
        => Directory.EnumerateFiles(Path.Combine(outDir, "rejects")).SelectMany(File.ReadAllLines)
            .Select(l => JsonDocument.Parse(l).RootElement.Clone()).ToList();

    const string Good = "{\"id\":\"a\",\"text\":\"alpha\"}\n";
    const string Good2 = "{\"id\":\"c\",\"text\":\"gamma\"}\n";

    [Theory]
    [InlineData("{\"id\":\"b\",\"text\":\"beta\"\n", "x.jsonl:2: malformed JSON")]
    [InlineData("{\"id\":\"b\"}\n", "x.jsonl:2: missing field 'text'")]
    [InlineData("{\"id\":\"b\",\"text\":42}\n", "x.jsonl:2: field 'text' must be a string, found a number")]
    [InlineData("{\"id\":\"b\",\"text\":null}\n", "x.jsonl:2: field 'text' must be a string, found null")]
    [InlineData("[1,2]\n", "x.jsonl:2: expected a JSON object, found an array")]
    [InlineData("{\"id\":\"b\",\"text\":\"x\"} trailing\n", "x.jsonl:2: ")]
    [InlineData("{\"id\":\"b\",\"text\":\"\\ud800\"}\n", "x.jsonl:2: malformed JSON string")]
    public void Jsonl_bad_record_fails_with_file_and_line_or_is_rejected(string bad, string expected)
    {
        using var dir = new TempDir();
        string input = dir.Write("x.jsonl", Good + bad + Good2);
        var ex = Fails(Pipe("jsonl", input, outDir: dir["out"]));
        Assert.Contains(expected, ex.Message);

        var r = Run(Pipe("jsonl", input, "skip", outDir: dir["skip"]));
        Assert.Equal(2, r.Stats.DocumentsOut);
        Assert.Equal(1, r.Stats.Rejected);
        Assert.Equal(3, r.Stats.DocumentsIn);
        var rej = Assert.Single(Rejects(dir["skip"]));
        Assert.EndsWith("x.jsonl:2", rej.GetProperty("location").GetString());
        Assert.Equal(bad.TrimEnd('\n'), rej.GetProperty("record").GetString());
    }

    [Fact]
    public void Jsonl_invalid_utf8_names_the_byte()
    {
        using var dir = new TempDir();
        var bytes = Encoding.UTF8.GetBytes(Good).Concat("{\"text\":\"ab"u8.ToArray()).Concat(new byte[] { 0xC3, 0x28 }).Concat("\"}\n"u8.ToArray()).ToArray();
        string input = dir.Write("x.jsonl", bytes);
        Assert.Contains("x.jsonl:2: invalid UTF-8 at byte 11 of the line", Fails(Pipe("jsonl", input, outDir: dir["o"])).Message);
        var r = Run(Pipe("jsonl", input, "skip", outDir: dir["s"]));
        Assert.Equal((1, 1), (r.Stats.DocumentsOut, r.Stats.Rejected));
    }

    static byte[] ManyLines(int n) => Encoding.UTF8.GetBytes(string.Concat(Enumerable.Range(0, n).Select(i => $"{{\"id\":\"{i}\",\"text\":\"document number {i} with some words {i * 7919 % 1000}\"}}\n")));

    [Fact]
    public void Truncated_gzip_fails_or_keeps_what_was_read_when_skipping()
    {
        using var dir = new TempDir();
        using var ms = new MemoryStream();
        using (var gz = new GZipStream(ms, CompressionLevel.Optimal, leaveOpen: true)) gz.Write(ManyLines(20000));
        var full = ms.ToArray();
        string ok = dir.Write("ok.jsonl.gz", full);
        Assert.Equal(20000, Run(Pipe("jsonl", ok, outDir: dir["ok"])).Stats.DocumentsOut);
        string cut = dir.Write("cut.jsonl.gz", full[..(full.Length / 2)]);
        Assert.Matches(@"cut\.jsonl\.gz:\d+: .*(truncated|corrupt)", Fails(Pipe("jsonl", cut, outDir: dir["o"])).Message);
        // With on_error "skip" the lines before the cut are kept and the fault is recorded in rejects/ and stats.
        var skipped = Run(Pipe("jsonl", cut, "skip", outDir: dir["s"]));
        Assert.InRange(skipped.Stats.DocumentsOut, 1, 19999);
        Assert.Equal(1, skipped.Stats.Rejected);
        Assert.Equal(1, skipped.Stats.Stages[0].Counters["file_faults"]);
        var fault = File.ReadAllLines(Path.Combine(dir["s"], "rejects", "part-00000.jsonl")).Single();
        Assert.Matches(@"cut\.jsonl\.gz:\d+"".*(truncated|corrupt)", fault);
        Assert.Equal(Enumerable.Range(0, (int)skipped.Stats.DocumentsOut).Select(i => i.ToString()), ReadDocs(dir["s"]).Select(d => d.Id));
        // Cut exactly after the deflate data but before the trailer: no partial line, still detected.
        string noTrailer = dir.Write("nt.jsonl.gz", full[..^8]);
        Assert.Contains("gzip", Fails(Pipe("jsonl", noTrailer, outDir: dir["nt"])).Message);
    }

    [Fact]
    public void Concatenated_gzip_members_are_read_and_a_cut_in_the_last_one_is_found()
    {
        // Common Crawl WET files and bgzip output are many gzip members, one after another.
        using var dir = new TempDir();
        var lines = ManyLines(5000);
        var members = new MemoryStream();
        int perMember = lines.Length / 40 + 1;
        long firstMemberEnd = 0;
        for (int start = 0; start < lines.Length; start += perMember)
        {
            using (var gz = new GZipStream(members, CompressionLevel.Fastest, leaveOpen: true))
                gz.Write(lines.AsSpan(start, Math.Min(perMember, lines.Length - start)));
            if (firstMemberEnd == 0) firstMemberEnd = members.Length;
        }
        var full = members.ToArray();
        // A wrong checksum in an earlier member is caught by the decompressor.
        var badCrc = (byte[])full.Clone();
        badCrc[firstMemberEnd - 8] ^= 0x55;
        Assert.Contains("corrupt", Fails(Pipe("jsonl", dir.Write("crc.jsonl.gz", badCrc), outDir: dir["crc"])).Message);
        var ok = Run(Pipe("jsonl", dir.Write("many.jsonl.gz", full), outDir: dir["ok"]));
        Assert.Equal(5000, ok.Stats.DocumentsOut);
        Assert.Equal(Enumerable.Range(0, 5000).Select(i => i.ToString()), ReadDocs(dir["ok"]).Select(d => d.Id));
        // An empty last member (some tools write one) ends the file cleanly too.
        var withEmpty = new MemoryStream();
        withEmpty.Write(full);
        using (new GZipStream(withEmpty, CompressionLevel.Fastest, leaveOpen: true)) { }
        Assert.Equal(5000, Run(Pipe("jsonl", dir.Write("empty-last.jsonl.gz", withEmpty.ToArray()), outDir: dir["el"])).Stats.DocumentsOut);
        // Cut inside the last member, or just before its trailer: both are truncations.
        Assert.Matches(@"cut\.jsonl\.gz(:\d+)?: .*(truncated|corrupt)", Fails(Pipe("jsonl", dir.Write("cut.jsonl.gz", full[..^300]), outDir: dir["c"])).Message);
        Assert.Contains("gzip", Fails(Pipe("jsonl", dir.Write("nt.jsonl.gz", full[..^8]), outDir: dir["nt"])).Message);
    }

    [Fact]
    public void A_last_gzip_member_is_verified_whatever_the_read_sizes()
    {
        // 12 MiB in a first member, then a small last one, read back in one huge read and in small ones.
        using var dir = new TempDir();
        var big = new byte[12 << 20];
        new Random(2).NextBytes(big.AsSpan(0, 1 << 20));
        for (int i = 1 << 20; i < big.Length; i++) big[i] = big[i % (1 << 20)];
        var small = Encoding.UTF8.GetBytes("the last member\n");
        var members = new MemoryStream();
        foreach (var part in new[] { big, small })
            using (var gz = new GZipStream(members, CompressionLevel.Fastest, leaveOpen: true)) gz.Write(part);
        string path = dir.Write("two.txt.gz", members.ToArray());
        foreach (int readSize in new[] { 32 << 20, 4096 })
        {
            using var s = DataForge.IO.InputFiles.OpenDecompressed(path);
            var buffer = new byte[readSize];
            long total = 0;
            for (int n; (n = s.Read(buffer)) > 0;) total += n;
            Assert.Equal(big.Length + small.Length, total);
        }
    }

    [Fact]
    public void Truncated_zstd_fails_with_file_and_line()
    {
        using var dir = new TempDir();
        using var ms = new MemoryStream();
        using (var z = new ZstdSharp.CompressionStream(ms, 3, leaveOpen: true)) z.Write(ManyLines(20000));
        var full = ms.ToArray();
        string ok = dir.Write("ok.jsonl.zst", full);
        Assert.Equal(20000, Run(Pipe("jsonl", ok, outDir: dir["ok"])).Stats.DocumentsOut);
        string cut = dir.Write("cut.jsonl.zst", full[..(full.Length * 2 / 3)]);
        Assert.Matches(@"cut\.jsonl\.zst:\d+: .*truncated", Fails(Pipe("jsonl", cut, outDir: dir["o"])).Message);
    }

    [Fact]
    public void Empty_file_is_reported_or_rejected()
    {
        using var dir = new TempDir();
        string input = dir.Write("empty.jsonl", "");
        Assert.Contains("empty.jsonl: empty file", Fails(Pipe("jsonl", input, outDir: dir["o"])).Message);
        var r = Run(Pipe("jsonl", input, "skip", outDir: dir["s"]));
        Assert.Equal((0, 1), (r.Stats.DocumentsOut, r.Stats.Rejected));
        Assert.Contains("empty file", Assert.Single(Rejects(dir["s"])).GetProperty("error").GetString());
    }

    [Fact]
    public void Missing_file_and_empty_glob_are_errors()
    {
        using var dir = new TempDir();
        Assert.Contains("nope.jsonl: file not found", Fails(Pipe("jsonl", dir["nope.jsonl"], outDir: dir["o"])).Message);
        Directory.CreateDirectory(dir["in"]);
        Assert.Contains("*.jsonl: no files match", Fails(Pipe("jsonl", dir["in/*.jsonl"], outDir: dir["o2"])).Message);
        // Nothing was written for a run that could not start.
        Assert.False(Directory.Exists(dir["o"]));
        Assert.False(Directory.Exists(dir["o2"]));
    }

    [Fact]
    public async Task Parquet_without_the_text_column_names_the_columns()
    {
        using var dir = new TempDir();
        string path = dir["x.parquet"];
        var schema = new ParquetSchema(new DataField<string>("id"), new DataField<string>("body"));
        await using (var fs = File.Create(path))
        await using (var w = await ParquetWriter.CreateAsync(schema, fs))
        using (var rg = w.CreateRowGroup())
        {
            await rg.WriteAsync(schema.GetDataFields()[0], new[] { "1" });
            await rg.WriteAsync(schema.GetDataFields()[1], new[] { "hello" });
        }
        Assert.Contains("x.parquet: no column 'text' (columns: id, body)", Fails(Pipe("parquet", path, outDir: dir["o"])).Message);
        var r = Run(Pipe("parquet", path, extra: ", \"text_column\": \"body\"", outDir: dir["b"]));
        Assert.Equal("hello", ReadDocs(dir["b"]).Single().Text);
    }

    [Fact]
    public void Csv_with_a_broken_quote_names_the_line()
    {
        using var dir = new TempDir();
        string path = dir.Write("x.csv", "id,text\n1,\"fine, quoted\"\n2,\"broken \"quote\" here\n3,ok\n");
        Assert.Matches(@"x\.csv:3: malformed CSV: bad quote", Fails(Pipe("csv", path, outDir: dir["o"])).Message);
        string good = dir.Write("y.csv", "id,text,lang\n1,\"multi\nline, with comma\",en\n2,plain,de\n");
        var docs = ReadDocs(Run(Pipe("csv", good, outDir: dir["g"])).OutputDirectory);
        Assert.Equal(["multi\nline, with comma", "plain"], docs.Select(d => d.Text));
    }

    [Fact]
    public void Csv_field_count_mismatch_is_rejected_per_record()
    {
        using var dir = new TempDir();
        string path = dir.Write("x.csv", "id,text\n1,a\n2,b,extra\n3,c\n");
        Assert.Contains("x.csv:3: expected 2 fields", Fails(Pipe("csv", path, outDir: dir["o"])).Message);
        var r = Run(Pipe("csv", path, "skip", outDir: dir["s"]));
        Assert.Equal((2, 1), (r.Stats.DocumentsOut, r.Stats.Rejected));
    }

    [Fact]
    public void A_50_MB_single_line_is_read_and_a_limit_gives_a_clear_error()
    {
        using var dir = new TempDir();
        var text = new string('a', 50 << 20);
        string path = dir.Write("big.jsonl", "{\"id\":\"big\",\"text\":\"" + text + "\"}\n" + Good);
        var r = Run($$"""{"input": [{"type": "jsonl", "paths": [{{J(path)}}]}], "stages": [{"type": "normalize"}], "output": {"type": "jsonl", "path": {{J(dir["o"])}} } }""");
        Assert.Equal(2, r.Stats.DocumentsOut);
        Assert.Equal(50 << 20, ReadDocs(dir["o"])[0].Text.Length);
        var ex = Fails(Pipe("jsonl", path, extra: ", \"max_line_bytes\": 1048576", outDir: dir["l"]));
        Assert.Contains("big.jsonl:1: a line starting at byte 0 is longer than max_line_bytes (1048576)", ex.Message);
    }
}
