using System.Collections;
using System.Globalization;
using System.Reflection;
using System.Text;

namespace DataForge.Configuration;

/// <summary>What the binder, the schema generator and the stage reference know about one option.</summary>
public sealed class OptionInfo
{
    public required string Name { get; init; }
    public required PropertyInfo Property { get; init; }
    public required OptionAttribute Attribute { get; init; }
    public required object? DefaultValue { get; init; }
    public Type Type => Property.PropertyType;
    /// <summary>Whether JSON null is accepted: the property is a nullable value type or declared <c>string?</c> and the like.</summary>
    public required bool Nullable { get; init; }
    public string Description => Attribute.Description;

    static readonly Dictionary<Type, IReadOnlyList<OptionInfo>> Cache = [];

    /// <summary>The options of a record type, in declaration order (base class first).</summary>
    public static IReadOnlyList<OptionInfo> For(Type optionsType)
    {
        lock (Cache)
        {
            if (Cache.TryGetValue(optionsType, out var found)) return found;
            object defaults = Activator.CreateInstance(optionsType)
                ?? throw new InvalidOperationException($"{optionsType} needs a parameterless constructor");
            var chain = new List<Type>();
            for (var t = optionsType; t is not null && t != typeof(object); t = t.BaseType) chain.Insert(0, t);
            var list = new List<OptionInfo>();
            var nullability = new NullabilityInfoContext();
            foreach (var t in chain)
            {
                foreach (var p in t.GetProperties(BindingFlags.Public | BindingFlags.Instance | BindingFlags.DeclaredOnly)
                             .OrderBy(p => p.MetadataToken))
                {
                    var attr = p.GetCustomAttribute<OptionAttribute>();
                    if (attr is null) continue;
                    list.Add(new OptionInfo
                    {
                        Name = attr.Name ?? SnakeCase(p.Name),
                        Property = p,
                        Attribute = attr,
                        DefaultValue = p.GetValue(defaults),
                        Nullable = nullability.Create(p).WriteState == NullabilityState.Nullable,
                    });
                }
            }
            Cache[optionsType] = list;
            return list;
        }
    }

    public static string SnakeCase(string name)
    {
        var sb = new StringBuilder(name.Length + 4);
        for (int i = 0; i < name.Length; i++)
        {
            char c = name[i];
            if (char.IsUpper(c))
            {
                bool boundary = i > 0 && (char.IsLower(name[i - 1]) || char.IsDigit(name[i - 1])
                    || (i + 1 < name.Length && char.IsLower(name[i + 1]) && char.IsUpper(name[i - 1])));
                if (boundary) sb.Append('_');
                sb.Append(char.ToLowerInvariant(c));
            }
            else sb.Append(c);
        }
        return sb.ToString();
    }

    /// <summary>A short human description of the accepted type, used in error messages.</summary>
    public string Expectation() => Expectation(Type, Attribute);

    internal static string Expectation(Type t, OptionAttribute? a)
    {
        t = System.Nullable.GetUnderlyingType(t) ?? t;
        string bounds = Bounds(a);
        if (t == typeof(int) || t == typeof(long)) return "an integer" + bounds;
        if (t == typeof(double) || t == typeof(float)) return "a number" + bounds;
        if (t == typeof(bool)) return "true or false";
        if (t == typeof(string))
            return a?.AllowedValues is { } av ? "one of " + string.Join(", ", av.Select(v => $"\"{v}\"")) : "a string";
        if (ElementType(t) is { } e) return $"an array of {Plural(Expectation(e, null))}";
        if (DictionaryValueType(t) is { } dv) return $"an object whose values are {Plural(Expectation(dv, null))}";
        return "an object";
    }

    static string Plural(string s) => s switch
    {
        "an integer" => "integers",
        "a number" => "numbers",
        "a string" => "strings",
        "an object" => "objects",
        _ when s.StartsWith("an array of ", StringComparison.Ordinal) => "arrays of " + s["an array of ".Length..],
        _ => s,
    };

    static string Bounds(OptionAttribute? a)
    {
        if (a is null) return "";
        var parts = new List<string>();
        if (!double.IsNaN(a.ExclusiveMin)) parts.Add("> " + Fmt(a.ExclusiveMin));
        if (!double.IsNaN(a.Min)) parts.Add(">= " + Fmt(a.Min));
        if (!double.IsNaN(a.Max)) parts.Add("<= " + Fmt(a.Max));
        return parts.Count == 0 ? "" : " " + string.Join(" and ", parts);
    }

    internal static string Fmt(double d) => d.ToString("0.###############", CultureInfo.InvariantCulture);

    public static Type? ElementType(Type t)
    {
        if (t == typeof(string)) return null;
        if (t.IsArray) return t.GetElementType();
        if (t.IsGenericType)
        {
            var g = t.GetGenericTypeDefinition();
            if (g == typeof(List<>) || g == typeof(IReadOnlyList<>) || g == typeof(IList<>) || g == typeof(IEnumerable<>))
                return t.GetGenericArguments()[0];
        }
        return null;
    }

    public static Type? DictionaryValueType(Type t)
    {
        if (t.IsGenericType)
        {
            var g = t.GetGenericTypeDefinition();
            if ((g == typeof(Dictionary<,>) || g == typeof(IReadOnlyDictionary<,>)) && t.GetGenericArguments()[0] == typeof(string))
                return t.GetGenericArguments()[1];
        }
        return null;
    }

    /// <summary>Renders a default value as JSON text for docs.</summary>
    public static string? DefaultAsJson(object? v) => v switch
    {
        null => null,
        string s => System.Text.Json.JsonSerializer.Serialize(s),
        bool b => b ? "true" : "false",
        double d => Fmt(d),
        float f => Fmt(f),
        IFormattable f => f.ToString(null, CultureInfo.InvariantCulture),
        IDictionary d when d.Count == 0 => "{}",
        IEnumerable e => "[" + string.Join(", ", e.Cast<object?>().Select(DefaultAsJson)) + "]",
        _ => null,
    };
}
