namespace DataForge.Tests.Synth;

/// <summary>Option errors of the synth stages name the stage path, the option and what was expected.</summary>
public class OptionValidationTests
{
    static string Error(string stage)
    {
        using var dir = new TempDir();
        var ex = Assert.ThrowsAny<Exception>(() => Runs.Parse(Runs.PipelineJson("in.jsonl", dir["o"], stage)));
        return ex.Message;
    }

    [Theory]
    [InlineData("""{ "type": "chat_format", "template": "{assistant} then {user}" }""", "$.stages[0].template", "expected the placeholders in the order {system}, {user}, {assistant}")]
    [InlineData("""{ "type": "chat_format", "template": "{user} {user} {assistant}" }""", "$.stages[0].template", "expected {user} once in the template")]
    [InlineData("""{ "type": "multi_round_qa", "follow_ups": 0 }""", "$.stages[0].follow_ups", ">= 1")]
    [InlineData("""{ "type": "multi_round_qa", "group": 17 }""", "$.stages[0].group", "<= 16")]
    [InlineData("""{ "type": "code_extract", "min_lines": 0 }""", "$.stages[0].min_lines", ">= 1")]
    [InlineData("""{ "type": "code_score", "code_domains": "github.com" }""", "$.stages[0].code_domains", "expected")]
    [InlineData("""{ "type": "idiom_cloze" }""", "$.stages[0].lexicon", "missing required option")]
    [InlineData("""{ "type": "idiom_cloze", "lexicon": "x.txt", "max_per_document": 0 }""", "$.stages[0].max_per_document", ">= 1")]
    [InlineData("""{ "type": "idiom_cloze", "lexicon": "x.txt", "answer_template": "{answer} {option}" }""", "$.stages[0].answer_template", "unknown placeholder {option}")]
    public void Messages_name_path_and_expectation(string stage, string path, string message)
    {
        string m = Error(stage);
        Assert.Contains(path, m, StringComparison.Ordinal);
        Assert.Contains(message, m, StringComparison.Ordinal);
    }
}
