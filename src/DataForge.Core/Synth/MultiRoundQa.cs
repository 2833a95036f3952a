using System.Text;
using System.Text.Json;
using DataForge.Determinism;
using DataForge.Documents;
using DataForge.Execution;
using DataForge.Stages;
using DataForge.Configuration;

namespace DataForge.Synth;

public sealed class MultiRoundQaOptions
{
    [Option("Follow-up turns added after a generated item's question (each depends on the previous answer).", Min = 1, Max = 8)]
    public int FollowUps { get; init; } = 2;

    [Option("Question/answer documents without a generated item (instruction data, cloze questions) are chained into one dialogue, up to this many consecutive documents of one source and script (Chinese or not).", Min = 1, Max = 16)]
    public int Group { get; init; } = 3;

    [Option("Also emit each input document unchanged, next to its dialogue.")]
    public bool KeepOriginal { get; init; }

    [Option("Seed for choosing follow-ups; default: the pipeline seed.", Min = 0)]
    public long? Seed { get; init; }

    [Option("Only documents from these sources become dialogues; others pass through unchanged. Default: all.")]
    public List<string>? Sources { get; init; }
}

/// <summary>A follow-up turn and the check data behind its answer.</summary>
public sealed record FollowUp(string Question, string Answer, string Op, string? Value, string Result);

/// <summary>Follow-up questions whose answers are computed from the previous answer (pure).</summary>
public static class FollowUps
{
    static readonly string[] NumericOps = ["add", "sub", "mul", "div", "square", "half", "percent"];

    /// <summary>Numeric follow-ups on <paramref name="start"/>; each result feeds the next question.</summary>
    public static List<FollowUp> Numeric(Rational start, int n, string lang, ref SplitMix64 rng)
    {
        var list = new List<FollowUp>();
        var cur = start;
        bool zh = lang == "zh";
        for (int k = 0; k < n; k++)
        {
            string op = NumericOps[rng.NextInt(NumericOps.Length)];
            if (op == "div" && cur.IsZero) op = "add";
            if (op == "square" && (BigIntegerDigits(cur) > 12)) op = "half";
            int v = op == "percent" ? rng.Range(1, 19) * 5 : rng.Range(2, 12);
            Rational next = op switch
            {
                "add" => cur + v,
                "sub" => cur - v,
                "mul" => cur * v,
                "div" => cur / v,
                "square" => cur * cur,
                "half" => cur / 2,
                _ => cur * v / 100,
            };
            string c = Show(cur), r = Show(next);
            string q = op switch
            {
                "add" => zh ? $"把这个结果加上 {v}，得多少？" : $"Now add {v} to that result. What do you get?",
                "sub" => zh ? $"再从结果中减去 {v} 呢？" : $"And if you subtract {v} from it?",
                "mul" => zh ? $"把结果乘以 {v} 是多少？" : $"What is that result multiplied by {v}?",
                "div" => zh ? $"把结果除以 {v} 呢？" : $"What do you get when you divide it by {v}?",
                "square" => zh ? "这个结果的平方是多少？" : "What is the square of that result?",
                "half" => zh ? "它的一半是多少？" : "What is half of it?",
                _ => zh ? $"它的 {v}% 是多少？" : $"What is {v}% of it?",
            };
            string a = op switch
            {
                "add" => $"{c} + {v} = {r}",
                "sub" => $"{c} - {v} = {r}",
                "mul" => $"{c} × {v} = {r}",
                "div" => $"{c} ÷ {v} = {r}",
                "square" => $"{c} × {c} = {r}",
                "half" => $"{c} ÷ 2 = {r}",
                _ => $"{c} × {v}/100 = {r}",
            };
            list.Add(new FollowUp(q, (zh ? "答案：" : "Answer: ") + a, op, op is "square" or "half" ? null : v.ToString(System.Globalization.CultureInfo.InvariantCulture), r));
            cur = next;
        }
        return list;
    }

