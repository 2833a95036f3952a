using System.Globalization;
using System.Numerics;

namespace DataForge.Tests.Synth;

/// <summary>The tests' own exact fraction (independent of DataForge.Synth.Rational).</summary>
public readonly record struct Q(BigInteger N, BigInteger D)
{
    public static Q Make(BigInteger n, BigInteger d)
    {
        if (d.IsZero) throw new DivideByZeroException();
        if (d < 0) { n = -n; d = -d; }
        var g = BigInteger.GreatestCommonDivisor(n, d);
        if (g > 1) { n /= g; d /= g; }
        if (n.IsZero) d = 1;
        return new Q(n, d);
    }

    public static Q operator +(Q a, Q b) => Make(a.N * b.D + b.N * a.D, a.D * b.D);
    public static Q operator -(Q a, Q b) => Make(a.N * b.D - b.N * a.D, a.D * b.D);
    public static Q operator *(Q a, Q b) => Make(a.N * b.N, a.D * b.D);
    public static Q operator /(Q a, Q b) => Make(a.N * b.D, a.D * b.N);
    public int CompareTo(Q b) => (N * b.D).CompareTo(b.N * D);

    /// <summary>Parses an answer: integer, decimal, or p/q that must be in lowest terms with q &gt; 1.</summary>
    public static Q ParseAnswer(string s)
    {
        int slash = s.IndexOf('/', StringComparison.Ordinal);
        if (slash >= 0)
        {
            var n = BigInteger.Parse(s[..slash], CultureInfo.InvariantCulture);
            var d = BigInteger.Parse(s[(slash + 1)..], CultureInfo.InvariantCulture);
            Assert.True(d > 1, $"fraction answer '{s}' needs a denominator > 1");
            Assert.True(BigInteger.GreatestCommonDivisor(n, d).IsOne, $"fraction answer '{s}' is not in lowest terms");
            return new Q(n, d);
        }
        Assert.Matches(@"^-?\d+(\.\d*[1-9])?$", s);
        return Expr.Eval(s, default);
    }
}

/// <summary>A tiny recursive-descent parser and evaluator for meta.expression (docs/synth.md) (+ - * / ^, parentheses, unary minus, x).</summary>
public static class Expr
{
    public static Q Eval(string s, Q? x)
    {
        int pos = 0;
        var v = Sum(s, ref pos, x);
        Skip(s, ref pos);
        if (pos != s.Length) throw new FormatException($"trailing input at {pos} in '{s}'");
        return v;
    }

    static void Skip(string s, ref int p) { while (p < s.Length && s[p] == ' ') p++; }

    static Q Sum(string s, ref int p, Q? x)
    {
        var v = Product(s, ref p, x);
        while (true)
        {
            Skip(s, ref p);
            if (p < s.Length && (s[p] == '+' || s[p] == '-'))
            {
                char op = s[p++];
                var r = Product(s, ref p, x);
                v = op == '+' ? v + r : v - r;
            }
            else return v;
        }
    }

    static Q Product(string s, ref int p, Q? x)
    {
        var v = Power(s, ref p, x);
        while (true)
        {
            Skip(s, ref p);
            if (p < s.Length && (s[p] == '*' || s[p] == '/'))
            {
                char op = s[p++];
                var r = Power(s, ref p, x);
                v = op == '*' ? v * r : v / r;
            }
            else return v;
        }
    }

    static Q Power(string s, ref int p, Q? x)
    {
        var b = Unary(s, ref p, x);
        Skip(s, ref p);
        if (p < s.Length && s[p] == '^')
        {
            p++;
            var e = Power(s, ref p, x);
            Assert.True(e.D.IsOne, "exponent must be an integer");
            var r = new Q(1, 1);
            for (int i = 0; i < BigInteger.Abs(e.N); i++) r *= b;
            return e.N < 0 ? new Q(1, 1) / r : r;
        }
        return b;
    }

    static Q Unary(string s, ref int p, Q? x)
    {
        Skip(s, ref p);
        if (s[p] == '-') { p++; var v = Unary(s, ref p, x); return Q.Make(-v.N, v.D); }
        if (s[p] == '(')
        {
            p++;
            var v = Sum(s, ref p, x);
            Skip(s, ref p);
            if (s[p] != ')') throw new FormatException($"expected ) at {p} in '{s}'");
            p++;
            return v;
        }
        if (s[p] == 'x') { p++; return x ?? throw new FormatException("x without a value"); }
        int start = p;
        while (p < s.Length && (char.IsAsciiDigit(s[p]) || s[p] == '.')) p++;
        if (start == p) throw new FormatException($"expected a number at {p} in '{s}'");
        string lit = s[start..p];
        int dot = lit.IndexOf('.', StringComparison.Ordinal);
        if (dot < 0) return new Q(BigInteger.Parse(lit, CultureInfo.InvariantCulture), 1);
        return Q.Make(BigInteger.Parse(lit.Replace(".", "", StringComparison.Ordinal), CultureInfo.InvariantCulture), BigInteger.Pow(10, lit.Length - dot - 1));
    }
}
