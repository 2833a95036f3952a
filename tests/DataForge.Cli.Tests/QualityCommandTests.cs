using System.Text;
using System.Text.Json;
using DataForge.Cli;
using DataForge.Tests;

namespace DataForge.Cli.Tests;

public class QualityCommandTests
{
    static (int Code, string Out, string Err) Cli(params string[] args)
    {
        var o = new StringWriter();
        var e = new StringWriter();
        int code = DataForgeCli.Run(args, o, e);
        return (code, o.ToString(), e.ToString());
    }

    static string Docs(TempDir dir, string name, bool good, int n, int seed)
    {
        var rng = new Random(seed);
        string[] goodWords = ["the", "theory", "explains", "why", "energy", "is", "conserved", "because", "of", "symmetry", "in", "time"];
        string[] badWords = ["click", "here", "buy", "now", "cheap", "login", "cookies", "accept", "©", "»", "free", "deal"];
        var sb = new StringBuilder();
        for (int i = 0; i < n; i++)
        {
            var w = good ? goodWords : badWords;
            string text = string.Join(' ', Enumerable.Range(0, rng.Next(10, 40)).Select(_ => w[rng.Next(w.Length)]));
            sb.Append(JsonSerializer.Serialize(new { id = $"{name}{i}", text })).Append('\n');
        }
        return dir.Write(name + ".jsonl", sb.ToString());
    }

    [Fact]
    public void Train_eval_and_score_round_trip()
    {
        using var dir = new TempDir();
        string pos = Docs(dir, "pos", true, 120, 1), neg = Docs(dir, "neg", false, 150, 2);
        var (code, output, err) = Cli("quality", "train", "--positive", pos, "--negative", neg, "--out", dir["m.zip"], "--hash-bits", "14");
        Assert.True(code == 0, err);
        using (var j = JsonDocument.Parse(output))
        {
            Assert.True(j.RootElement.GetProperty("auc").GetDouble() > 0.95);
            Assert.Equal(12, j.RootElement.GetProperty("positives").GetInt64());
            Assert.True(j.RootElement.TryGetProperty("top_10pct", out _));
        }
        Assert.True(File.Exists(dir["m.eval.json"]));

        (code, output, err) = Cli("quality", "eval", "--model", dir["m.zip"], "--positive", pos, "--negative", neg);
        Assert.True(code == 0, err);
        using (var j = JsonDocument.Parse(output))
        {
            Assert.Equal(120, j.RootElement.GetProperty("positives").GetInt64());
            Assert.Equal(150, j.RootElement.GetProperty("negatives").GetInt64());
        }

        (code, _, err) = Cli("quality", "score", "--model", dir["m.zip"], pos, "-o", dir["scored.jsonl"], "--workers", "2");
        Assert.True(code == 0, err);
        Assert.Contains("docs/s", err, StringComparison.Ordinal);
        var lines = File.ReadAllLines(dir["scored.jsonl"]);
        Assert.Equal(120, lines.Length);
        using (var first = JsonDocument.Parse(lines[0]))
        {
            Assert.Equal("pos0", first.RootElement.GetProperty("id").GetString());
            Assert.True(first.RootElement.GetProperty("quality").GetDouble() > 0.5);
        }

        // A bad line in the second input, after a blank line, is reported with its own line number in its own file.
        string bad = dir.Write("bad.jsonl", "{\"text\": \"fine words here\"}\n\n{\"text\": 5}\n");
        (code, _, err) = Cli("quality", "score", "--model", dir["m.zip"], pos, bad, "-o", dir["bad-scored.jsonl"]);
        Assert.Equal(1, code);
        Assert.Contains("bad.jsonl:3: expected a JSON object", err, StringComparison.Ordinal);
    }

    [Fact]
    public void Usage_errors_exit_with_2()
    {
        using var dir = new TempDir();
        string pos = Docs(dir, "pos", true, 5, 1);
        Assert.Equal(2, Cli("quality", "train", "--positive", pos, "--negative", pos, "--out", dir["m.zip"], "--trainer", "svm").Code);
        Assert.Equal(2, Cli("quality", "train", "--positive", dir["none*.jsonl"], "--negative", pos, "--out", dir["m.zip"]).Code);
        Assert.Equal(2, Cli("quality", "eval", "--model", dir["missing.zip"], "--positive", pos, "--negative", pos).Code);
        dir.Write("junk.zip", "junk");
        var (code, _, err) = Cli("quality", "score", "--model", dir["junk.zip"], pos);
        Assert.Equal(2, code);
        Assert.Contains("junk.zip", err, StringComparison.Ordinal);
    }
}