    static int BigIntegerDigits(Rational r) => System.Numerics.BigInteger.Abs(r.Num).ToString(System.Globalization.CultureInfo.InvariantCulture).Length + r.Den.ToString(System.Globalization.CultureInfo.InvariantCulture).Length;

    static string Show(Rational r) => r.ToAnswerString(preferDecimal: true);

    /// <summary>Follow-ups on a list/dict answer: length, sum, first element, keys, sorted (each computed).</summary>
    public static List<FollowUp> OnValue(JsonElement answer, int n, string lang, ref SplitMix64 rng)
    {
        var list = new List<FollowUp>();
        bool zh = lang == "zh";
        object? cur = ToPy(answer);
        for (int k = 0; k < n; k++)
        {
            var options = new List<string>();
            if (cur is List<object?> l)
            {
                options.Add("len");
                if (l.Count > 0) options.Add("first");
                if (l.Count > 0 && l.All(x => x is long)) options.Add("sum");
                if (l.Count > 1 && (l.All(x => x is long) || l.All(x => x is string))) options.Add("sorted_desc");
            }
            else if (cur is PyDict d) { options.Add("len"); options.Add("keys"); }
            else if (cur is long) options.Add("double");
            else if (cur is string) options.Add("strlen");
            if (options.Count == 0) break;
            string op = options[rng.NextInt(options.Count)];
            object? next;
            string q;
            switch (op)
            {
                case "len": next = (long)(cur is PyDict dd ? dd.Count : ((List<object?>)cur!).Count); q = zh ? "结果里有多少个元素？用 len() 算一下。" : "How many elements does the result have (len)?"; break;
                case "first": next = ((List<object?>)cur!)[0]; q = zh ? "结果的第一个元素是什么？" : "What is the first element of the result?"; break;
                case "sum": next = ((List<object?>)cur!).Sum(x => (long)x!); q = zh ? "结果中所有数的和是多少？" : "What is the sum of the numbers in the result?"; break;
                case "sorted_desc":
                {
                    var s = ((List<object?>)cur!).ToList();
                    s.Sort((a, b) => a is long x ? x.CompareTo((long)b!) : string.CompareOrdinal((string)a!, (string)b!));
                    s.Reverse();
                    next = s;
                    q = zh ? "把结果按从大到小排序。" : "Sort the result in descending order.";
                    break;
                }
                case "keys": next = ((PyDict)cur!).Select(p => (object?)p.Key).ToList(); q = zh ? "列出结果的所有键（list(d.keys())）。" : "List the keys of the result (list(d.keys()))."; break;
                case "double": next = (long)cur! * 2; q = zh ? "把它乘以 2 是多少？" : "What is it times 2?"; break;
                default: next = (long)((string)cur!).Length; q = zh ? "这个字符串有几个字符？" : "How many characters does that string have?"; break;
            }
            string shown = next is string str ? str : ListDictItems.Py(next);
            list.Add(new FollowUp(q, (zh ? "答案：" : "Answer: ") + shown, op, null, JsonSerializer.Serialize(ToJson(next))));
            cur = next;
        }
        return list;
    }

    public static object? ToPy(JsonElement e) => e.ValueKind switch
    {
        JsonValueKind.Array => e.EnumerateArray().Select(ToPy).ToList(),
        JsonValueKind.Object => ToDict(e),
        JsonValueKind.Number => e.GetInt64(),
        JsonValueKind.String => e.GetString(),
        JsonValueKind.True => true,
        JsonValueKind.False => false,
        _ => null,
    };

    static PyDict ToDict(JsonElement e)
    {
        var d = new PyDict();
        foreach (var p in e.EnumerateObject()) d.Add(new(p.Name, ToPy(p.Value)));
        return d;
    }

    static object? ToJson(object? v) => v switch
    {
        PyDict d => d.ToDictionary(p => p.Key, p => ToJson(p.Value)),
        List<object?> l => l.Select(ToJson).ToList(),
        _ => v,
    };
}

