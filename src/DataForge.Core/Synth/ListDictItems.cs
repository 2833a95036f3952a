using System.Globalization;
using System.Text;
using DataForge.Determinism;

namespace DataForge.Synth;

/// <summary>An ordered dictionary value (insertion order, like Python 3.7+ dicts).</summary>
public sealed class PyDict : List<KeyValuePair<string, object?>>
{
    public int IndexOfKey(string k) => FindIndex(p => p.Key == k);

    public void Set(string k, object? v)
    {
        int i = IndexOfKey(k);
        if (i >= 0) this[i] = new(k, v); else Add(new(k, v));
    }
}

/// <summary>One list/dict manipulation task: Python-like code, the operation's arguments and its computed result.</summary>
public sealed record ListDictItem(string Op, string Lang, string Prompt, string Response, object Input, PyDict Args, object? Answer);

/// <summary>List and dict tasks; answers are computed by performing the operation (pure).</summary>
public static class ListDictItems
{
    public static readonly string[] Ops = ["sort", "reverse", "filter", "map", "slice", "count", "dedupe", "lookup", "merge", "invert", "group_by", "nested_access"];

    static readonly string[] Words = ["apple", "pear", "kiwi", "mango", "plum", "fig", "lime", "grape", "peach", "cherry", "melon", "lemon", "date", "olive", "berry"];
    static readonly string[] Keys = ["a", "b", "c", "d", "e", "x", "y", "z", "red", "blue", "green", "id", "age", "size", "count", "price"];
    static readonly string[] Names = ["ana", "bo", "chen", "dev", "eli", "fay", "gus", "hana", "ivan", "jun", "kim", "lee"];
    static readonly string[] Depts = ["sales", "ops", "dev", "hr"];
    static readonly string[] Codes = ["AB", "CD", "EF", "GH", "IJ", "KL", "MN", "OP", "QR", "ST"];

    static List<object?> Ints(ref SplitMix64 rng, int n, int lo, int hi)
    {
        var l = new List<object?>(n);
        for (int i = 0; i < n; i++) l.Add((long)rng.Range(lo, hi));
        return l;
    }

    static List<object?> WordList(ref SplitMix64 rng, int n)
    {
        var l = new List<object?>(n);
        for (int i = 0; i < n; i++) l.Add(rng.Pick(Words));
        return l;
    }

    static PyDict IntDict(ref SplitMix64 rng, int n)
    {
        var keys = Keys.ToList();
        rng.Shuffle(keys, BoundedDraw.MultiplyHigh);
        var d = new PyDict();
        for (int i = 0; i < n; i++) d.Add(new(keys[i], (long)rng.Range(0, 99)));
        return d;
    }

