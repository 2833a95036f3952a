using System.Text;

namespace DataForge.Synth;

/// <summary>How a literal is written: integers, decimals, or fractions (<c>(3/4)</c> in ASCII).</summary>
public enum NumStyle { Integer, Decimal, Fraction }

/// <summary>An arithmetic expression tree over exact rationals.</summary>
public abstract record Expr
{
    public abstract Rational Evaluate();
}

public sealed record Num(Rational Value, NumStyle Style) : Expr
{
    public override Rational Evaluate() => Value;

    /// <summary>The literal style that fits a computed value.</summary>
    public static Num Of(Rational v, bool preferDecimal)
        => new(v, v.IsInteger ? NumStyle.Integer : preferDecimal && v.IsTerminating ? NumStyle.Decimal : NumStyle.Fraction);
}

/// <summary>Binary operation; <see cref="Op"/> is one of <c>+ - * / ^</c> (the exponent of ^ is an integer literal).</summary>
public sealed record Bin(char Op, Expr Left, Expr Right) : Expr
{
    public override Rational Evaluate()
    {
        var a = Left.Evaluate();
        var b = Right.Evaluate();
        return Op switch
        {
            '+' => a + b,
            '-' => a - b,
            '*' => a * b,
            '/' => a / b,
            '^' => b.IsInteger && b.Num >= -64 && b.Num <= 64 ? Rational.Pow(a, (int)b.Num) : throw new InvalidOperationException("exponent must be a small integer"),
            _ => throw new InvalidOperationException($"unknown operator {Op}"),
        };
    }
}

/// <summary>Rendering and step-by-step reduction of expressions.</summary>
public static class MathRender
{
    static int Precedence(Expr e) => e is Bin b ? b.Op switch { '+' or '-' => 1, '*' or '/' => 2, _ => 3 } : 4;

    /// <summary>ASCII infix as in <c>meta.expression</c> (docs/synth.md): <c>+ - * / ^</c>, fractions as <c>(3/4)</c>, negatives as <c>(-3)</c>.</summary>
    public static string Ascii(Expr e)
    {
        var sb = new StringBuilder();
        Write(sb, e, ascii: true);
        return sb.ToString();
    }

    /// <summary>Human notation for question text: × and ÷, fractions as 3/4.</summary>
    public static string Human(Expr e)
    {
        // A lone number needs no parentheses, even when negative.
        if (e is Num n && n.Value.Sign < 0) return "-" + Literal(new Num(-n.Value, n.Style), ascii: false);
        var sb = new StringBuilder();
        Write(sb, e, ascii: false);
        return sb.ToString();
    }

    public static string Literal(Num n, bool ascii)
    {
        var v = n.Value;
        string body = n.Style switch
        {
            NumStyle.Decimal when v.IsTerminating => v.ToDecimalString(),
            NumStyle.Integer when v.IsInteger => v.ToFractionString(),
            _ => v.ToFractionString(),
        };
        bool fraction = !v.IsInteger && !(n.Style == NumStyle.Decimal && v.IsTerminating);
        if (v.Sign < 0 || (fraction && ascii)) return "(" + body + ")";
        return body;
    }

    static void Write(StringBuilder sb, Expr e, bool ascii)
    {
        if (e is Num n) { sb.Append(Literal(n, ascii)); return; }
        var b = (Bin)e;
        int p = Precedence(b);
        bool leftParens = b.Op == '^' ? Precedence(b.Left) <= p : Precedence(b.Left) < p;
        bool rightParens = b.Op == '^' ? Precedence(b.Right) < p : Precedence(b.Right) < p || (Precedence(b.Right) == p && b.Op is '-' or '/');
        // Human fractions like 3/4 bind like a division, so they need parentheses next to * / ^.
        if (!ascii)
        {
            leftParens |= b.Op == '^' && IsHumanFraction(b.Left);
            rightParens |= b.Op is '/' or '^' && IsHumanFraction(b.Right);
        }
        Group(sb, b.Left, ascii, leftParens);
        sb.Append(' ').Append(ascii ? b.Op : b.Op switch { '*' => '×', '/' => '÷', _ => b.Op }).Append(' ');
        Group(sb, b.Right, ascii, rightParens);
    }

