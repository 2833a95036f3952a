using System.Globalization;
using System.Numerics;
using System.Text;

namespace DataForge.Synth;

/// <summary>An exact rational number in lowest terms with a positive denominator.</summary>
public readonly struct Rational : IEquatable<Rational>, IComparable<Rational>
{
    public BigInteger Num { get; }
    public BigInteger Den { get; }

    public Rational(BigInteger num, BigInteger den)
    {
        if (den.IsZero) throw new DivideByZeroException("rational with zero denominator");
        if (den.Sign < 0) { num = -num; den = -den; }
        var g = BigInteger.GreatestCommonDivisor(num, den);
        if (!g.IsOne && !g.IsZero) { num /= g; den /= g; }
        if (num.IsZero) den = BigInteger.One;
        Num = num;
        Den = den;
    }

    public static implicit operator Rational(long v) => new(v, BigInteger.One);
    public static Rational FromInt(long v) => new(v, BigInteger.One);

    public bool IsInteger => Den.IsOne;
    public bool IsZero => Num.IsZero;
    public int Sign => Num.Sign;

    public static Rational operator +(Rational a, Rational b) => new(a.Num * b.Den + b.Num * a.Den, a.Den * b.Den);
    public static Rational operator -(Rational a, Rational b) => new(a.Num * b.Den - b.Num * a.Den, a.Den * b.Den);
    public static Rational operator -(Rational a) => new(-a.Num, a.Den);
    public static Rational operator *(Rational a, Rational b) => new(a.Num * b.Num, a.Den * b.Den);
    public static Rational operator /(Rational a, Rational b)
    {
        if (b.Num.IsZero) throw new DivideByZeroException("division by zero");
        return new(a.Num * b.Den, a.Den * b.Num);
    }

    /// <summary>Integer power (negative exponents invert).</summary>
    public static Rational Pow(Rational a, int e)
    {
        if (e >= 0) return new(BigInteger.Pow(a.Num, e), BigInteger.Pow(a.Den, e));
        if (a.IsZero) throw new DivideByZeroException("zero to a negative power");
        return new(BigInteger.Pow(a.Den, -e), BigInteger.Pow(a.Num, -e));
    }

    public static bool operator ==(Rational a, Rational b) => a.Equals(b);
    public static bool operator !=(Rational a, Rational b) => !a.Equals(b);
    public static bool operator <(Rational a, Rational b) => a.CompareTo(b) < 0;
    public static bool operator >(Rational a, Rational b) => a.CompareTo(b) > 0;
    public static bool operator <=(Rational a, Rational b) => a.CompareTo(b) <= 0;
    public static bool operator >=(Rational a, Rational b) => a.CompareTo(b) >= 0;

    public bool Equals(Rational other) => Num == other.Num && Den == other.Den;
    public override bool Equals(object? obj) => obj is Rational r && Equals(r);
    public override int GetHashCode() => HashCode.Combine(Num, Den);
    public int CompareTo(Rational other) => (Num * other.Den).CompareTo(other.Num * Den);

    /// <summary>True when the value has a finite decimal expansion (denominator 2^a 5^b).</summary>
    public bool IsTerminating
    {
        get
        {
            var d = Den;
            while ((d % 2).IsZero) d /= 2;
            while ((d % 5).IsZero) d /= 5;
            return d.IsOne;
        }
    }

    /// <summary>"p/q" in lowest terms, or the integer.</summary>
    public string ToFractionString() => IsInteger ? Num.ToString(CultureInfo.InvariantCulture) : $"{Num.ToString(CultureInfo.InvariantCulture)}/{Den.ToString(CultureInfo.InvariantCulture)}";

    /// <summary>Exact decimal notation; only for terminating values.</summary>
    public string ToDecimalString()
    {
        if (IsInteger) return Num.ToString(CultureInfo.InvariantCulture);
        if (!IsTerminating) throw new InvalidOperationException($"{ToFractionString()} has no finite decimal expansion");
        int places = 0;
        var scale = BigInteger.One;
        while (!((scale * Num) % Den).IsZero) { scale *= 10; places++; }
        var scaled = BigInteger.Abs(Num * scale / Den);
        string digits = scaled.ToString(CultureInfo.InvariantCulture).PadLeft(places + 1, '0');
        var sb = new StringBuilder();
        if (Num.Sign < 0) sb.Append('-');
        sb.Append(digits, 0, digits.Length - places).Append('.').Append(digits, digits.Length - places, places);
        return sb.ToString();
    }

    /// <summary>Decimal when terminating and <paramref name="preferDecimal"/>, else p/q.</summary>
    public string ToAnswerString(bool preferDecimal) => preferDecimal && IsTerminating ? ToDecimalString() : ToFractionString();

    public override string ToString() => ToFractionString();

    /// <summary>Parses an integer, a decimal ("-1.25") or "p/q".</summary>
    public static Rational Parse(string s)
    {
        s = s.Trim();
        int slash = s.IndexOf('/', StringComparison.Ordinal);
        if (slash > 0) return new(BigInteger.Parse(s[..slash], CultureInfo.InvariantCulture), BigInteger.Parse(s[(slash + 1)..], CultureInfo.InvariantCulture));
        int dot = s.IndexOf('.', StringComparison.Ordinal);
        if (dot < 0) return new(BigInteger.Parse(s, CultureInfo.InvariantCulture), BigInteger.One);
        string frac = s[(dot + 1)..];
        var num = BigInteger.Parse(s[..dot].Replace("-", "", StringComparison.Ordinal) + frac, CultureInfo.InvariantCulture);
        if (s.StartsWith('-')) num = -num;
        return new(num, BigInteger.Pow(10, frac.Length));
    }
}
