using System.Text;
using DataForge.Execution;
using DataForge.Pipelines;
using DataForge.Tests;

namespace DataForge.Tokenization.Tests;

public class ChunkTests
{
    static readonly TextTokenizer Tok = TextTokenizer.Load("o200k_base");

    static string LongText(int paragraphs, int seed)
    {
        var sb = new StringBuilder();
        var s = TokenizerTests.Sentences(paragraphs * 6, seed).ToList();
        for (int p = 0; p < paragraphs; p++)
        {
            for (int i = 0; i < 6; i++) sb.Append(s[p * 6 + i].TrimEnd('\n')).Append(i < 5 ? " " : "");
            sb.Append("\n\n");
        }
        return sb.ToString();
    }

    [Theory]
    [InlineData(16)]
    [InlineData(64)]
    [InlineData(300)]
    public void Pieces_fit_and_concatenate_to_the_text(int max)
    {
        string text = LongText(8, max) + "数据清洗是预训练的关键步骤。我们使用Python编程。" + new string('x', 500) + " end.";
        var pieces = Chunker.Split(text, max, Tok);
        Assert.Equal(text, string.Concat(pieces));
        Assert.All(pieces, p => Assert.InRange(Tok.CountTokens(p), 1, max));
        Assert.True(pieces.Count > 1);
    }

    [Fact]
    public void Splits_at_paragraphs_then_sentences()
    {
        string para = "One sentence here. Another sentence there. A third one.";
        string text = para + "\n\n" + para + "\n\n" + para;
        var byPara = Chunker.Split(text, Tok.CountTokens(para + "\n\n") + 1, Tok);
        Assert.Equal([para + "\n\n", para + "\n\n", para], byPara);
        var bySentence = Chunker.Split(para, 6, Tok);
        Assert.Equal(["One sentence here. ", "Another sentence there. ", "A third one."], bySentence);
        Assert.Equal([text], Chunker.Split(text, 1000, Tok));
    }

    [Fact]
    public void Chunk_stage_expands_documents_with_ids()
    {
        using var dir = new TempDir();
        string input = dir.Write("in.jsonl", string.Join("\n", new[]
        {
            System.Text.Json.JsonSerializer.Serialize(new { id = "long", text = LongText(6, 1) }),
            System.Text.Json.JsonSerializer.Serialize(new { id = "short", text = "Just a short one." }),
        }) + "\n");
        string json = Runs.PipelineJson(input, dir["out"], """{ "type": "chunk", "max_tokens": 40 }""");
        var p = Pipeline.Parse(Encoding.UTF8.GetBytes(json), "p.json", MixTests.Registry);
        var r = PipelineRunner.Run(p, new RunOptions { Workers = 1, Overwrite = true });
        Assert.True(r.Stats.Balanced);
        var docs = Runs.ReadDocs(dir["out"]);
        Assert.Contains(docs, d => d.Id == "short");
        var pieces = docs.Where(d => d.Id.StartsWith("long#c", StringComparison.Ordinal)).ToList();
        Assert.True(pieces.Count > 3);
        Assert.Equal(LongText(6, 1), string.Concat(pieces.Select(d => d.Text)));
        Assert.All(pieces, d => Assert.True(Tok.CountTokens(d.Text) <= 40));
    }
}
