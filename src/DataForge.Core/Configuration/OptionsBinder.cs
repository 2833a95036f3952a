using System.Collections;
using System.Globalization;

namespace DataForge.Configuration;

/// <summary>
/// Binds a JSON object to an options record, collecting every error with its JSON path, line and
/// column instead of stopping at the first one.
/// </summary>
public static class OptionsBinder
{
    /// <summary>A whole configuration file bound to <typeparamref name="T"/>; every error at once as a <see cref="ConfigException"/>.</summary>
    public static T BindConfig<T>(ReadOnlySpan<byte> json, string file) where T : class
    {
        var root = JsonTree.ParseConfig(json, file);
        var errors = new List<ConfigError>();
        var bound = Bind(typeof(T), root, file, errors) as T;
        if (bound is null || errors.Count > 0) throw new ConfigException(errors);
        return bound;
    }

    /// <summary>
    /// Binds <paramref name="node"/> to a new <paramref name="optionsType"/>. Keys listed in
    /// <paramref name="reservedKeys"/> belong to the caller (for example <c>type</c>) and are skipped.
    /// Returns null when there were errors.
    /// </summary>
    public static object? Bind(Type optionsType, JsonNodeP node, string file, List<ConfigError> errors,
        IReadOnlyCollection<string>? reservedKeys = null)
    {
        int before = errors.Count;
        if (node.Kind != JsonKind.Object)
        {
            errors.Add(new(file, node.Line, node.Column, node.Path, $"expected an object, found {node.KindName}"));
            return null;
        }
        var infos = OptionInfo.For(optionsType);
        object target = Activator.CreateInstance(optionsType)!;
        var seen = new HashSet<string>(StringComparer.Ordinal);
        for (int i = 0; i < node.Properties!.Count; i++)
        {
            var (key, value) = (node.Properties[i].Key, node.Properties[i].Value);
            if (reservedKeys?.Contains(key) == true || key == "$schema") continue;
            var info = infos.FirstOrDefault(o => o.Name == key);
            if (info is null)
            {
                var (l, c) = node.KeyPositions![i];
                var names = infos.Select(o => o.Name).Concat(reservedKeys ?? []);
                errors.Add(new(file, l, c, value.Path, $"unknown option '{key}'{NameSuggester.DidYouMean(key, names)}"));
                continue;
            }
            if (!seen.Add(key))
            {
                errors.Add(new(file, value.Line, value.Column, value.Path, $"option '{key}' is given twice"));
                continue;
            }
            if (TryConvert(value, info.Type, info.Attribute, file, errors, out var converted, info.Nullable))
                info.Property.SetValue(target, converted);
        }
        foreach (var info in infos)
            if (info.Attribute.Required && !seen.Contains(info.Name))
                errors.Add(new(file, node.Line, node.Column, JsonTree.PathOf(node.Path, info.Name),
                    $"missing required option; expected {info.Expectation()}"));

        if (errors.Count == before && target is IValidatableOptions v)
        {
            v.Validate(new OptionsValidation((opt, msg) =>
            {
                var at = node[opt] ?? node;
                errors.Add(new(file, at.Line, at.Column, JsonTree.PathOf(node.Path, opt), msg));
            }));
        }
        return errors.Count == before ? target : null;
    }

