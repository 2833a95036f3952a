using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Apache.Arrow;
using DataForge.Documents;

namespace DataForge.Tokenization.Mixing;

/// <summary>
/// Tokenized documents of one partition, spilled per (source, bucket) key as Megatron .bin/.idx
/// pairs (random access by document) plus <c>keys.json</c>. Memory stays bounded.
/// </summary>
public sealed class MixSpillWriter : IDisposable
{
    readonly string _dir;
    readonly TextTokenizer _tokenizer;
    readonly Dictionary<string, (MixKey Key, string File, TokenSplitWriter Writer)> _keys = new(StringComparer.Ordinal);

    public MixSpillWriter(string directory, TextTokenizer tokenizer)
    {
        _dir = directory;
        _tokenizer = tokenizer;
        Directory.CreateDirectory(directory);
    }

    public void Add(MixKey key, ReadOnlySpan<int> ids)
    {
        string k = key.ToString();
        if (!_keys.TryGetValue(k, out var e))
        {
            string file = $"k{_keys.Count:D4}";
            e = (key, file, new TokenSplitWriter(_dir, file, _tokenizer.VocabSize, _tokenizer.EndOfTextId, TokenFormats.Megatron));
            _keys[k] = e;
        }
        e.Writer.AddDocument(ids);
    }

    /// <summary>
    /// Tokenizes a batch (in parallel over its rows when <paramref name="threads"/> &gt; 1) and spills
    /// each document under its key. <paramref name="keyOf"/> returns null for documents to skip.
    /// </summary>
    public void AddBatch(DocumentBatch batch, Func<DocumentBatch, int, MixKey?> keyOf, int threads)
    {
        var ids = new int[batch.Length][];
        if (threads > 1 && batch.Length > 1)
            Parallel.For(0, batch.Length, new ParallelOptions { MaxDegreeOfParallelism = threads }, i => ids[i] = _tokenizer.Encode(batch.Text.GetString(i)));
        else
            for (int i = 0; i < batch.Length; i++) ids[i] = _tokenizer.Encode(batch.Text.GetString(i));
        for (int i = 0; i < batch.Length; i++)
            if (keyOf(batch, i) is { } key) Add(key, ids[i]);
    }

    public void Complete()
    {
        var arr = new JsonArray();
        foreach (var (_, (key, file, w)) in _keys.OrderBy(kv => kv.Value.File, StringComparer.Ordinal))
        {
            w.Complete();
            arr.Add(new JsonObject { ["source"] = key.Source, ["bucket"] = key.Bucket, ["file"] = w.MegatronPrefix, ["tokens"] = w.Tokens, ["documents"] = w.Documents });
        }
        // keys.json last and atomically: its presence says the spill is complete (a resumed mix reuses it).
        string tmp = Path.Combine(_dir, ".keys.json.tmp");
        File.WriteAllText(tmp, arr.ToJsonString());
        File.Move(tmp, Path.Combine(_dir, KeysFile), overwrite: true);
    }

    const string KeysFile = "keys.json";

    /// <summary>True when <paramref name="directory"/> holds a spill that was completed.</summary>
    public static bool IsComplete(string directory) => File.Exists(Path.Combine(directory, KeysFile));

    public void Dispose()
    {
        foreach (var e in _keys.Values) e.Writer.Dispose();
    }

    /// <summary>
    /// The bucket values of a batch: from the column <paramref name="name"/>, or, when there is no such
    /// column, from the field of that name in the <c>meta</c> JSON (readers keep string columns of
    /// Parquet/JSONL input there). Null or missing values are "none". Returns null when neither exists
    /// in any row of the batch.
    /// </summary>
    public static string[]? BucketValues(DocumentBatch batch, string name)
    {
        var values = new string[batch.Length];
        if (batch.Column(name) is { } col)
        {
            for (int i = 0; i < batch.Length; i++) values[i] = BucketValue(col, i);
            return values;
        }
        bool any = false;
        for (int i = 0; i < batch.Length; i++)
        {
            string? v = batch.Meta.IsNull(i) ? null : MetaField(batch.Meta.GetBytes(i), name);
            any |= v is not null;
            values[i] = v ?? "none";
        }
        return any || batch.Length == 0 ? values : null;
    }