/// <summary>Turns generated items into multi-turn dialogues with dependent follow-ups, and chains other QA pairs.</summary>
[Stage("multi_round_qa", StageShape.Expand, "Builds multi-turn dialogues: generated items get follow-up turns computed from earlier answers; other QA pairs are chained into dialogues.")]
public sealed class MultiRoundQaStage : ExpandStage
{
    readonly MultiRoundQaOptions _o;
    readonly ulong _seed;
    readonly SourceSelector _select;
    static readonly ChatFormatOptions FieldNames = new();

    public MultiRoundQaStage(MultiRoundQaOptions options, StageInit init) : base(init)
    {
        _o = options;
        _seed = options.Seed is { } s ? (ulong)s : init.Seed;
        _select = new SourceSelector(options.Sources);
    }

    public override DocumentBatch Expand(DocumentBatch batch, StageContext context)
    {
        var b = new DocumentBatchBuilder();
        var pending = new List<(int Row, List<ChatMessage> Messages)>();
        void FlushGroup()
        {
            if (pending.Count == 0) return;
            int first = pending[0].Row;
            var msgs = pending.SelectMany(p => p.Messages).ToList();
            var ids = pending.Select(p => batch.GetId(p.Row)).ToList();
            Emit(b, batch, first, $"{ids[0]}/dialogue", msgs, "qa", w =>
            {
                w.WriteStartArray("source_ids");
                foreach (var id in ids) w.WriteStringValue(id);
                w.WriteEndArray();
            });
            for (int k = 1; k < pending.Count; k++)
                if (!_o.KeepOriginal) context.Drop(batch, pending[k].Row, "multi_round_qa.merged");
            context.Count("multi_round_qa.dialogues");
            pending.Clear();
        }
        for (int i = 0; i < batch.Length; i++)
        {
            if (!_select.Applies(batch, i)) { FlushGroup(); SourceSelector.PassThrough(batch, i, b); continue; }
            if (_o.KeepOriginal) SourceSelector.PassThrough(batch, i, b);
            string id = batch.GetId(i);
            string? metaJson = batch.Meta.IsNull(i) ? null : batch.Meta.GetString(i);
            using var meta = TryParse(metaJson);
            var m = meta?.RootElement ?? default;
            string task = m.ValueKind == JsonValueKind.Object && m.TryGetProperty("task", out var t) && t.ValueKind == JsonValueKind.String ? t.GetString()! : "";
            if (task is "math" or "list_dict" && m.TryGetProperty("prompt", out var p) && m.TryGetProperty("response", out var r))
            {
                FlushGroup();
                var rng = new SplitMix64(Seeds.DeriveForKey(_seed, id));
                string lang = m.TryGetProperty("lang", out var lg) ? lg.GetString() ?? "en" : "en";
                List<FollowUp> follow;
                if (task == "math") follow = MathFollowUps(m, lang, ref rng);
                else follow = FollowUps.OnValue(m.GetProperty("answer"), _o.FollowUps, lang, ref rng);
                var msgs = new List<ChatMessage> { new("user", p.GetString()!), new("assistant", r.GetString()!) };
                foreach (var f in follow) { msgs.Add(new("user", f.Question)); msgs.Add(new("assistant", f.Answer)); }
                Emit(b, batch, i, $"{id}/dialogue", msgs, task, w =>
                {
                    w.WriteString("source_id", id);
                    if (m.TryGetProperty("answer", out var a)) { w.WritePropertyName("first_answer"); a.WriteTo(w); }
                    w.WriteStartArray("follow_ups");
                    foreach (var f in follow)
                    {
                        w.WriteStartObject();
                        w.WriteString("op", f.Op);
                        if (f.Value is not null) w.WriteString("value", f.Value);
                        w.WriteString("result", f.Result);
                        w.WriteEndObject();
                    }
                    w.WriteEndArray();
                });
                context.Count("multi_round_qa.dialogues");
                continue;
            }
            var d = ChatInputs.Extract(metaJson, _ => null, batch.Text.GetString(i), FieldNames);
            if (d is null)
            {
                FlushGroup();
                if (!_o.KeepOriginal) context.Drop(batch, i, "multi_round_qa.no_question");
                continue;
            }
            // One dialogue holds consecutive pairs of one source and one script (Chinese or not).
            bool cjk = HasCjk(d.Value.Messages[0].Content);
            if (pending.Count > 0 && (!batch.Source.GetBytes(pending[0].Row).SequenceEqual(batch.Source.GetBytes(i)) || HasCjk(pending[0].Messages[0].Content) != cjk)) FlushGroup();
            pending.Add((i, d.Value.Messages));
            if (pending.Count == _o.Group) FlushGroup();
        }
        FlushGroup();
        return b.Build();
    }

