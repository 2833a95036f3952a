using System.Globalization;
using System.Text;
using DataForge.Determinism;

namespace DataForge.Synth;

/// <summary>One generated maths item: question, worked solution and exact answer.</summary>
public sealed record MathItem(string Kind, int Level, string Lang, string Prompt, string Response, string? Expression, string Answer,
    IReadOnlyList<KeyValuePair<string, object?>> Extra);

/// <summary>Rule-based maths items (pure; every answer computed exactly with <see cref="Rational"/>).</summary>
public static class MathItems
{
    public static readonly string[] Kinds = ["arithmetic", "decimal", "fraction", "percentage", "unit_conversion", "comparison", "equation", "word_problem"];

    static readonly CultureInfo Inv = CultureInfo.InvariantCulture;

    public static MathItem Generate(string kind, int level, string lang, ref SplitMix64 rng)
    {
        for (int attempt = 0; ; attempt++)
        {
            try
            {
                var item = kind switch
                {
                    "arithmetic" => Arithmetic(level, lang, ref rng, NumStyle.Integer),
                    "decimal" => Arithmetic(level, lang, ref rng, NumStyle.Decimal),
                    "fraction" => Arithmetic(level, lang, ref rng, NumStyle.Fraction),
                    "percentage" => Percentage(level, lang, ref rng),
                    "unit_conversion" => UnitConversion(level, lang, ref rng),
                    "comparison" => Comparison(level, lang, ref rng),
                    "equation" => Equation(level, lang, ref rng),
                    "word_problem" => WordProblem(level, lang, ref rng),
                    _ => throw new ArgumentException($"unknown math kind '{kind}'"),
                };
                if (item is not null) return item;
            }
            catch (DivideByZeroException) { }
            if (attempt > 1000) throw new InvalidOperationException($"could not generate a {kind} item");
        }
    }

    // ---------- arithmetic over integers, decimals, fractions ----------

    static Num Leaf(ref SplitMix64 rng, int level, NumStyle style)
    {
        switch (style)
        {
            case NumStyle.Decimal:
            {
                int places = rng.Range(1, level == 1 ? 1 : 2);
                int scale = places == 1 ? 10 : 100;
                int max = level switch { 1 => 100, 2 => 1000, _ => 5000 };
                int v = rng.Range(1, max);
                if (v % 10 == 0) v++;
                return new Num(new Rational(v, scale), NumStyle.Decimal);
            }
            case NumStyle.Fraction:
            {
                int q = rng.Range(2, level == 1 ? 6 : level == 2 ? 10 : 12);
                int p = rng.Range(1, level == 1 ? q - 1 : 2 * q);
                var r = new Rational(p, q);
                if (r.IsInteger) r = new Rational(p, q + 1);
                return new Num(r, r.IsInteger ? NumStyle.Integer : NumStyle.Fraction);
            }
            default:
            {
                int max = level switch { 1 => 20, 2 => 50, _ => 100 };
                return new Num(rng.Range(1, max), NumStyle.Integer);
            }
        }
    }

    static Expr Tree(ref SplitMix64 rng, int operands, int level, NumStyle style, string ops)
    {
        if (operands == 1) return Leaf(ref rng, level, style);
        int left = rng.Range(1, operands - 1);
        char op = ops[rng.NextInt(ops.Length)];
        if (op == '^')
        {
            // Small powers only: (leaf) ^ 2 or 3.
            var b = Leaf(ref rng, 1, style == NumStyle.Decimal ? NumStyle.Integer : style);
            var pow = new Bin('^', b, new Num(rng.Range(2, 3), NumStyle.Integer));
            if (operands == 2) return pow;
            return new Bin(rng.Chance(50) ? '+' : '*', pow, Tree(ref rng, operands - 2, level, style, ops.Replace("^", "", StringComparison.Ordinal)));
        }
        return new Bin(op, Tree(ref rng, left, level, style, ops), Tree(ref rng, operands - left, level, style, ops));
    }

