using System.Text.Json;
using System.Text.Json.Nodes;
using DataForge.Synth;
using DataForge.Configuration;

namespace DataForge.Tests.Synth;

public class DialogueTests
{
    const string L3 = ChatTemplate.Llama3;

    [Fact]
    public void Llama3_template_single_turn_with_and_without_system()
    {
        var t = new ChatTemplate(L3);
        Assert.Equal(L3.Replace("{system}", "Be brief.", StringComparison.Ordinal).Replace("{user}", "Hi", StringComparison.Ordinal).Replace("{assistant}", "Hello!", StringComparison.Ordinal),
            t.Render("Be brief.", [new("user", "Hi"), new("assistant", "Hello!")]));
        Assert.Equal("<|begin_of_text|><|start_header_id|>user<|end_header_id|>\n\nHi<|eot_id|><|start_header_id|>assistant<|end_header_id|>\n\nHello!<|eot_id|>",
            t.Render(null, [new("user", "Hi"), new("assistant", "Hello!")]));
        Assert.Equal("<|begin_of_text|><|start_header_id|>user<|end_header_id|>\n\nA<|eot_id|><|start_header_id|>assistant<|end_header_id|>\n\nB<|eot_id|><|start_header_id|>user<|end_header_id|>\n\nC<|eot_id|><|start_header_id|>assistant<|end_header_id|>\n\nD<|eot_id|>",
            t.Render(null, [new("user", "A"), new("assistant", "B"), new("user", "C"), new("assistant", "D")]));
    }