    public static ListDictItem Generate(string op, string lang, ref SplitMix64 rng)
    {
        var args = new PyDict();
        var code = new StringBuilder();
        object input;
        object? answer;
        string explain;
        bool zh = lang == "zh";
        switch (op)
        {
            case "sort":
            {
                var xs = rng.Chance(60) ? Ints(ref rng, rng.Range(3, 10), -20, 99) : WordList(ref rng, rng.Range(3, 8));
                bool rev = rng.Chance(40);
                args.Add(new("reverse", rev));
                input = xs;
                var sorted = xs.ToList();
                sorted.Sort(CompareValues);
                if (rev) sorted.Reverse();
                answer = sorted;
                code.Append($"xs = {Py(xs)}\nprint(sorted(xs{(rev ? ", reverse=True" : "")}))");
                explain = zh ? (rev ? "sorted 配合 reverse=True 按从大到小排序。" : "sorted 返回按从小到大排序的新列表。") : (rev ? "sorted with reverse=True orders the items from largest to smallest." : "sorted returns a new list in ascending order.");
                break;
            }
            case "reverse":
            {
                var xs = rng.Chance(50) ? Ints(ref rng, rng.Range(2, 10), 0, 99) : WordList(ref rng, rng.Range(2, 7));
                input = xs;
                var r = xs.ToList();
                r.Reverse();
                answer = r;
                bool slice = rng.Chance(50);
                code.Append($"xs = {Py(xs)}\n").Append(slice ? "print(xs[::-1])" : "xs.reverse()\nprint(xs)");
                explain = zh ? "列表的顺序被反转。" : "The list is reversed.";
                break;
            }
            case "filter":
            {
                var xs = Ints(ref rng, rng.Range(4, 12), -10, 60);
                string cmp = rng.Pick(new[] { "gt", "lt", "ge", "even", "odd" });
                long v = rng.Range(0, 40);
                args.Add(new("cmp", cmp));
                if (cmp is "gt" or "lt" or "ge") args.Add(new("value", v));
                input = xs;
                answer = xs.Where(x => Keep((long)x!, cmp, v)).ToList();
                string cond = cmp switch { "gt" => $"x > {v}", "lt" => $"x < {v}", "ge" => $"x >= {v}", "even" => "x % 2 == 0", _ => "x % 2 == 1" };
                code.Append($"xs = {Py(xs)}\nprint([x for x in xs if {cond}])");
                explain = zh ? $"只保留满足 {cond} 的元素。" : $"Only the elements with {cond} are kept.";
                break;
            }
            case "map":
            {
                string fn = rng.Pick(new[] { "mul", "add", "square", "upper", "len" });
                args.Add(new("fn", fn));
                long v = rng.Range(2, 9);
                List<object?> xs;
                string expr;
                if (fn is "upper" or "len")
                {
                    xs = WordList(ref rng, rng.Range(2, 6));
                    answer = fn == "upper" ? xs.Select(x => (object?)((string)x!).ToUpperInvariant()).ToList() : xs.Select(x => (object?)(long)((string)x!).Length).ToList();
                    expr = fn == "upper" ? "w.upper() for w in xs" : "len(w) for w in xs";
                }
                else
                {
                    xs = Ints(ref rng, rng.Range(2, 8), -9, 30);
                    if (fn != "square") args.Add(new("value", v));
                    answer = xs.Select(x => (object?)(fn == "mul" ? (long)x! * v : fn == "add" ? (long)x! + v : (long)x! * (long)x!)).ToList();
                    expr = fn switch { "mul" => $"x * {v} for x in xs", "add" => $"x + {v} for x in xs", _ => "x ** 2 for x in xs" };
                }
                input = xs;
                code.Append($"xs = {Py(xs)}\nprint([{expr}])");
                explain = zh ? "对每个元素做同样的运算。" : "The same operation is applied to every element.";
                break;
            }
            case "slice":
            {
                var xs = Ints(ref rng, rng.Range(3, 12), 0, 99);
                int n = xs.Count;
                long? start = rng.Chance(75) ? rng.Range(0, n) : null;
                long? stop = rng.Chance(75) ? rng.Range((int)(start ?? 0), n + 2) : null;
                long? step = rng.Chance(50) ? rng.Range(1, 3) : null;
                args.Add(new("start", start));
                args.Add(new("stop", stop));
                args.Add(new("step", step));
                input = xs;
                var r = new List<object?>();
                long s0 = Math.Min(start ?? 0, n), e0 = Math.Min(stop ?? n, n), st = step ?? 1;
                for (long i = s0; i < e0; i += st) r.Add(xs[(int)i]);
                answer = r;
                code.Append($"xs = {Py(xs)}\nprint(xs[{start?.ToString(CultureInfo.InvariantCulture)}:{stop?.ToString(CultureInfo.InvariantCulture)}{(step is null ? "" : ":" + step.Value.ToString(CultureInfo.InvariantCulture))}])");
                explain = zh ? "切片从 start 开始（含），到 stop 结束（不含），步长为 step。" : "A slice runs from start (included) to stop (excluded) in steps of step.";
                break;
            }
            case "count":
            {
                var xs = rng.Chance(50) ? Ints(ref rng, rng.Range(3, 12), 0, 6) : WordList(ref rng, rng.Range(3, 10));
                object? v = rng.Chance(80) ? xs[rng.NextInt(xs.Count)] : (xs[0] is long ? (object)99L : "banana");
                args.Add(new("value", v));
                input = xs;
                answer = (long)xs.Count(x => Equals(x, v));
                code.Append($"xs = {Py(xs)}\nprint(xs.count({Py(v)}))");
                explain = zh ? $"数一数 {Py(v)} 出现了几次。" : $"Count how many times {Py(v)} occurs.";
                break;
            }
            case "dedupe":
            {
                var xs = rng.Chance(50) ? Ints(ref rng, rng.Range(3, 12), 0, 8) : WordList(ref rng, rng.Range(3, 10));
                input = xs;
                var seen = new HashSet<object?>();
                answer = xs.Where(seen.Add).ToList();
                code.Append($"xs = {Py(xs)}\nprint(list(dict.fromkeys(xs)))");
                explain = zh ? "dict.fromkeys 去掉重复元素并保留第一次出现的顺序。" : "dict.fromkeys removes duplicates and keeps the order of first occurrence.";
                break;
            }
            case "lookup":
            {
                var d = IntDict(ref rng, rng.Range(2, 6));
                string key = rng.Chance(70) ? d[rng.NextInt(d.Count)].Key : Keys.First(k => d.IndexOfKey(k) < 0);
                long def = rng.Range(-1, 0);
                args.Add(new("key", key));
                args.Add(new("default", def));
                input = d;
                int at = d.IndexOfKey(key);
                answer = at >= 0 ? d[at].Value : def;
                code.Append($"d = {Py(d)}\nprint(d.get({Py(key)}, {def}))");
                explain = zh ? "get 在键存在时返回对应的值，否则返回默认值。" : "get returns the key's value when the key exists and the default otherwise.";
                break;
            }
            case "merge":
            {
                var a = IntDict(ref rng, rng.Range(1, 5));
                var b = IntDict(ref rng, rng.Range(1, 5));
                input = new List<object?> { a, b };
                var m = new PyDict();
                foreach (var (k, v) in a) m.Set(k, v);
                foreach (var (k, v) in b) m.Set(k, v);
                answer = m;
                code.Append($"a = {Py(a)}\nb = {Py(b)}\nprint({{**a, **b}})");
                explain = zh ? "合并两个字典，键相同时以 b 的值为准。" : "The dicts are merged; for a key in both, the value from b wins.";
                break;
            }
            case "invert":
            {
                int n = rng.Range(2, 6);
                var codes = Codes.ToList();
                rng.Shuffle(codes, BoundedDraw.MultiplyHigh);
                var names = Names.ToList();
                rng.Shuffle(names, BoundedDraw.MultiplyHigh);
                var d = new PyDict();
                for (int i = 0; i < n; i++) d.Add(new(names[i], codes[i]));
                input = d;
                var inv = new PyDict();
                foreach (var (k, v) in d) inv.Set((string)v!, k);
                answer = inv;
                code.Append($"d = {Py(d)}\nprint({{v: k for k, v in d.items()}})");
                explain = zh ? "交换每一对键和值。" : "Each key and value swap places.";
                break;
            }
            case "group_by":
            {
                int n = rng.Range(2, 7);
                var people = new List<object?>();
                for (int i = 0; i < n; i++) people.Add(new PyDict { new("name", Names[rng.NextInt(Names.Length)]), new("dept", rng.Pick(Depts)) });
                args.Add(new("by", "dept"));
                args.Add(new("value", "name"));
                input = people;
                var g = new PyDict();
                foreach (PyDict p in people.Cast<PyDict>())
                {
                    string k = (string)p[1].Value!;
                    int at = g.IndexOfKey(k);
                    if (at < 0) g.Add(new(k, new List<object?> { p[0].Value }));
                    else ((List<object?>)g[at].Value!).Add(p[0].Value);
                }
                answer = g;
                code.Append($"people = {Py(people)}\ngroups = {{}}\nfor p in people:\n    groups.setdefault(p['dept'], []).append(p['name'])\nprint(groups)");
                explain = zh ? "按部门分组，组的顺序是部门第一次出现的顺序。" : "Names are grouped by department, in order of each department's first appearance.";
                break;
            }
            case "nested_access":
            {
                var tags = WordList(ref rng, rng.Range(1, 4));
                var inner = new PyDict { new("name", rng.Pick(Names)), new("age", (long)rng.Range(18, 70)), new("tags", tags) };
                var data = new PyDict { new("id", (long)rng.Range(1, 999)), new("user", inner), new("scores", Ints(ref rng, rng.Range(1, 4), 0, 100)) };
                var path = new List<object?>();
                object? cur;
                switch (rng.NextInt(4))
                {
                    case 0: path.Add("user"); path.Add("name"); cur = inner[0].Value; break;
                    case 1: path.Add("user"); path.Add("age"); cur = inner[1].Value; break;
                    case 2: { long i = rng.NextInt(tags.Count); path.Add("user"); path.Add("tags"); path.Add(i); cur = tags[(int)i]; break; }
                    default: { var sc = (List<object?>)data[2].Value!; long i = rng.NextInt(sc.Count); path.Add("scores"); path.Add(i); cur = sc[(int)i]; break; }
                }
                args.Add(new("path", path));
                input = data;
                answer = cur;
                code.Append($"data = {Py(data)}\nprint(data{string.Concat(path.Select(p => "[" + Py(p) + "]"))})");
                explain = zh ? "逐层按键或下标取值。" : "Each key or index selects one level of the nested structure.";
                break;
            }
            default: throw new ArgumentException($"unknown list/dict op '{op}'");
        }
        string prompt = (zh ? "下面的 Python 代码会输出什么？\n\n```python\n" : "What does this Python code print?\n\n```python\n") + code + "\n```";
        string printed = answer is string s ? s : Py(answer);
        string response = explain + (zh ? "\n输出：\n```\n" : "\nOutput:\n```\n") + printed + "\n```";
        return new ListDictItem(op, lang, prompt, response, input, args, answer);
    }