    static MathItem? Arithmetic(int level, string lang, ref SplitMix64 rng, NumStyle style)
    {
        string kind = style switch { NumStyle.Decimal => "decimal", NumStyle.Fraction => "fraction", _ => "arithmetic" };
        int operands = level switch { 1 => rng.Range(2, 3), 2 => rng.Range(3, 4), _ => rng.Range(4, 5) };
        string ops = (style, level) switch
        {
            (_, 1) => style == NumStyle.Fraction ? "+-" : "+-",
            (NumStyle.Integer, 2) => "+-*",
            (NumStyle.Integer, _) => "+-*/^",
            (_, 2) => "+-*",
            _ => "+-*/",
        };
        if (style == NumStyle.Fraction && level >= 2) ops = "+-*/";
        var e = Tree(ref rng, operands, level, style, ops);
        bool preferDecimal = style == NumStyle.Decimal;
        var v = e.Evaluate();
        if (MathRender.Magnitude(e) > 1e6) return null;
        if (style == NumStyle.Integer && level < 3 && v.Sign < 0 && rng.Chance(70)) return null;
        if (style == NumStyle.Decimal && !v.IsTerminating) return null;
        string human = MathRender.Human(e);
        string prompt = lang == "zh"
            ? rng.Pick(ZhArith).Replace("{e}", human, StringComparison.Ordinal)
            : rng.Pick(EnArith).Replace("{e}", human, StringComparison.Ordinal);
        string answer = v.ToAnswerString(preferDecimal);
        return new MathItem(kind, level, lang, prompt, Solution(lang, MathRender.Steps(e, preferDecimal), answer), MathRender.Ascii(e), answer, []);
    }

    static readonly string[] EnArith = ["Calculate {e}.", "What is {e}?", "Evaluate {e}.", "Compute the value of {e}."];
    static readonly string[] ZhArith = ["计算：{e}", "求 {e} 的值。", "请计算 {e} 等于多少。"];

    static string Solution(string lang, IEnumerable<string> lines, string answer)
    {
        var sb = new StringBuilder(lang == "zh" ? "解：\n" : "Solution:\n");
        foreach (var l in lines) sb.Append(l).Append('\n');
        sb.Append(lang == "zh" ? "答案：" : "Answer: ").Append(answer);
        return sb.ToString();
    }

    static Num I(long v) => new(v, NumStyle.Integer);
    static Num D(Rational v) => Num.Of(v, preferDecimal: true);

    // ---------- percentages ----------

    static MathItem? Percentage(int level, string lang, ref SplitMix64 rng)
    {
        int form = rng.NextInt(level == 1 ? 2 : 4);
        Expr e;
        string prompt;
        var extra = new List<KeyValuePair<string, object?>>();
        switch (form)
        {
            case 0:
            {
                int p = level == 1 ? rng.Range(1, 10) * 10 : rng.Range(1, 99), n = rng.Range(2, level == 1 ? 20 : 200) * (level == 1 ? 10 : 1);
                e = new Bin('*', new Bin('/', I(p), I(100)), I(n));
                prompt = lang == "zh" ? $"{n} 的 {p}% 是多少？" : $"What is {p}% of {n}?";
                break;
            }
            case 1:
            {
                int b = rng.Range(2, 50) * (level == 1 ? 4 : 1), a = rng.Range(1, b);
                e = new Bin('*', new Bin('/', I(a), I(b)), I(100));
                prompt = lang == "zh" ? $"{a} 是 {b} 的百分之几？（答案写成百分数的数值）" : $"{a} is what percent of {b}? (Give the number of percent.)";
                break;
            }
            case 2:
            {
                int price = rng.Range(10, 500), p = rng.Range(1, 60);
                bool up = rng.Chance(50);
                e = new Bin('*', I(price), new Bin(up ? '+' : '-', I(1), new Bin('/', I(p), I(100))));
                prompt = lang == "zh"
                    ? $"一件商品原价 {price} 元，{(up ? "涨价" : "降价")} {p}% 后的价格是多少元？"
                    : $"An item costs {price} dollars. After a {p}% {(up ? "increase" : "discount")}, what is the new price in dollars?";
                break;
            }
            default:
            {
                int before = rng.Range(20, 400), after = rng.Range(20, 400);
                if (before == after) after++;
                e = new Bin('*', new Bin('/', new Bin('-', I(after), I(before)), I(before)), I(100));
                prompt = lang == "zh"
                    ? $"某数从 {before} 变为 {after}，变化了百分之几？（增加为正，减少为负）"
                    : $"A value changes from {before} to {after}. By what percent did it change? (Increase positive, decrease negative.)";
                break;
            }
        }
        var v = e.Evaluate();
        string answer = v.ToAnswerString(true);
        return new MathItem("percentage", level, lang, prompt, Solution(lang, MathRender.Steps(e, true), answer), MathRender.Ascii(e), answer, extra);
    }

    // ---------- unit conversions (factors to the base unit are exact decimals) ----------

    public sealed record Unit(string Name, string Zh, string Dimension, string Factor);