    [Fact]
    public void Other_templates_are_split_into_turns()
    {
        var chatml = new ChatTemplate("<|im_start|>system\n{system}<|im_end|>\n<|im_start|>user\n{user}<|im_end|>\n<|im_start|>assistant\n{assistant}<|im_end|>\n");
        Assert.Equal("<|im_start|>user\nA<|im_end|>\n<|im_start|>assistant\nB<|im_end|>\n", chatml.Render(null, [new("user", "A"), new("assistant", "B")]));
        var alpaca = new ChatTemplate("### Instruction:\n{user}\n\n### Response:\n{assistant}\n\n");
        Assert.Equal("### Instruction:\nA\n\n### Response:\nB\n\n### Instruction:\nC\n\n### Response:\nD\n\n",
            alpaca.Render("ignored", [new("user", "A"), new("assistant", "B"), new("user", "C"), new("assistant", "D")]));
        Assert.Contains("{user}", Assert.Throws<DataForge.Configuration.OptionException>(() => new ChatTemplate("{system} {assistant}")).Message, StringComparison.Ordinal);
        Assert.Contains("order", Assert.Throws<DataForge.Configuration.OptionException>(() => new ChatTemplate("{assistant} {user}")).Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Chat_format_renders_the_alpaca_sample()
    {
        using var dir = new TempDir();
        string input = SynthTestData.Sample("instruct/alpaca.jsonl");
        var r = Runs.Run(Runs.PipelineJson(input, dir["o"], """{ "type": "chat_format", "system": "You are a helpful assistant." }""", reader: "\"type\": \"jsonl\", \"text_field\": \"output\""));
        var docs = SynthTestData.ReadOutput(dir["o"]);
        Assert.Equal(200, docs.Count);
        var src = File.ReadLines(input).Select(l => JsonNode.Parse(l)!).ToList();
        for (int i = 0; i < docs.Count; i++)
        {
            string text = docs[i].GetProperty("text").GetString()!;
            string instruction = src[i]["instruction"]!.GetValue<string>(), inp = src[i]["input"]!.GetValue<string>(), outp = src[i]["output"]!.GetValue<string>();
            string user = inp.Length == 0 ? instruction : instruction + "\n\n" + inp;
            Assert.Equal(L3.Replace("{system}", "You are a helpful assistant.", StringComparison.Ordinal).Replace("{user}", user, StringComparison.Ordinal).Replace("{assistant}", outp, StringComparison.Ordinal), text);
        }
        Assert.Equal(200, r.Stats.Stages.Single(s => s.Name == "chat_format").Counters["chat_format.single_turn"]);
    }

    [Fact]
    public void Chat_format_drops_documents_without_instruction_data_and_respects_sources()
    {
        using var dir = new TempDir();
        string input = dir.Write("in.jsonl", "{\"id\":\"a\",\"text\":\"plain text\"}\n{\"id\":\"b\",\"text\":\"answer\",\"instruction\":\"question\"}\n");
        var r = Runs.Run(Runs.PipelineJson(input, dir["o"], """{ "type": "chat_format", "template": "Q: {user}\nA: {assistant}\n" }"""));
        var docs = Runs.ReadDocs(dir["o"]);
        Assert.Equal([("b", "Q: question\nA: answer\n")], docs);
        Assert.Equal(1, r.Stats.Stages.Single(s => s.Name == "chat_format").Dropped["chat_format.no_instruction"]);
        Runs.Run(Runs.PipelineJson(input, dir["p"], """{ "type": "chat_format", "sources": ["elsewhere"] }"""));
        Assert.Equal(["plain text", "answer"], Runs.ReadDocs(dir["p"]).Select(d => d.Text).ToList());
    }

    static Q Apply(Q cur, string op, string? value)
    {
        var v = value is null ? default : Expr.Eval(value, null);
        return op switch
        {
            "add" => cur + v, "sub" => cur - v, "mul" => cur * v, "div" => cur / v, "square" => cur * cur,
            "half" => cur / new Q(2, 1), "percent" => cur * v / new Q(100, 1), _ => throw new InvalidDataException(op),
        };
    }

    [Fact]
    public void Math_dialogues_follow_ups_are_rechecked()
    {
        using var dir = new TempDir();
        var r = Runs.Run($$"""
            { "input": [{ "type": "math_generate", "count": 4000, "seed": 4 }], "stages": [{ "type": "multi_round_qa", "follow_ups": 3 }],
              "output": { "type": "jsonl", "path": {{Runs.J(dir["o"])}} } }
            """);
        var docs = SynthTestData.ReadOutput(dir["o"]);
        Assert.Equal(4000, docs.Count);
        foreach (var d in docs)
        {
            var m = SynthTestData.Meta(d);
            Assert.Equal("dialogue", m.GetProperty("task").GetString());
            var msgs = m.GetProperty("messages").EnumerateArray().ToList();
            Assert.Equal(8, msgs.Count);
            var follow = m.GetProperty("follow_ups").EnumerateArray().ToList();
            Assert.Equal(3, follow.Count);
            string first = m.GetProperty("first_answer").GetString()!;
            Q cur = default;
            for (int k = 0; k < follow.Count; k++)
            {
                string op = follow[k].GetProperty("op").GetString()!;
                if (op == "difference")
                {
                    Assert.Contains(first, new[] { "<", ">", "=" });
                    cur = Q.ParseAnswer(follow[k].GetProperty("result").GetString()!);
                    Assert.Equal(first == "<" ? -1 : first == ">" ? 1 : 0, Math.Sign(cur.CompareTo(new Q(0, 1))));
                }
                else
                {
                    if (k == 0) cur = Q.ParseAnswer(first);
                    cur = Apply(cur, op, follow[k].TryGetProperty("value", out var v) ? v.GetString() : null);
                    Assert.Equal(cur, Q.ParseAnswer(follow[k].GetProperty("result").GetString()!));
                }
                Assert.EndsWith("= " + follow[k].GetProperty("result").GetString(), msgs[3 + 2 * k].GetProperty("content").GetString()!, StringComparison.Ordinal);
            }
        }
        Assert.Equal(4000, r.Stats.Stages.Single(s => s.Name == "multi_round_qa").Counters["multi_round_qa.dialogues"]);
    }

    [Fact]
    public void List_dict_dialogues_follow_ups_are_rechecked()
    {
        using var dir = new TempDir();
        Runs.Run($$"""
            { "input": [{ "type": "list_dict_generate", "count": 3000, "seed": 4 }], "stages": [{ "type": "multi_round_qa" }],
              "output": { "type": "jsonl", "path": {{Runs.J(dir["o"])}} } }
            """);
        foreach (var d in SynthTestData.ReadOutput(dir["o"]))
        {
            var m = SynthTestData.Meta(d);
            JsonNode? cur = JsonNode.Parse(m.GetProperty("first_answer").GetRawText());
            foreach (var f in m.GetProperty("follow_ups").EnumerateArray())
            {
                JsonNode? next = f.GetProperty("op").GetString() switch
                {
                    "len" => (long)(cur is JsonObject o ? o.Count : cur!.AsArray().Count),
                    "first" => cur!.AsArray()[0]!.DeepClone(),
                    "sum" => cur!.AsArray().Sum(x => x!.GetValue<long>()),
                    "sorted_desc" => SortedDesc(cur!.AsArray()),
                    "keys" => new JsonArray([.. cur!.AsObject().Select(p => (JsonNode)p.Key)]),
                    "double" => cur!.GetValue<long>() * 2,
                    "strlen" => (long)cur!.GetValue<string>().Length,
                    var op => throw new InvalidDataException(op),
                };
                Assert.True(JsonNode.DeepEquals(next, JsonNode.Parse(f.GetProperty("result").GetString()!)), $"{d.GetProperty("id")}: {f}");
                cur = next;
            }
        }
    }

    [Fact]
    public void Qa_pairs_are_chained_and_merged_documents_accounted()
    {
        using var dir = new TempDir();
        string input = SynthTestData.Sample("instruct/alpaca.jsonl");
        var r = Runs.Run($$"""
            { "input": [{ "type": "jsonl", "paths": [{{Runs.J(input)}}], "text_field": "output" }],
              "stages": [{ "type": "multi_round_qa", "group": 3 }, { "type": "chat_format" }],
              "output": { "type": "jsonl", "path": {{Runs.J(dir["o"])}} } }
            """);
        var docs = SynthTestData.ReadOutput(dir["o"]);
        long merged = r.Stats.Stages.Single(s => s.Name == "multi_round_qa").Dropped["multi_round_qa.merged"];
        Assert.Equal(200, docs.Count + merged);
        Assert.InRange(docs.Count, 67, 140);
        foreach (var d in docs)
        {
            var users = SynthTestData.Meta(d).GetProperty("messages").EnumerateArray().Where(m => m.GetProperty("role").GetString() == "user").Select(m => m.GetProperty("content").GetString()!).ToList();
            Assert.InRange(users.Count, 1, 3);
            Assert.Single(users.Select(u => u.Any(c => c is >= '\u4E00' and <= '\u9FFF')).Distinct());
        }
        var three = docs.First(d => SynthTestData.Meta(d).GetProperty("source_ids").GetArrayLength() == 3);
        string text = three.GetProperty("text").GetString()!;
        Assert.Equal(3, CountOf(text, "<|start_header_id|>user<|end_header_id|>"));
        Assert.Equal(3, CountOf(text, "<|start_header_id|>assistant<|end_header_id|>"));
    }

    [Fact]
    public void Keep_original_emits_both_and_is_deterministic()
    {
        using var dir = new TempDir();
        string P(string o) => $$"""
            { "input": [{ "type": "math_generate", "count": 500, "seed": 8, "items_per_partition": 100 }],
              "stages": [{ "type": "multi_round_qa", "keep_original": true }, { "type": "chat_format" }],
              "output": { "type": "jsonl", "path": {{Runs.J(dir[o])}} } }
            """;
        Runs.Run(P("a"), workers: 1);
        Runs.Run(P("b"), workers: 2);
        Assert.Equal(Runs.Shards(dir["a"]), Runs.Shards(dir["b"]));
        var docs = Runs.ReadDocs(dir["a"]);
        Assert.Equal(1000, docs.Count);
        Assert.Equal("math_generate-00000000", docs[0].Id);
        Assert.Equal("math_generate-00000000/dialogue", docs[1].Id);
        Assert.StartsWith("<|begin_of_text|><|start_header_id|>user", docs[0].Text, StringComparison.Ordinal);
    }

    static JsonArray SortedDesc(JsonArray a)
    {
        var l = a.Select(x => x!.DeepClone()).ToList();
        l.Sort((x, y) => x!.GetValueKind() == JsonValueKind.Number ? y!.GetValue<long>().CompareTo(x.GetValue<long>()) : string.CompareOrdinal(y!.GetValue<string>(), x.GetValue<string>()));
        return new JsonArray([.. l]);
    }

    static int CountOf(string s, string what)
    {
        int n = 0;
        for (int i = s.IndexOf(what, StringComparison.Ordinal); i >= 0; i = s.IndexOf(what, i + what.Length, StringComparison.Ordinal)) n++;
        return n;
    }
}
