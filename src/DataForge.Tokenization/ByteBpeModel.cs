using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace DataForge.Tokenization;

/// <summary>
/// A trained byte-level BPE: ids 0..255 are the bytes, then one id per merge in training order,
/// then the special tokens.
/// </summary>
public sealed class ByteBpeModel
{
    public required IReadOnlyList<byte[]> Tokens { get; init; }
    /// <summary>Merge i produced token 256 + i from (Left, Right).</summary>
    public required IReadOnlyList<(int Left, int Right)> Merges { get; init; }
    public required IReadOnlyDictionary<string, int> SpecialTokens { get; init; }
    public string Pattern { get; init; } = ByteLevel.DefaultPattern;
    public int VocabSize => Tokens.Count + SpecialTokens.Count;
}

/// <summary>
/// Reads and writes a trained tokenizer directory: <c>vocab.json</c> and <c>merges.txt</c> in the
/// GPT-2 byte-level convention (loadable by Hugging Face tokenizers and Microsoft.ML.Tokenizers'
/// BpeTokenizer), <c>dataforge_tokenizer.json</c> with the pattern and special tokens, and the Hugging Face
/// <c>tokenizer.json</c> and <c>tokenizer_config.json</c> (<see cref="HfTokenizerFiles"/>).
/// </summary>
public static class ByteBpeFiles
{
    public const string Format = "byte_bpe";

    public static void Write(ByteBpeModel model, string dir)
    {
        Directory.CreateDirectory(dir);
        var opts = new JsonSerializerOptions { Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping };
        var vocab = new StringBuilder("{");
        for (int id = 0; id < model.Tokens.Count; id++)
        {
            if (id > 0) vocab.Append(',');
            vocab.Append('\n').Append(JsonSerializer.Serialize(ByteLevel.Encode(model.Tokens[id]), opts)).Append(": ").Append(id);
        }
        foreach (var (tok, id) in model.SpecialTokens.OrderBy(kv => kv.Value))
            vocab.Append(",\n").Append(JsonSerializer.Serialize(tok, opts)).Append(": ").Append(id);
        vocab.Append("\n}\n");
        File.WriteAllText(Path.Combine(dir, "vocab.json"), vocab.ToString(), new UTF8Encoding(false));

        var merges = new StringBuilder("#version: 0.2\n");
        foreach (var (l, r) in model.Merges)
            merges.Append(ByteLevel.Encode(model.Tokens[l])).Append(' ').Append(ByteLevel.Encode(model.Tokens[r])).Append('\n');
        File.WriteAllText(Path.Combine(dir, "merges.txt"), merges.ToString(), new UTF8Encoding(false));

        var specials = new JsonObject();
        foreach (var (tok, id) in model.SpecialTokens.OrderBy(kv => kv.Value)) specials[tok] = id;
        TextTokenizer.WriteConfig(dir, new JsonObject
        {
            ["format"] = Format,
            ["version"] = 1,
            ["vocab_size"] = model.VocabSize,
            ["eot_token"] = TextTokenizer.EndOfText,
            ["eot_id"] = model.SpecialTokens.TryGetValue(TextTokenizer.EndOfText, out int e) ? e : -1,
            ["pattern"] = model.Pattern,
            ["special_tokens"] = specials,
        });
        HfTokenizerFiles.Write(model, dir);
    }

    public static ByteBpeModel Read(string dir)
    {
        string cfgPath = Path.Combine(dir, TextTokenizer.ConfigFile);
        var cfg = JsonNode.Parse(File.ReadAllText(cfgPath))!.AsObject();
        var specials = new Dictionary<string, int>(StringComparer.Ordinal);
        if (cfg["special_tokens"] is JsonObject so)
            foreach (var (k, v) in so) specials[k] = (int)v!;
        string vocabPath = Path.Combine(dir, "vocab.json");
        var vocab = JsonSerializer.Deserialize<Dictionary<string, int>>(File.ReadAllText(vocabPath))
            ?? throw new InvalidDataException($"{vocabPath}: expected an object of token -> id");
        int n = vocab.Count - vocab.Keys.Count(specials.ContainsKey);
        var tokens = new byte[n][];
        foreach (var (tok, id) in vocab)
        {
            if (specials.ContainsKey(tok)) continue;
            if ((uint)id >= (uint)n) throw new InvalidDataException($"{vocabPath}: id {id} of '{tok}' is outside 0..{n - 1}");
            tokens[id] = ByteLevel.Decode(tok) ?? throw new InvalidDataException($"{vocabPath}: '{tok}' is not a byte-level token");
        }
        var index = new Dictionary<string, int>(vocab, StringComparer.Ordinal);
        var merges = new List<(int, int)>();
        int line = 0;
        foreach (var l in File.ReadLines(Path.Combine(dir, "merges.txt")))
        {
            line++;
            if (l.StartsWith("#version", StringComparison.Ordinal) || l.Length == 0) continue;
            int sp = l.IndexOf(' ', StringComparison.Ordinal);
            if (sp <= 0 || !index.TryGetValue(l[..sp], out int a) || !index.TryGetValue(l[(sp + 1)..], out int b))
                throw new InvalidDataException($"{dir}/merges.txt:{line}: expected two vocabulary tokens separated by a space");
            merges.Add((a, b));
        }
        return new ByteBpeModel
        {
            Tokens = tokens,
            Merges = merges,
            SpecialTokens = specials,
            Pattern = (string?)cfg["pattern"] ?? ByteLevel.DefaultPattern,
        };
    }
}