    public static readonly Unit[] Units =
    [
        new("mm", "毫米", "length", "0.001"), new("cm", "厘米", "length", "0.01"), new("m", "米", "length", "1"), new("km", "千米", "length", "1000"),
        new("in", "英寸", "length", "0.0254"), new("ft", "英尺", "length", "0.3048"), new("mi", "英里", "length", "1609.344"),
        new("mg", "毫克", "mass", "0.001"), new("g", "克", "mass", "1"), new("kg", "千克", "mass", "1000"), new("t", "吨", "mass", "1000000"), new("lb", "磅", "mass", "453.59237"),
        new("s", "秒", "time", "1"), new("min", "分钟", "time", "60"), new("h", "小时", "time", "3600"), new("day", "天", "time", "86400"),
        new("ml", "毫升", "volume", "0.001"), new("l", "升", "volume", "1"), new("m3", "立方米", "volume", "1000"),
    ];

    static readonly Dictionary<string, (string En, string Zh)> BaseUnits = new()
    {
        ["length"] = ("m", "米"), ["mass"] = ("g", "克"), ["time"] = ("s", "秒"), ["volume"] = ("l", "升"),
    };

    static MathItem? UnitConversion(int level, string lang, ref SplitMix64 rng)
    {
        var from = Units[rng.NextInt(Units.Length)];
        var same = Units.Where(u => u.Dimension == from.Dimension && u != from).ToArray();
        var to = same[rng.NextInt(same.Length)];
        Rational value = level == 1 ? rng.Range(1, 100) : level == 2 ? new Rational(rng.Range(1, 1000), 10) : new Rational(rng.Range(1, 10000), 100);
        var e = new Bin('/', new Bin('*', D(value), D(Rational.Parse(from.Factor))), D(Rational.Parse(to.Factor)));
        var v = e.Evaluate();
        string vs = value.ToAnswerString(true);
        string prompt = lang == "zh" ? $"{vs} {from.Zh} 等于多少{to.Zh}？" : $"Convert {vs} {from.Name} to {to.Name}.";
        string answer = v.ToAnswerString(true);
        var (baseEn, baseZh) = BaseUnits[from.Dimension];
        var lines = new List<string>
        {
            lang == "zh" ? $"1 {from.Zh} = {from.Factor} {baseZh}，1 {to.Zh} = {to.Factor} {baseZh}。" : $"1 {from.Name} = {from.Factor} {baseEn} and 1 {to.Name} = {to.Factor} {baseEn}.",
        };
        lines.AddRange(MathRender.Steps(e, true));
        return new MathItem("unit_conversion", level, lang, prompt, Solution(lang, lines, answer), MathRender.Ascii(e), answer,
            [new("value", vs), new("from", from.Name), new("to", to.Name)]);
    }

    // ---------- comparisons ----------

    static MathItem? Comparison(int level, string lang, ref SplitMix64 rng)
    {
        NumStyle s1 = level == 1 ? NumStyle.Integer : rng.Chance(50) ? NumStyle.Fraction : NumStyle.Decimal;
        NumStyle s2 = level == 1 ? NumStyle.Integer : rng.Chance(50) ? NumStyle.Fraction : NumStyle.Decimal;
        int operands = level == 3 ? 2 : 1;
        Expr l = operands == 1 ? (level == 1 ? Tree(ref rng, 2, 1, s1, "+-*") : Leaf(ref rng, 2, s1)) : Tree(ref rng, 2, 2, s1, "+-*");
        Expr r = operands == 1 ? (level == 1 ? Tree(ref rng, 2, 1, s2, "+-*") : Leaf(ref rng, 2, s2)) : Tree(ref rng, 2, 2, s2, "+-*");
        if (rng.Chance(10)) r = l;
        var a = l.Evaluate();
        var b = r.Evaluate();
        string rel = a < b ? "<" : a > b ? ">" : "=";
        string hl = MathRender.Human(l), hr = MathRender.Human(r);
        string prompt = lang == "zh"
            ? $"比较大小：{hl} ○ {hr}，在 ○ 中填入 >、< 或 =。"
            : $"Compare {hl} and {hr}: write >, < or = between them.";
        bool dec = s1 == NumStyle.Decimal || s2 == NumStyle.Decimal;
        var lines = new List<string>
        {
            (lang == "zh" ? "左边：" : "Left: ") + hl + " = " + Num.Of(a, dec).Value.ToAnswerString(dec),
            (lang == "zh" ? "右边：" : "Right: ") + hr + " = " + Num.Of(b, dec).Value.ToAnswerString(dec),
            hl + " " + rel + " " + hr,
        };
        return new MathItem("comparison", level, lang, prompt, Solution(lang, lines, rel), null, rel,
            [new("left", MathRender.Ascii(l)), new("right", MathRender.Ascii(r))]);
    }