    /// <summary>A top-level field of a JSON object as text (strings unquoted, numbers and booleans as written); null when absent or null.</summary>
    public static string? MetaField(ReadOnlySpan<byte> json, string name)
    {
        try
        {
            var r = new Utf8JsonReader(json);
            if (!r.Read() || r.TokenType != JsonTokenType.StartObject) return null;
            while (r.Read() && r.TokenType == JsonTokenType.PropertyName)
            {
                bool match = r.ValueTextEquals(name);
                r.Read();
                if (match)
                    return r.TokenType switch
                    {
                        JsonTokenType.String => r.GetString(),
                        JsonTokenType.Number => Encoding.UTF8.GetString(r.ValueSpan),
                        JsonTokenType.True => "true",
                        JsonTokenType.False => "false",
                        _ => null,
                    };
                r.Skip();
            }
        }
        catch (JsonException) { }
        return null;
    }

    /// <summary>The bucket value of a row as text ("none" when null).</summary>
    public static string BucketValue(IArrowArray column, int row)
    {
        if (column.IsNull(row)) return "none";
        return column switch
        {
            StringArray s => s.GetString(row),
            Int32Array a => a.GetValue(row)!.Value.ToString(System.Globalization.CultureInfo.InvariantCulture),
            Int64Array a => a.GetValue(row)!.Value.ToString(System.Globalization.CultureInfo.InvariantCulture),
            FloatArray a => a.GetValue(row)!.Value.ToString(System.Globalization.CultureInfo.InvariantCulture),
            DoubleArray a => a.GetValue(row)!.Value.ToString(System.Globalization.CultureInfo.InvariantCulture),
            BooleanArray a => a.GetValue(row)!.Value ? "true" : "false",
            _ => throw new InvalidDataException($"bucket column of type {column.Data.DataType.Name} is not supported (expected utf8, integer, float or bool)"),
        };
    }
}

/// <summary>The documents of one key across several spill directories (partitions, in order).</summary>
public sealed class MixKeyDocs : IDisposable
{
    readonly List<MegatronReader> _parts = [];
    readonly List<int> _starts = [];

    public MixKeyDocs(MixKey key) => Key = key;

    public MixKey Key { get; }
    public int Count { get; private set; }
    public long Tokens { get; private set; }

    internal void AddPart(MegatronReader r, long tokens)
    {
        _parts.Add(r);
        _starts.Add(Count);
        Count += r.Count;
        Tokens += tokens;
    }

    public int Length(int doc)
    {
        int p = Part(doc);
        return _parts[p].Length(doc - _starts[p]);
    }

    public ReadOnlySpan<int> Read(int doc, ref int[] buffer)
    {
        int p = Part(doc);
        return _parts[p].Read(doc - _starts[p], ref buffer);
    }

    int Part(int doc)
    {
        int i = _starts.BinarySearch(doc);
        if (i < 0) i = ~i - 1;
        while (i + 1 < _starts.Count && _starts[i + 1] == doc) i++; // skip empty parts
        return i;
    }

    public void Dispose()
    {
        foreach (var r in _parts) r.Dispose();
    }

    /// <summary>Opens every key of the given spill directories, in a stable order (source, then bucket).</summary>
    public static List<MixKeyDocs> Open(IEnumerable<string> spillDirs)
    {
        var byKey = new SortedDictionary<string, MixKeyDocs>(StringComparer.Ordinal);
        foreach (var dir in spillDirs)
        {
            string keysFile = Path.Combine(dir, "keys.json");
            if (!File.Exists(keysFile)) continue;
            foreach (var e in JsonNode.Parse(File.ReadAllText(keysFile))!.AsArray())
            {
                var key = new MixKey((string)e!["source"]!, (string?)e["bucket"]);
                string name = key.Source + "\u0000" + (key.Bucket ?? "");
                if (!byKey.TryGetValue(name, out var docs)) byKey[name] = docs = new MixKeyDocs(key);
                docs.AddPart(new MegatronReader(Path.Combine(dir, (string)e["file"]!)), (long)e["tokens"]!);
            }
        }
        return [.. byKey.Values];
    }
}