    static bool TryConvert(JsonNodeP v, Type type, OptionAttribute? attr, string file, List<ConfigError> errors, out object? result, bool allowNull = false)
    {
        result = null;
        var underlying = Nullable.GetUnderlyingType(type);
        bool nullable = underlying is not null || allowNull;
        var t = underlying ?? type;
        bool Fail()
        {
            errors.Add(new(file, v.Line, v.Column, v.Path,
                $"expected {OptionInfo.Expectation(t, attr)}, found {Describe(v)}"));
            return false;
        }
        if (v.Kind == JsonKind.Null)
        {
            if (nullable && attr?.Required != true) return true;
            return Fail();
        }
        if (t == typeof(string))
        {
            if (v.Kind != JsonKind.String) return Fail();
            if (attr?.AllowedValues is { } allowed && !allowed.Contains(v.Text))
            {
                errors.Add(new(file, v.Line, v.Column, v.Path,
                    $"expected {OptionInfo.Expectation(t, attr)}, found \"{v.Text}\"{NameSuggester.DidYouMean(v.Text!, allowed)}"));
                return false;
            }
            result = v.Text;
            return true;
        }
        if (t == typeof(bool))
        {
            if (v.Kind is not (JsonKind.True or JsonKind.False)) return Fail();
            result = v.Kind == JsonKind.True;
            return true;
        }
        if (t == typeof(int) || t == typeof(long) || t == typeof(double) || t == typeof(float))
        {
            if (v.Kind != JsonKind.Number) return Fail();
            double d = double.Parse(v.Text!, NumberStyles.Float, CultureInfo.InvariantCulture);
            if (t == typeof(long) && (!decimal.TryParse(v.Text, NumberStyles.Float, CultureInfo.InvariantCulture, out var big) || big > long.MaxValue || big < long.MinValue))
                return Fail();
            bool integral = t == typeof(int) || t == typeof(long);
            if (integral && (d != Math.Floor(d) || d > (t == typeof(int) ? int.MaxValue : long.MaxValue) || d < (t == typeof(int) ? int.MinValue : long.MinValue)))
                return Fail();
            if (attr is not null && ((!double.IsNaN(attr.Min) && d < attr.Min) || (!double.IsNaN(attr.Max) && d > attr.Max)
                || (!double.IsNaN(attr.ExclusiveMin) && d <= attr.ExclusiveMin)))
                return Fail();
            result = t == typeof(int) ? (object)(int)d
                : t == typeof(long) ? (object)(long)decimal.Parse(v.Text!, NumberStyles.Float, CultureInfo.InvariantCulture)
                : t == typeof(float) ? (object)(float)d : (object)d;
            return true;
        }
        if (OptionInfo.ElementType(t) is { } et)
        {
            if (v.Kind != JsonKind.Array) return Fail();
            var list = (IList)Activator.CreateInstance(typeof(List<>).MakeGenericType(et))!;
            bool ok = true;
            foreach (var item in v.Items!)
            {
                // Bounds on a list option apply to its numeric elements.
                if (TryConvert(item, et, attr?.ForElements(), file, errors, out var x))
                    list.Add(x);
                else ok = false;
            }
            if (!ok) return false;
            if (t.IsArray)
            {
                var arr = Array.CreateInstance(et, list.Count);
                list.CopyTo(arr, 0);
                result = arr;
            }
            else result = list;
            return true;
        }
        if (OptionInfo.DictionaryValueType(t) is { } vt)
        {
            if (v.Kind != JsonKind.Object) return Fail();
            var dict = (IDictionary)Activator.CreateInstance(typeof(Dictionary<,>).MakeGenericType(typeof(string), vt))!;
            bool ok = true;
            foreach (var (k, item) in v.Properties!)
            {
                if (TryConvert(item, vt, attr, file, errors, out var x)) dict[k] = x;
                else ok = false;
            }
            result = dict;
            return ok;
        }
        if (t.IsClass && OptionInfo.For(t).Count > 0)
        {
            result = Bind(t, v, file, errors);
            return result is not null;
        }
        throw new InvalidOperationException($"option type {t} is not supported by the binder");
    }

    static string Describe(JsonNodeP v) => v.Kind switch
    {
        JsonKind.String => $"\"{Trunc(v.Text!)}\"",
        JsonKind.Number => v.Text!,
        JsonKind.True => "true",
        JsonKind.False => "false",
        JsonKind.Null => "null",
        _ => v.KindName,
    };

    static string Trunc(string s) => s.Length <= 40 ? s : s[..37] + "...";
}