    // ---------- linear equations ----------

    static MathItem? Equation(int level, string lang, ref SplitMix64 rng)
    {
        // a*x + b = c*x + d, with a != c; level 1 has c = 0 and an integer solution.
        int a = rng.Range(1, level == 1 ? 9 : 12) * (level == 3 && rng.Chance(30) ? -1 : 1);
        int c = level == 1 ? 0 : rng.Range(1, 9);
        if (a == c) a++;
        int b = rng.Range(-20, 30), d;
        Rational x;
        if (level <= 2) { x = rng.Range(-10, 20); d = (int)((a - c) * x + b).Num; }
        else { d = rng.Range(-30, 60); x = new Rational(d - b, a - c); }
        string Side(int coef, int cons)
        {
            if (coef == 0) return cons.ToString(Inv);
            string t = coef == 1 ? "x" : coef == -1 ? "-x" : $"{coef}x";
            return cons == 0 ? t : cons > 0 ? $"{t} + {cons}" : $"{t} - {-cons}";
        }
        string AsciiSide(int coef, int cons)
        {
            if (coef == 0) return cons < 0 ? $"({cons})" : cons.ToString(Inv);
            string t = coef < 0 ? $"({coef})*x" : $"{coef}*x";
            return cons == 0 ? t : cons > 0 ? $"{t} + {cons}" : $"{t} - {-cons}";
        }
        string human = $"{Side(a, b)} = {Side(c, d)}";
        var expr = new Bin('/', new Bin('-', Signed(d), Signed(b)), Signed(a - c));
        var v = expr.Evaluate();
        if (v != x) throw new InvalidOperationException("equation solution mismatch");
        string answer = v.ToAnswerString(false);
        var lines = new List<string> { human };
        if (c != 0) lines.Add($"{Side(a - c, b)} = {d}");
        lines.Add($"{Side(a - c, 0)} = {d - b}");
        lines.Add(string.Create(Inv, $"x = {d - b} / {(a - c < 0 ? string.Create(Inv, $"({a - c})") : (a - c).ToString(Inv))} = {answer}"));
        string prompt = lang == "zh" ? $"解方程：{human}，求 x。" : $"Solve for x: {human}";
        return new MathItem("equation", level, lang, prompt, Solution(lang, lines, "x = " + answer), MathRender.Ascii(expr), answer,
            [new("equation", $"{AsciiSide(a, b)} = {AsciiSide(c, d)}")]);
    }

    static Num Signed(long v) => new(v, NumStyle.Integer);

    // ---------- word problems (multi-step, templates in English and Chinese) ----------

