using Apache.Arrow;
using DataForge.IO;

namespace DataForge.Tests.IO;

public class ParquetColumnsTests
{
    [Fact]
    public void String_columns_added_by_stages_stay_columns_through_parquet()
    {
        using var dir = new TempDir();
        string input = Runs.WriteCorpus(dir, "in.jsonl", 40);
        Runs.Run(Runs.PipelineJson(input, dir["out"], """{ "type": "code_score" }""", sink: "\"type\": \"parquet\""));
        var shard = Directory.GetFiles(dir["out"], "*.parquet").Single();
        int rows = 0;
        foreach (var b in ShardFiles.Read(shard))
        {
            var lang = Assert.IsType<StringArray>(b.Column("code_lang"));
            Assert.IsType<FloatArray>(b.Column("code_score"));
            rows += b.Length;
            // Not folded into meta as well: the column is the one place it lives.
            for (int i = 0; i < b.Length; i++)
                Assert.DoesNotContain("code_lang", b.Meta.GetString(i) ?? "", StringComparison.Ordinal);
            Assert.Equal(b.Length, lang.Length);
        }
        Assert.Equal(40, rows);
    }
}