    static bool IsHumanFraction(Expr e) => e is Num n && !n.Value.IsInteger && n.Value.Sign > 0 && !(n.Style == NumStyle.Decimal && n.Value.IsTerminating);

    static void Group(StringBuilder sb, Expr e, bool ascii, bool parens)
    {
        if (parens) sb.Append('(');
        Write(sb, e, ascii);
        if (parens) sb.Append(')');
    }

    /// <summary>Replaces the first operation (post-order) whose operands are both numbers by its value; null when <paramref name="e"/> is a number.</summary>
    public static Expr? ReduceOnce(Expr e, bool preferDecimal)
    {
        if (e is not Bin b) return null;
        if (b.Left is Num && b.Right is Num) return Num.Of(b.Evaluate(), preferDecimal);
        if (ReduceOnce(b.Left, preferDecimal) is { } l) return b with { Left = l };
        return b with { Right = ReduceOnce(b.Right, preferDecimal)! };
    }

    /// <summary>The expression followed by each reduction, in human notation ("= ..." lines).</summary>
    public static List<string> Steps(Expr e, bool preferDecimal)
    {
        var lines = new List<string> { Human(e) };
        for (var cur = ReduceOnce(e, preferDecimal); cur is not null; cur = ReduceOnce(cur, preferDecimal))
            lines.Add("= " + Human(cur));
        return lines;
    }

    /// <summary>Largest absolute numerator or denominator in the tree and its partial results (to keep numbers readable).</summary>
    public static double Magnitude(Expr e)
    {
        var v = e.Evaluate();
        double m = Math.Max(Math.Abs((double)v.Num), (double)v.Den);
        if (e is Bin b) m = Math.Max(m, Math.Max(Magnitude(b.Left), Magnitude(b.Right)));
        return m;
    }
}

/// <summary>Parser for the ASCII expressions math_generate writes (used to follow up on comparisons).</summary>
public static class ExprParser
{
    public static Rational Evaluate(string s)
    {
        int p = 0;
        var v = Sum(s, ref p);
        Skip(s, ref p);
        if (p != s.Length) throw new FormatException($"unexpected '{s[p]}' at {p} in expression '{s}'");
        return v;
    }

    static void Skip(string s, ref int p) { while (p < s.Length && s[p] == ' ') p++; }

    static Rational Sum(string s, ref int p)
    {
        var v = Product(s, ref p);
        for (Skip(s, ref p); p < s.Length && s[p] is '+' or '-'; Skip(s, ref p))
        {
            char op = s[p++];
            var r = Product(s, ref p);
            v = op == '+' ? v + r : v - r;
        }
        return v;
    }

    static Rational Product(string s, ref int p)
    {
        var v = Power(s, ref p);
        for (Skip(s, ref p); p < s.Length && s[p] is '*' or '/'; Skip(s, ref p))
        {
            char op = s[p++];
            var r = Power(s, ref p);
            v = op == '*' ? v * r : v / r;
        }
        return v;
    }

    static Rational Power(string s, ref int p)
    {
        var b = Atom(s, ref p);
        Skip(s, ref p);
        if (p < s.Length && s[p] == '^')
        {
            p++;
            var e = Power(s, ref p);
            return Rational.Pow(b, (int)e.Num);
        }
        return b;
    }

    static Rational Atom(string s, ref int p)
    {
        Skip(s, ref p);
        if (p >= s.Length) throw new FormatException($"unexpected end of expression '{s}'");
        if (s[p] == '-') { p++; return -Atom(s, ref p); }
        if (s[p] == '(')
        {
            p++;
            var v = Sum(s, ref p);
            Skip(s, ref p);
            if (p >= s.Length || s[p] != ')') throw new FormatException($"expected ')' in expression '{s}'");
            p++;
            return v;
        }
        int start = p;
        while (p < s.Length && (char.IsAsciiDigit(s[p]) || s[p] == '.')) p++;
        if (start == p) throw new FormatException($"expected a number at {p} in expression '{s}'");
        return Rational.Parse(s[start..p]);
    }
}