    static MathItem? WordProblem(int level, string lang, ref SplitMix64 rng)
    {
        int t = rng.NextInt(6);
        Expr e;
        string prompt, unitEn, unitZh;
        string[] names = lang == "zh" ? ["小明", "小红", "李华", "王芳", "张伟"] : ["Anna", "Ben", "Carlos", "Divya", "Emma", "Farid"];
        string who = rng.Pick(names);
        int k = level;
        switch (t)
        {
            case 0:
            {
                int a = rng.Range(2, 4 * k + 2), p = rng.Range(2, 10 * k), b = rng.Range(1, 3 * k + 1), q = rng.Range(1, 8 * k);
                int cost = a * p + b * q;
                int m = ((cost / 10) + rng.Range(1, 5)) * 10;
                e = new Bin('-', I(m), new Bin('+', new Bin('*', I(a), I(p)), new Bin('*', I(b), I(q))));
                prompt = lang == "zh"
                    ? $"{who}买了 {a} 本笔记本，每本 {p} 元，又买了 {b} 支笔，每支 {q} 元。{who}付了 {m} 元，应找回多少元？"
                    : $"{who} buys {a} notebooks at {p} dollars each and {b} pens at {q} dollars each, and pays with {m} dollars. How much change does {who} get?";
                (unitEn, unitZh) = ("dollars", "元");
                break;
            }
            case 1:
            {
                int v = rng.Range(20, 60 + 20 * k), h = rng.Range(1, 2 + k), w = rng.Range(10, 80), u = rng.Range(1, 3);
                e = new Bin('+', new Bin('*', I(v), I(h)), new Bin('*', I(w), I(u)));
                prompt = lang == "zh"
                    ? $"一辆车先以每小时 {v} 千米的速度行驶了 {h} 小时，又以每小时 {w} 千米的速度行驶了 {u} 小时。一共行驶了多少千米？"
                    : $"A car drives at {v} km/h for {h} hours and then at {w} km/h for {u} hours. How many kilometres does it travel in total?";
                (unitEn, unitZh) = ("km", "千米");
                break;
            }
            case 2:
            {
                int kids = rng.Range(2, 3 + 2 * k), each = rng.Range(2, 6 + 2 * k), eaten = rng.Range(1, each - 1);
                int n = kids * each;
                e = new Bin('-', new Bin('/', I(n), I(kids)), I(eaten));
                prompt = lang == "zh"
                    ? $"{n} 个苹果平均分给 {kids} 个小朋友，每个小朋友吃掉 {eaten} 个后，每人还剩多少个？"
                    : $"{n} apples are shared equally among {kids} children. Each child eats {eaten} of them. How many apples does each child have left?";
                (unitEn, unitZh) = ("apples", "个");
                break;
            }
            case 3:
            {
                int l = rng.Range(3, 10 + 10 * k), w = rng.Range(2, l);
                bool area = rng.Chance(50);
                e = area ? new Bin('*', I(l), I(w)) : new Bin('*', I(2), new Bin('+', I(l), I(w)));
                if (k >= 2 && area)
                {
                    int cut = rng.Range(1, w - 1 < 1 ? 1 : w - 1);
                    e = new Bin('-', e, new Bin('*', I(cut), I(cut)));
                    prompt = lang == "zh"
                        ? $"一块长方形木板长 {l} 厘米、宽 {w} 厘米，从一角剪去一个边长 {cut} 厘米的正方形，剩下的面积是多少平方厘米？"
                        : $"A rectangular board is {l} cm long and {w} cm wide. A square with sides of {cut} cm is cut from one corner. What area is left, in square centimetres?";
                    (unitEn, unitZh) = ("cm²", "平方厘米");
                }
                else if (area)
                {
                    prompt = lang == "zh" ? $"一个长方形长 {l} 米，宽 {w} 米，面积是多少平方米？" : $"A rectangle is {l} m long and {w} m wide. What is its area in square metres?";
                    (unitEn, unitZh) = ("m²", "平方米");
                }
                else
                {
                    prompt = lang == "zh" ? $"一个长方形花园长 {l} 米，宽 {w} 米，周长是多少米？" : $"A rectangular garden is {l} m long and {w} m wide. What is its perimeter in metres?";
                    (unitEn, unitZh) = ("m", "米");
                }
                break;
            }
            case 4:
            {
                int s = rng.Range(5, 20 * k), weeks = rng.Range(2, 6 + 4 * k), spent = rng.Range(1, s * weeks - 1);
                e = new Bin('-', new Bin('*', I(s), I(weeks)), I(spent));
                prompt = lang == "zh"
                    ? $"{who}每周存 {s} 元，存了 {weeks} 周，然后花掉了 {spent} 元。{who}还剩多少元？"
                    : $"{who} saves {s} dollars every week for {weeks} weeks and then spends {spent} dollars. How much money is left?";
                (unitEn, unitZh) = ("dollars", "元");
                break;
            }
            default:
            {
                int rows = rng.Range(2, 4 + 2 * k), per = rng.Range(5, 10 + 10 * k), given = rng.Range(1, rows * per / 2), bought = rng.Range(0, 10 * k);
                e = new Bin('+', new Bin('-', new Bin('*', I(rows), I(per)), I(given)), I(bought));
                prompt = lang == "zh"
                    ? $"书架有 {rows} 层，每层放 {per} 本书。送出 {given} 本后，又买来 {bought} 本。现在书架上有多少本书？"
                    : $"A bookshelf has {rows} shelves with {per} books on each. {given} books are given away and {bought} new books are added. How many books are on the bookshelf now?";
                (unitEn, unitZh) = ("books", "本");
                break;
            }
        }
        var value = e.Evaluate();
        if (value.Sign < 0) return null;
        string answer = value.ToAnswerString(true);
        var lines = MathRender.Steps(e, true);
        lines.Add(lang == "zh" ? $"所以答案是 {answer} {unitZh}。" : $"So the answer is {answer} {unitEn}.");
        return new MathItem("word_problem", level, lang, prompt, Solution(lang, lines, answer), MathRender.Ascii(e), answer, []);
    }
}
