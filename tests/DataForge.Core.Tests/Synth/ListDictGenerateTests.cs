using System.Text.Json;
using System.Text.Json.Nodes;
using DataForge.Determinism;
using DataForge.Stages;
using DataForge.Synth;
using DataForge.Configuration;

namespace DataForge.Tests.Synth;

public class ListDictGenerateTests
{
    static ListDictGenerateSource Stage(long count, long seed = 3, List<string>? kinds = null)
        => new(new ListDictGenerateOptions { Count = count, Seed = seed, Kinds = kinds }, new StageInit { Name = "list_dict_generate", Type = "list_dict_generate" });

    /// <summary>The tests' own implementation of every operation, on JSON.</summary>
    static JsonNode? Perform(string op, JsonNode input, JsonObject args)
    {
        switch (op)
        {
            case "sort":
            {
                var xs = input.AsArray().Select(x => x!.DeepClone()).ToList();
                xs.Sort((a, b) => a!.GetValueKind() == JsonValueKind.Number ? a.GetValue<long>().CompareTo(b!.GetValue<long>()) : string.CompareOrdinal(a.GetValue<string>(), b!.GetValue<string>()));
                if (args["reverse"]!.GetValue<bool>()) xs.Reverse();
                return new JsonArray([.. xs]);
            }
            case "reverse": return new JsonArray([.. input.AsArray().Reverse().Select(x => x!.DeepClone())]);
            case "filter":
            {
                string cmp = args["cmp"]!.GetValue<string>();
                long v = args["value"]?.GetValue<long>() ?? 0;
                return new JsonArray([.. input.AsArray().Select(x => x!.GetValue<long>()).Where(x => cmp switch
                {
                    "gt" => x > v, "lt" => x < v, "ge" => x >= v, "even" => Math.Abs(x) % 2 == 0, "odd" => Math.Abs(x) % 2 == 1, _ => throw new InvalidDataException(cmp),
                }).Select(x => (JsonNode)x)]);
            }
            case "map":
            {
                string fn = args["fn"]!.GetValue<string>();
                return new JsonArray([.. input.AsArray().Select(x => fn switch
                {
                    "upper" => (JsonNode)x!.GetValue<string>().ToUpperInvariant(),
                    "len" => x!.GetValue<string>().Length,
                    "mul" => x!.GetValue<long>() * args["value"]!.GetValue<long>(),
                    "add" => x!.GetValue<long>() + args["value"]!.GetValue<long>(),
                    "square" => x!.GetValue<long>() * x.GetValue<long>(),
                    _ => throw new InvalidDataException(fn),
                })]);
            }
            case "slice":
            {
                var xs = input.AsArray();
                int n = xs.Count;
                int step = (int?)args["step"]?.GetValue<long>() ?? 1;
                int start = Math.Clamp((int?)args["start"]?.GetValue<long>() ?? 0, 0, n), stop = Math.Clamp((int?)args["stop"]?.GetValue<long>() ?? n, 0, n);
                var r = new JsonArray();
                for (int i = start; i < stop; i += step) r.Add(xs[i]!.DeepClone());
                return r;
            }
            case "count": return input.AsArray().Count(x => JsonNode.DeepEquals(x, args["value"]));
            case "dedupe":
            {
                var r = new JsonArray();
                foreach (var x in input.AsArray()) if (!r.Any(y => JsonNode.DeepEquals(x, y))) r.Add(x!.DeepClone());
                return r;
            }
            case "lookup":
            {
                var d = input.AsObject();
                string key = args["key"]!.GetValue<string>();
                return d.ContainsKey(key) ? d[key]!.DeepClone() : args["default"]!.DeepClone();
            }
            case "merge":
            {
                var r = new JsonObject();
                foreach (var d in input.AsArray()) foreach (var (k, v) in d!.AsObject()) r[k] = v!.DeepClone();
                return r;
            }
            case "invert":
            {
                var r = new JsonObject();
                foreach (var (k, v) in input.AsObject()) r[v!.GetValue<string>()] = k;
                return r;
            }
            case "group_by":
            {
                var r = new JsonObject();
                string by = args["by"]!.GetValue<string>(), val = args["value"]!.GetValue<string>();
                foreach (var p in input.AsArray())
                {
                    string k = p![by]!.GetValue<string>();
                    if (r[k] is not JsonArray a) r[k] = a = [];
                    a.Add(p[val]!.DeepClone());
                }
                return r;
            }
            case "nested_access":
            {
                JsonNode? cur = input;
                foreach (var step in args["path"]!.AsArray())
                    cur = step!.GetValueKind() == JsonValueKind.String ? cur![step.GetValue<string>()] : cur![(int)step.GetValue<long>()];
                return cur!.DeepClone();
            }
            default: throw new InvalidDataException(op);
        }
    }

    [Fact]
    public void Every_answer_of_100k_items_is_recomputed_by_the_test()
    {
        var stage = Stage(100_000);
        var ops = new Dictionary<string, int>();
        for (long i = 0; i < 100_000; i++)
        {
            var item = stage.Item(i);
            var m = JsonNode.Parse(item.Meta)!.AsObject();
            Assert.Equal("list_dict", m["task"]!.GetValue<string>());
            string op = m["op"]!.GetValue<string>();
            ops[op] = ops.GetValueOrDefault(op) + 1;
            var expected = Perform(op, m["input"]!, m["args"]!.AsObject());
            Assert.True(JsonNode.DeepEquals(expected, m["answer"]), $"item {i} ({op}): expected {expected?.ToJsonString()}, found {m["answer"]?.ToJsonString()}");
            Assert.Equal(m["prompt"]!.GetValue<string>() + "\n\n" + m["response"]!.GetValue<string>(), item.Text);
            Assert.Contains("```python\n", item.Text, StringComparison.Ordinal);
        }
        Assert.Equal(ListDictItems.Ops.Length, ops.Count);
        Assert.All(ops.Values, n => Assert.InRange(n, 7_500, 9_200));
    }

    [Fact]
    public void Code_and_printed_output_are_python()
    {
        var rng = new SplitMix64(Seeds.DeriveForIndex(1, 1));
        for (int i = 0; i < 50; i++)
        {
            var it = ListDictItems.Generate("merge", "en", ref rng);
            Assert.Contains("print({**a, **b})", it.Prompt, StringComparison.Ordinal);
            Assert.Contains(ListDictItems.Py(it.Answer), it.Response, StringComparison.Ordinal);
        }
        Assert.Equal("{'a': [1, 'x'], 'b': None}", ListDictItems.Py(new PyDict { new("a", new List<object?> { 1L, "x" }), new("b", null) }));
    }

    [Fact]
    public void Deterministic_for_a_seed_and_workers()
    {
        using var dir = new TempDir();
        string P(string o) => $$"""{ "input": [{ "type": "list_dict_generate", "count": 1200, "seed": 9, "items_per_partition": 500 }], "output": { "type": "jsonl", "path": {{Runs.J(dir[o])}} } }""";
        Runs.Run(P("a"), workers: 1);
        Runs.Run(P("b"), workers: 2);
        Assert.Equal(Runs.Shards(dir["a"]), Runs.Shards(dir["b"]));
        Assert.Equal(Stage(5, 9).Item(4).Text, Runs.ReadDocs(dir["a"])[4].Text);
    }

    [Fact]
    public void Unknown_operation_is_named()
    {
        var ex = Assert.Throws<DataForge.Configuration.OptionException>(() => Stage(1, kinds: ["zip"]));
        Assert.Contains("unknown value 'zip'; expected one of: sort, reverse", ex.Message, StringComparison.Ordinal);
    }
}
