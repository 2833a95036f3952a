using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace DataForge.Tokenization;

/// <summary>
/// The Hugging Face files of a byte-level BPE: <c>tokenizer.json</c> (tokenizers format: the pre-tokenisation regex
/// split, byte-level mapping, BPE vocabulary and merges in rank order, special tokens) and <c>tokenizer_config.json</c>
/// (transformers' tokenizer class and special tokens). A piece that is a whole vocabulary entry is one token
/// (ignore_merges), as DataForge's tiktoken-style encoder does.
/// </summary>
public static class HfTokenizerFiles
{
    public const string TokenizerJson = "tokenizer.json";
    public const string TokenizerConfigJson = "tokenizer_config.json";

    static readonly JsonSerializerOptions Indented = new() { WriteIndented = true, Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping };

    /// <param name="modelMaxLength">The model's context length when the tokenizer goes with a model (null: not written).</param>
    public static void Write(ByteBpeModel model, string dir, int? modelMaxLength = null)
    {
        Directory.CreateDirectory(dir);
        File.WriteAllText(Path.Combine(dir, TokenizerJson), TokenizerJsonText(model), new UTF8Encoding(false));
        File.WriteAllText(Path.Combine(dir, TokenizerConfigJson), TokenizerConfigText(model, modelMaxLength), new UTF8Encoding(false));
    }

    public static string TokenizerJsonText(ByteBpeModel model)
    {
        var added = new JsonArray();
        foreach (var (tok, id) in model.SpecialTokens.OrderBy(kv => kv.Value))
            added.Add(new JsonObject
            {
                ["id"] = id, ["content"] = tok, ["single_word"] = false, ["lstrip"] = false, ["rstrip"] = false,
                ["normalized"] = false, ["special"] = true,
            });
        var vocab = new JsonObject();
        for (int id = 0; id < model.Tokens.Count; id++) vocab[ByteLevel.Encode(model.Tokens[id])] = id;
        foreach (var (tok, id) in model.SpecialTokens.OrderBy(kv => kv.Value)) vocab[tok] = id;
        var merges = new JsonArray();
        foreach (var (l, r) in model.Merges)
            merges.Add(new JsonArray(ByteLevel.Encode(model.Tokens[l]), ByteLevel.Encode(model.Tokens[r])));
        var root = new JsonObject
        {
            ["version"] = "1.0",
            ["truncation"] = null,
            ["padding"] = null,
            ["added_tokens"] = added,
            ["normalizer"] = null,
            ["pre_tokenizer"] = new JsonObject
            {
                ["type"] = "Sequence",
                ["pretokenizers"] = new JsonArray(
                    new JsonObject
                    {
                        ["type"] = "Split", ["pattern"] = new JsonObject { ["Regex"] = ByteLevel.Portable(model.Pattern) },
                        ["behavior"] = "Isolated", ["invert"] = false,
                    },
                    new JsonObject { ["type"] = "ByteLevel", ["add_prefix_space"] = false, ["trim_offsets"] = true, ["use_regex"] = false }),
            },
            ["post_processor"] = null,
            ["decoder"] = new JsonObject { ["type"] = "ByteLevel", ["add_prefix_space"] = true, ["trim_offsets"] = true, ["use_regex"] = true },
            ["model"] = new JsonObject
            {
                ["type"] = "BPE", ["dropout"] = null, ["unk_token"] = null, ["continuing_subword_prefix"] = null, ["end_of_word_suffix"] = null,
                ["fuse_unk"] = false, ["byte_fallback"] = false, ["ignore_merges"] = true, ["vocab"] = vocab, ["merges"] = merges,
            },
        };
        return root.ToJsonString(Indented) + "\n";
    }

    static string TokenizerConfigText(ByteBpeModel model, int? modelMaxLength)
    {
        var decoder = new JsonObject();
        foreach (var (tok, id) in model.SpecialTokens.OrderBy(kv => kv.Value))
            decoder[id.ToString(System.Globalization.CultureInfo.InvariantCulture)] = new JsonObject
            {
                ["content"] = tok, ["lstrip"] = false, ["normalized"] = false, ["rstrip"] = false, ["single_word"] = false, ["special"] = true,
            };
        string? eot = model.SpecialTokens.ContainsKey(TextTokenizer.EndOfText) ? TextTokenizer.EndOfText : null;
        var cfg = new JsonObject
        {
            ["tokenizer_class"] = "PreTrainedTokenizerFast",
            ["added_tokens_decoder"] = decoder,
            ["bos_token"] = eot,
            ["eos_token"] = eot,
            ["pad_token"] = eot,
            ["unk_token"] = null,
            ["add_bos_token"] = false,
            ["add_eos_token"] = false,
            ["clean_up_tokenization_spaces"] = false,
        };
        if (modelMaxLength is { } n) cfg["model_max_length"] = n;
        return cfg.ToJsonString(Indented) + "\n";
    }
}