    List<FollowUp> MathFollowUps(JsonElement m, string lang, ref SplitMix64 rng)
    {
        string answer = m.GetProperty("answer").GetString()!;
        if (m.GetProperty("kind").GetString() == "comparison")
        {
            // "<", ">" or "=": follow with the difference of the two sides, then numeric steps on it.
            var diff = new Bin('-', Parse(m.GetProperty("left").GetString()!), Parse(m.GetProperty("right").GetString()!)).Evaluate();
            string r = diff.ToAnswerString(true);
            var first = new FollowUp(lang == "zh" ? "左边减右边等于多少？" : "What is the left side minus the right side?", (lang == "zh" ? "答案：左边 - 右边 = " : "Answer: left - right = ") + r, "difference", null, r);
            return [first, .. FollowUps.Numeric(diff, _o.FollowUps - 1, lang, ref rng)];
        }
        return FollowUps.Numeric(Rational.Parse(answer), _o.FollowUps, lang, ref rng);
    }

    /// <summary>Evaluates one of our own ASCII expressions (numbers, + - * / ^, parentheses, unary minus).</summary>
    static Expr Parse(string s) => new Num(ExprParser.Evaluate(s), NumStyle.Fraction);

    static bool HasCjk(string s)
    {
        foreach (char c in s) if (c is >= '\u4E00' and <= '\u9FFF') return true;
        return false;
    }

    static JsonDocument? TryParse(string? json)
    {
        if (json is null) return null;
        try { return JsonDocument.Parse(json); } catch (JsonException) { return null; }
    }

    static void Emit(DocumentBatchBuilder b, DocumentBatch batch, int row, string id, List<ChatMessage> msgs, string kind, Action<Utf8JsonWriter> extra)
    {
        string lang = batch.Lang.IsNull(row) ? "" : batch.Lang.GetString(row);
        bool zh = lang == "zh";
        var text = new StringBuilder();
        foreach (var msg in msgs)
        {
            if (text.Length > 0) text.Append("\n\n");
            text.Append(msg.Role == "assistant" ? (zh ? "助手：" : "Assistant: ") : (zh ? "用户：" : "User: ")).Append(msg.Content);
        }
        var meta = SynthJson.Object(w =>
        {
            w.WriteString("task", "dialogue");
            w.WriteString("kind", kind);
            w.WriteNumber("turns", msgs.Count / 2);
            w.WriteStartArray("messages");
            foreach (var msg in msgs)
            {
                w.WriteStartObject();
                w.WriteString("role", msg.Role);
                w.WriteString("content", msg.Content);
                w.WriteEndObject();
            }
            w.WriteEndArray();
            extra(w);
        });
        b.Append(Encoding.UTF8.GetBytes(id), Encoding.UTF8.GetBytes(text.ToString()), batch.Source.GetBytes(row), batch.Url.GetBytes(row), batch.Lang.GetBytes(row), meta,
            hasUrl: !batch.Url.IsNull(row), hasLang: !batch.Lang.IsNull(row), hasMeta: true);
    }
}
