using System.Globalization;
using System.Text;
using System.Text.Json;

namespace DataForge.Configuration;

/// <summary>Kinds of value in a <see cref="JsonNodeP"/>.</summary>
public enum JsonKind { Object, Array, String, Number, True, False, Null }

/// <summary>
/// A JSON value that remembers where it stood in its file, so configuration errors can say
/// <c>file:line:col</c>. System.Text.Json's DOM drops positions, hence this small tree.
/// </summary>
public sealed class JsonNodeP
{
    public required JsonKind Kind { get; init; }
    public required int Line { get; init; }
    public required int Column { get; init; }
    public required string Path { get; init; }
    /// <summary>String value, or the number's literal text.</summary>
    public string? Text { get; init; }
    public List<KeyValuePair<string, JsonNodeP>>? Properties { get; init; }
    /// <summary>Position of each property's key (same order as <see cref="Properties"/>).</summary>
    public List<(int Line, int Column)>? KeyPositions { get; init; }
    public List<JsonNodeP>? Items { get; init; }

    public JsonNodeP? this[string name]
    {
        get
        {
            if (Properties is null) return null;
            foreach (var kv in Properties)
                if (kv.Key == name) return kv.Value;
            return null;
        }
    }

    public string KindName => Kind switch
    {
        JsonKind.Object => "an object",
        JsonKind.Array => "an array",
        JsonKind.String => "a string",
        JsonKind.Number => "a number",
        JsonKind.True or JsonKind.False => "a boolean",
        _ => "null",
    };

    /// <summary>Writes the value back as compact JSON (used to re-serialise options).</summary>
    public void WriteTo(Utf8JsonWriter w)
    {
        switch (Kind)
        {
            case JsonKind.Object:
                w.WriteStartObject();
                foreach (var kv in Properties!) { w.WritePropertyName(kv.Key); kv.Value.WriteTo(w); }
                w.WriteEndObject();
                break;
            case JsonKind.Array:
                w.WriteStartArray();
                foreach (var item in Items!) item.WriteTo(w);
                w.WriteEndArray();
                break;
            case JsonKind.String: w.WriteStringValue(Text); break;
            case JsonKind.Number: w.WriteRawValue(Text!); break;
            case JsonKind.True: w.WriteBooleanValue(true); break;
            case JsonKind.False: w.WriteBooleanValue(false); break;
            default: w.WriteNullValue(); break;
        }
    }
}

/// <summary>Thrown when a configuration file is not JSON at all.</summary>
public sealed class JsonSyntaxException(string file, long line, long column, string reason)
    : Exception($"{file}:{line}:{column}: {reason}")
{
    public long Line { get; } = line;
    public long Column { get; } = column;
    public string Reason { get; } = reason;
}

/// <summary>Parses configuration JSON into <see cref="JsonNodeP"/> trees that keep line and column positions.</summary>
public static class JsonTree
{
    /// <summary><see cref="Parse"/> for a configuration file: a syntax error becomes a <see cref="ConfigException"/> with line and column.</summary>
    public static JsonNodeP ParseConfig(ReadOnlySpan<byte> utf8, string fileName)
    {
        try { return Parse(utf8, fileName); }
        catch (JsonSyntaxException ex) { throw new ConfigException([new ConfigError(fileName, (int)ex.Line, (int)ex.Column, "$", ex.Reason)]); }
    }

