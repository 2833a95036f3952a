using System.Text;
using System.Text.Encodings.Web;
using System.Text.Json;

namespace DataForge.Configuration;

/// <summary>
/// Generates JSON Schemas (draft 2020-12) from the stage registry and options records, so editors
/// validate and complete pipeline files. Output is deterministic (the checked-in copy is tested).
/// Not .NET's JsonSchemaExporter: options are bound by OptionsBinder, not System.Text.Json contracts, and
/// the schema must carry the [Option] descriptions, bounds, allowed values and the stage-type unions,
/// which the exporter would only add through per-node callbacks re-reading the same attributes.
/// </summary>
public static class SchemaGenerator
{
    static readonly JsonWriterOptions Pretty = new() { Indented = true, Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping };

    /// <summary>Writes one indented JSON document (a schema) and returns its text with a final newline.</summary>
    public static string Document(Action<Utf8JsonWriter> write)
    {
        using var ms = new MemoryStream();
        using (var w = new Utf8JsonWriter(ms, Pretty)) write(w);
        return Encoding.UTF8.GetString(ms.ToArray()) + "\n";
    }

    /// <summary>A schema for a plain options record (MIX.json, TRAIN.json ...).</summary>
    public static string ForOptions(Type optionsType, string title, string description) => Document(w =>
    {
        w.WriteStartObject();
        w.WriteString("$schema", "https://json-schema.org/draft/2020-12/schema");
        w.WriteString("title", title);
        w.WriteString("description", description);
        WriteObjectBody(w, optionsType, allowSchemaKey: true);
        w.WriteEndObject();
    });

    static void WriteObjectBody(Utf8JsonWriter w, Type optionsType, bool allowSchemaKey = false)
    {
        w.WriteString("type", "object");
        w.WriteStartObject("properties");
        if (allowSchemaKey) { w.WriteStartObject("$schema"); w.WriteString("type", "string"); w.WriteEndObject(); }
        WriteOptionProperties(w, optionsType);
        w.WriteEndObject();
        var req = OptionInfo.For(optionsType).Where(o => o.Attribute.Required).ToList();
        if (req.Count > 0)
        {
            w.WriteStartArray("required");
            foreach (var o in req) w.WriteStringValue(o.Name);
            w.WriteEndArray();
        }
        w.WriteBoolean("additionalProperties", false);
    }

    /// <summary>One schema property per option of <paramref name="optionsType"/>.</summary>
    public static void WriteOptionProperties(Utf8JsonWriter w, Type optionsType)
    {
        foreach (var o in OptionInfo.For(optionsType))
        {
            w.WriteStartObject(o.Name);
            w.WriteString("description", o.Description);
            WriteType(w, o.Type, o.Attribute, o.Nullable);
            if (OptionInfo.DefaultAsJson(o.DefaultValue) is { } def && !(o.DefaultValue is string s && s.Length == 0))
            {
                w.WritePropertyName("default");
                w.WriteRawValue(def);
            }
            w.WriteEndObject();
        }
    }

    static void WriteType(Utf8JsonWriter w, Type type, OptionAttribute? a, bool nullable = false)
    {
        var t = Nullable.GetUnderlyingType(type) ?? type;
        void TypeName(string name)
        {
            if (nullable) { w.WriteStartArray("type"); w.WriteStringValue(name); w.WriteStringValue("null"); w.WriteEndArray(); }
            else w.WriteString("type", name);
        }
        if (t == typeof(int) || t == typeof(long)) { TypeName("integer"); Bounds(w, a); }
        else if (t == typeof(double) || t == typeof(float)) { TypeName("number"); Bounds(w, a); }
        else if (t == typeof(bool)) TypeName("boolean");
        else if (t == typeof(string))
        {
            TypeName("string");
            if (a?.AllowedValues is { } av)
            {
                w.WriteStartArray("enum");
                foreach (var v in av) w.WriteStringValue(v);
                if (nullable) w.WriteNullValue();
                w.WriteEndArray();
            }
        }
        else if (OptionInfo.ElementType(t) is { } et)
        {
            w.WriteString("type", "array");
            w.WriteStartObject("items");
            WriteType(w, et, a?.ForElements());
            w.WriteEndObject();
        }
        else if (OptionInfo.DictionaryValueType(t) is { } vt)
        {
            w.WriteString("type", "object");
            w.WriteStartObject("additionalProperties");
            WriteType(w, vt, a?.ForElements());
            w.WriteEndObject();
        }
        else WriteObjectBody(w, t);
    }

    static void Bounds(Utf8JsonWriter w, OptionAttribute? a)
    {
        if (a is null) return;
        if (!double.IsNaN(a.Min)) w.WriteNumber("minimum", a.Min);
        if (!double.IsNaN(a.Max)) w.WriteNumber("maximum", a.Max);
        if (!double.IsNaN(a.ExclusiveMin)) w.WriteNumber("exclusiveMinimum", a.ExclusiveMin);
    }
}
