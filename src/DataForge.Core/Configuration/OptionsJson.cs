using System.Collections;
using System.Text.Json;

namespace DataForge.Configuration;

/// <summary>
/// Writes an options record as the JSON object the binder reads back into an equal record: every
/// <see cref="OptionAttribute"/> property under its JSON name. Options objects built in code go through this
/// and then the binder, so they are checked exactly as a configuration file would be.
/// </summary>
internal static class OptionsJson
{
    /// <summary>Writes the option properties of <paramref name="options"/> (the caller writes the enclosing object).</summary>
    public static void WriteProperties(Utf8JsonWriter w, object options)
    {
        foreach (var o in OptionInfo.For(options.GetType()))
        {
            object? value = o.Property.GetValue(options);
            // An unset option stays unset; null is written only where it differs from the default.
            if (value is null && o.DefaultValue is null) continue;
            w.WritePropertyName(o.Name);
            WriteValue(w, value, o.Name);
        }
    }

    static void WriteValue(Utf8JsonWriter w, object? value, string option)
    {
        switch (value)
        {
            case null: w.WriteNullValue(); break;
            case string s: w.WriteStringValue(s); break;
            case bool b: w.WriteBooleanValue(b); break;
            case int i: w.WriteNumberValue(i); break;
            case long l: w.WriteNumberValue(l); break;
            case float f: WriteFinite(w, f, option); break;
            case double d: WriteFinite(w, d, option); break;
            case IDictionary dict:
                w.WriteStartObject();
                foreach (DictionaryEntry e in dict)
                {
                    w.WritePropertyName((string)e.Key);
                    WriteValue(w, e.Value, option);
                }
                w.WriteEndObject();
                break;
            case IEnumerable items:
                w.WriteStartArray();
                foreach (var item in items) WriteValue(w, item, option);
                w.WriteEndArray();
                break;
            default:
                if (OptionInfo.For(value.GetType()).Count == 0)
                    throw new OptionException(option, $"option '{option}' holds a {value.GetType().Name}, which has no JSON form");
                w.WriteStartObject();
                WriteProperties(w, value);
                w.WriteEndObject();
                break;
        }
    }

    static void WriteFinite(Utf8JsonWriter w, double d, string option)
    {
        if (!double.IsFinite(d)) throw new OptionException(option, $"expected a finite number, found {d}");
        w.WriteNumberValue(d);
    }
}