    /// <summary>Parses <paramref name="utf8"/>; comments and trailing commas are allowed.</summary>
    public static JsonNodeP Parse(ReadOnlySpan<byte> utf8, string fileName)
    {
        if (utf8.StartsWith((ReadOnlySpan<byte>)[0xEF, 0xBB, 0xBF])) utf8 = utf8[3..];
        var lineStarts = new List<int> { 0 };
        for (int i = 0; i < utf8.Length; i++) if (utf8[i] == (byte)'\n') lineStarts.Add(i + 1);
        var reader = new Utf8JsonReader(utf8, new JsonReaderOptions
        {
            CommentHandling = JsonCommentHandling.Skip,
            AllowTrailingCommas = true,
            MaxDepth = 128,
        });
        try
        {
            if (!reader.Read()) throw new JsonSyntaxException(fileName, 1, 1, "the file is empty; expected a JSON object");
            var root = ReadValue(ref reader, "$", lineStarts, utf8, fileName);
            if (reader.Read())
            {
                var (l, c) = Position(lineStarts, utf8, (int)reader.TokenStartIndex);
                throw new JsonSyntaxException(fileName, l, c, "unexpected content after the end of the JSON value");
            }
            return root;
        }
        catch (JsonException ex)
        {
            long line = (ex.LineNumber ?? 0) + 1, col = (ex.BytePositionInLine ?? 0) + 1;
            string msg = ex.Message;
            int cut = msg.IndexOf(" LineNumber:", StringComparison.Ordinal);
            if (cut > 0) msg = msg[..cut].TrimEnd('.', ' ');
            throw new JsonSyntaxException(fileName, line, col, $"invalid JSON: {msg}");
        }
    }

    static (int Line, int Col) Position(List<int> lineStarts, ReadOnlySpan<byte> utf8, int offset)
    {
        int idx = lineStarts.BinarySearch(offset);
        if (idx < 0) idx = ~idx - 1;
        // Columns count characters, not bytes, so editors jump to the right place.
        int col = Encoding.UTF8.GetCharCount(utf8[lineStarts[idx]..offset]) + 1;
        return (idx + 1, col);
    }

    static JsonNodeP ReadValue(ref Utf8JsonReader r, string path, List<int> ls, ReadOnlySpan<byte> utf8, string fileName)
    {
        var (line, col) = Position(ls, utf8, (int)r.TokenStartIndex);
        switch (r.TokenType)
        {
            case JsonTokenType.StartObject:
            {
                var props = new List<KeyValuePair<string, JsonNodeP>>();
                var keys = new List<(int, int)>();
                while (r.Read() && r.TokenType != JsonTokenType.EndObject)
                {
                    string name = r.GetString()!;
                    var keyPos = Position(ls, utf8, (int)r.TokenStartIndex);
                    // Duplicate keys are legal JSON but ambiguous in a configuration: one would be ignored.
                    if (props.Exists(p => p.Key == name))
                        throw new JsonSyntaxException(fileName, keyPos.Line, keyPos.Col, $"key '{name}' is given twice in this object");
                    r.Read();
                    props.Add(new(name, ReadValue(ref r, PathOf(path, name), ls, utf8, fileName)));
                    keys.Add(keyPos);
                }
                return new JsonNodeP { Kind = JsonKind.Object, Line = line, Column = col, Path = path, Properties = props, KeyPositions = keys };
            }
            case JsonTokenType.StartArray:
            {
                var items = new List<JsonNodeP>();
                while (r.Read() && r.TokenType != JsonTokenType.EndArray)
                    items.Add(ReadValue(ref r, $"{path}[{items.Count}]", ls, utf8, fileName));
                return new JsonNodeP { Kind = JsonKind.Array, Line = line, Column = col, Path = path, Items = items };
            }
            case JsonTokenType.String:
                return new JsonNodeP { Kind = JsonKind.String, Line = line, Column = col, Path = path, Text = r.GetString() };
            case JsonTokenType.Number:
                return new JsonNodeP { Kind = JsonKind.Number, Line = line, Column = col, Path = path, Text = Encoding.UTF8.GetString(r.ValueSpan) };
            case JsonTokenType.True:
                return new JsonNodeP { Kind = JsonKind.True, Line = line, Column = col, Path = path };
            case JsonTokenType.False:
                return new JsonNodeP { Kind = JsonKind.False, Line = line, Column = col, Path = path };
            default:
                return new JsonNodeP { Kind = JsonKind.Null, Line = line, Column = col, Path = path };
        }
    }

    public static string PathOf(string parent, string name)
    {
        foreach (char c in name)
            if (!(char.IsAsciiLetterOrDigit(c) || c == '_'))
                return $"{parent}[{JsonSerializer.Serialize(name)}]";
        return parent + "." + name;
    }

    internal static string Invariant(double d) => d.ToString("R", CultureInfo.InvariantCulture);
}