    static bool Keep(long x, string cmp, long v) => cmp switch
    {
        "gt" => x > v,
        "lt" => x < v,
        "ge" => x >= v,
        "even" => x % 2 == 0,
        _ => x % 2 != 0,
    };

    static int CompareValues(object? a, object? b) => (a, b) switch
    {
        (long x, long y) => x.CompareTo(y),
        (string x, string y) => string.CompareOrdinal(x, y),
        _ => throw new InvalidOperationException("mixed types"),
    };

    /// <summary>Python repr of a value (lists, dicts, strings with single quotes, ints, None, bools).</summary>
    public static string Py(object? v)
    {
        var sb = new StringBuilder();
        WritePy(sb, v);
        return sb.ToString();
    }

    static void WritePy(StringBuilder sb, object? v)
    {
        switch (v)
        {
            case null: sb.Append("None"); break;
            case bool b: sb.Append(b ? "True" : "False"); break;
            case long l: sb.Append(l.ToString(CultureInfo.InvariantCulture)); break;
            case string s: sb.Append('\'').Append(s).Append('\''); break;
            case PyDict d:
                sb.Append('{');
                for (int i = 0; i < d.Count; i++)
                {
                    if (i > 0) sb.Append(", ");
                    WritePy(sb, d[i].Key);
                    sb.Append(": ");
                    WritePy(sb, d[i].Value);
                }
                sb.Append('}');
                break;
            case List<object?> list:
                sb.Append('[');
                for (int i = 0; i < list.Count; i++)
                {
                    if (i > 0) sb.Append(", ");
                    WritePy(sb, list[i]);
                }
                sb.Append(']');
                break;
            default: throw new ArgumentException(v.GetType().Name);
        }
    }
}
