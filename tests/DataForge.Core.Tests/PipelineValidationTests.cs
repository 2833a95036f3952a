using DataForge.Configuration;

namespace DataForge.Tests;

public class PipelineValidationTests
{
    static ConfigException Invalid(string json) => Assert.Throws<ConfigException>(() => Runs.Parse(json, "p.json"));

    const string Io = "\"input\": [{\"type\": \"jsonl\", \"paths\": [\"x.jsonl\"]}], \"output\": {\"type\": \"jsonl\", \"path\": \"out\"}";

    [Fact]
    public void Valid_pipeline_builds_all_stages()
    {
        var p = Runs.Parse($$"""{"name": "n", "seed": 7, {{Io}}, "stages": [{"type": "normalize", "form": "NFKC"}, {"type": "length_filter", "min_words": 3, "name": "lf"}]}""");
        Assert.Equal("n", p.Settings.Name);
        Assert.Equal(7, p.Settings.Seed);
        Assert.Equal(["normalize", "lf"], p.Stages.Select(s => s.Name));
        Assert.Equal("jsonl", p.Sink.Type);
    }

    [Fact]
    public void A_plugin_stage_type_that_is_taken_is_refused_naming_both_assemblies()
    {
        var ex = Assert.Throws<DataForge.Stages.PluginException>(() => DataForge.Stages.StageRegistry.Core.WithPlugin(typeof(TestClashingNormalize).Assembly));
        Assert.Equal("stage type 'normalize' of DataForge.Core.Tests (DataForge.Tests.TestClashingNormalize) clashes with 'normalize' of DataForge.Core "
            + "(DataForge.Text.NormalizeStage); rename one of them", ex.Message);
        Assert.Throws<DataForge.Stages.PluginException>(() => DataForge.Stages.StageRegistry.Core.WithPlugin(typeof(object).Assembly));
    }

    [Fact]
    public void Wrong_type_is_reported_with_file_line_column_and_path()
    {
        var ex = Invalid("{\n  " + Io + ",\n  \"stages\": [\n    {\"type\": \"normalize\"},\n    {\"type\": \"length_filter\", \"min_words\": \"ten\"}\n  ]\n}");
        var e = Assert.Single(ex.Errors);
        Assert.Equal("p.json:5:44: $.stages[1].min_words: expected an integer >= 0, found \"ten\"", e.ToString());
    }

    [Fact]
    public void Out_of_range_and_fractional_integers_are_rejected()
    {
        var ex = Invalid($$"""{{{Io}}, "stages": [{"type": "length_filter", "min_words": -1, "max_chars": 2.5}]}""");
        Assert.Contains(ex.Errors, e => e.Path == "$.stages[0].min_words" && e.Message == "expected an integer >= 0, found -1");
        Assert.Contains(ex.Errors, e => e.Path == "$.stages[0].max_chars" && e.Message.StartsWith("expected an integer", StringComparison.Ordinal));
    }

    [Fact]
    public void Unknown_key_suggests_the_closest_option()
    {
        var ex = Invalid($$"""{{{Io}}, "stages": [{"type": "length_filter", "min_word": 3}]}""");
        var e = Assert.Single(ex.Errors);
        Assert.Equal("$.stages[0].min_word", e.Path);
        Assert.Equal("unknown option 'min_word'; did you mean 'min_words'?", e.Message);
        Assert.Equal(1, e.Line);
    }

    [Fact]
    public void Unknown_stage_type_suggests_the_closest_stage()
    {
        var ex = Invalid($$"""{{{Io}}, "stages": [{"type": "normalise"}]}""");
        Assert.Equal("unknown stage type 'normalise'; did you mean 'normalize'?", Assert.Single(ex.Errors).Message);
    }

    [Fact]
    public void Stage_in_the_wrong_place_is_explained()
    {
        var ex = Invalid("""{"input": [{"type": "normalize"}], "output": {"type": "jsonl", "path": "o"}}""");
        Assert.Contains("'normalize' is a map stage; input takes source stages", Assert.Single(ex.Errors).Message);
    }

    [Fact]
    public void Missing_required_option_and_missing_sections_are_reported()
    {
        var ex = Invalid("""{"input": [{"type": "jsonl"}]}""");
        Assert.Contains(ex.Errors, e => e.Path == "$.input[0].paths" && e.Message.Contains("missing required option", StringComparison.Ordinal));
        Assert.Contains(ex.Errors, e => e.Path == "$.output");
    }

    [Fact]
    public void Allowed_values_are_listed_with_a_suggestion()
    {
        var ex = Invalid($$"""{{{Io}}, "stages": [{"type": "normalize", "form": "NFK"}]}""");
        Assert.Equal("expected one of \"NFC\", \"NFKC\", \"none\", found \"NFK\"; did you mean 'NFC'?", Assert.Single(ex.Errors).Message);
    }

    [Fact]
    public void Cross_field_validation_points_at_the_option()
    {
        var ex = Invalid($$"""{{{Io}}, "stages": [{"type": "length_filter", "min_chars": 10, "max_chars": 5}]}""");
        var e = Assert.Single(ex.Errors);
        Assert.Equal("$.stages[0].max_chars", e.Path);
        Assert.Contains("max_chars >= min_chars", e.Message);
    }

    [Fact]
    public void All_errors_are_collected_not_just_the_first()
    {
        var ex = Invalid($$"""{"sed": 1, {{Io}}, "stages": [{"type": "sample"}, {"type": "nope"}]}""");
        Assert.Equal(3, ex.Errors.Count);
        Assert.Contains(ex.Errors, e => e.Message == "unknown option 'sed'; did you mean 'seed'?");
    }

    [Fact]
    public void Syntax_errors_give_line_and_column()
    {
        var ex = Invalid("{\n  \"input\": [,]\n}");
        var e = Assert.Single(ex.Errors);
        Assert.Equal(2, e.Line);
        Assert.StartsWith("invalid JSON", e.Message);
    }

    [Fact]
    public void Duplicate_stage_names_are_rejected()
    {
        var ex = Invalid($$"""{{{Io}}, "stages": [{"type": "normalize"}, {"type": "normalize"}]}""");
        Assert.Contains("two stages are named 'normalize'", Assert.Single(ex.Errors).Message);
    }

    [Fact]
    public void Comments_and_trailing_commas_are_allowed()
    {
        var p = Runs.Parse("{ // a pipeline\n" + Io + ", \"stages\": [{\"type\": \"normalize\",},],}");
        Assert.Single(p.Stages);
    }

    [Theory]
    [InlineData("min_words", 3, "min_word", 1)]
    [InlineData("gopher_quality", 14, "gopher_qualty", 1)]
    [InlineData("abc", 99, "xyz", 3)]
    public void Edit_distance_is_optimal_string_alignment(string a, int _, string b, int expected)
    {
        Assert.Equal(expected, NameSuggester.Distance(a, b));
    }

    [Fact]
    public void Duplicate_keys_are_an_error_at_the_second_key()
    {
        var ex = Invalid("{\"name\": \"a\",\n \"name\": \"b\", " + Io + "}");
        var e = Assert.Single(ex.Errors);
        Assert.Equal((2, 2), (e.Line, e.Column));
        Assert.Contains("key 'name' is given twice", e.Message);
    }
}
