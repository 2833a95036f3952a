using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Microsoft.ML.Tokenizers;

namespace DataForge.Tokenization;

/// <summary>
/// One face for every tokenizer DataForge uses: a tiktoken encoding (<c>o200k_base</c>,
/// <c>cl100k_base</c>), a directory written by <c>dataforge tokenizer train</c> (or any
/// <c>vocab.json</c> + <c>merges.txt</c>), or a SentencePiece <c>.model</c> file.
/// Special-token text inside documents is encoded as ordinary text for trained tokenizers; the
/// end-of-text id is added by the shard writers, never parsed from the text.
/// </summary>
public sealed class TextTokenizer
{
    /// <summary>File naming the format, pattern and special tokens of a DataForge tokenizer directory.</summary>
    public const string ConfigFile = "dataforge_tokenizer.json";
    public const string EndOfText = "<|endoftext|>";

    readonly Func<Tokenizer, string, int[]> _encode;
    readonly Func<Tokenizer, string, int> _count;
    readonly Func<int[], string> _decode;
    readonly Action<string> _export;
    // One tokenizer per thread: Microsoft.ML.Tokenizers' word caches take a lock, which made two threads slower than one.
    readonly ThreadLocal<Tokenizer> _local;

    TextTokenizer(string spec, Func<Tokenizer> create, int vocabSize, int eot, Func<Tokenizer, string, int[]> encode, Func<Tokenizer, string, int> count,
        Func<int[], string> decode, Action<string> export)
    {
        Spec = spec;
        Inner = create();
        var first = Inner;
        int handedOut = 0;
        _local = new ThreadLocal<Tokenizer>(() => Interlocked.Exchange(ref handedOut, 1) == 0 ? first : create());
        VocabSize = vocabSize;
        EndOfTextId = eot;
        _encode = encode;
        _count = count;
        _decode = decode;
        _export = export;
    }

    /// <summary>What the tokenizer was loaded from (an encoding name or a full path).</summary>
    public string Spec { get; }
    /// <summary>Number of ids (largest id + 1), special tokens included.</summary>
    public int VocabSize { get; }
    public int EndOfTextId { get; }
    public Tokenizer Inner { get; }

    /// <summary>Whether ids need 32 bits in token shards (nanoGPT: vocab &gt; 65535).</summary>
    public bool NeedsUInt32 => VocabSize > 65535;

    public int[] Encode(string text) => text.Length == 0 ? [] : _encode(_local.Value!, text);
    public int CountTokens(string text) => text.Length == 0 ? 0 : _count(_local.Value!, text);
    public string Decode(ReadOnlySpan<int> ids) => _decode(ids.ToArray());

    /// <summary>Writes files from which <see cref="Load"/> (and other tools, for vocab.json/merges.txt) recreate this tokenizer.</summary>
    public void ExportTo(string directory)
    {
        Directory.CreateDirectory(directory);
        _export(directory);
    }

    static readonly string[] Encodings = ["o200k_base", "cl100k_base"];

    /// <summary>
    /// <paramref name="spec"/>: <c>o200k_base</c> | <c>cl100k_base</c> | a directory with
    /// <c>vocab.json</c> + <c>merges.txt</c> | a SentencePiece <c>.model</c> file. Relative paths resolve
    /// against <paramref name="baseDirectory"/> (default: the current directory).
    /// </summary>
    public static TextTokenizer Load(string spec, string? baseDirectory = null)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(spec);
        if (Encodings.Contains(spec)) return FromEncoding(spec);
        string path = Path.GetFullPath(Path.Combine(baseDirectory ?? Directory.GetCurrentDirectory(), spec));
        if (Directory.Exists(path))
        {
            string cfg = Path.Combine(path, ConfigFile);
            if (File.Exists(cfg))
            {
                var node = JsonNode.Parse(File.ReadAllText(cfg)) as JsonObject
                    ?? throw new InvalidDataException($"{cfg}: expected a JSON object");
                string format = (string?)node["format"] ?? "";
                if (format == "tiktoken_encoding") return FromEncoding((string?)node["encoding"] ?? "");
                if (format == "sentencepiece") return FromSentencePiece(Path.Combine(path, (string?)node["model"] ?? "tokenizer.model"), path);
                if (format != ByteBpeFiles.Format) throw new InvalidDataException($"{cfg}: unknown format '{format}'");
                return FromByteBpe(ByteBpeFiles.Read(path), path);
            }
            if (File.Exists(Path.Combine(path, "vocab.json")) && File.Exists(Path.Combine(path, "merges.txt")))
                return FromVocabMerges(path);
            var model = Directory.EnumerateFiles(path, "*.model").Order(StringComparer.Ordinal).FirstOrDefault();
            if (model is not null) return FromSentencePiece(model, model);
            throw new FileNotFoundException($"{path}: no tokenizer here (expected {ConfigFile}, vocab.json + merges.txt, or a SentencePiece .model)");
        }
        if (File.Exists(path))
        {
            if (path.EndsWith(".model", StringComparison.Ordinal)) return FromSentencePiece(path, path);
            throw new InvalidDataException($"{path}: not a tokenizer (expected a SentencePiece .model file or a tokenizer directory)");
        }
        throw new FileNotFoundException($"tokenizer '{spec}' not found: expected o200k_base, cl100k_base, a tokenizer directory or a .model file (looked for {path})");
    }

    static TextTokenizer FromEncoding(string name)
    {
        if (!Encodings.Contains(name)) throw new InvalidDataException($"unknown tiktoken encoding '{name}' (expected o200k_base or cl100k_base)");
        var t = TiktokenTokenizer.CreateForEncoding(name);
        int eot = t.SpecialTokens![EndOfText];
        int vocab = t.SpecialTokens.Values.Max() + 1; // special tokens sit above the ranks in both encodings
        int made = 0;
        return new TextTokenizer(name, () => Interlocked.Exchange(ref made, 1) == 0 ? t : TiktokenTokenizer.CreateForEncoding(name), vocab, eot,
            (k, s) => [.. k.EncodeToIds(s, considerPreTokenization: true, considerNormalization: false)],
            (k, s) => k.CountTokens(s, considerPreTokenization: true, considerNormalization: false),
            ids => t.Decode(ids),
            dir => WriteConfig(dir, new JsonObject { ["format"] = "tiktoken_encoding", ["encoding"] = name, ["vocab_size"] = vocab, ["eot_id"] = eot }));
    }

    internal static TextTokenizer FromByteBpe(ByteBpeModel model, string spec)
    {
        // Ranks = ids in merge order, so tiktoken's "lowest-rank merge first" equals the trained merge order.
        var sb = new StringBuilder();
        for (int id = 0; id < model.Tokens.Count; id++)
            sb.Append(Convert.ToBase64String(model.Tokens[id])).Append(' ').Append(id).Append('\n');
        byte[] ranks = Encoding.ASCII.GetBytes(sb.ToString());
        var specials = model.SpecialTokens.ToDictionary(kv => kv.Key, kv => kv.Value);
        Tokenizer Create()
        {
            using var stream = new MemoryStream(ranks);
            return TiktokenTokenizer.Create(stream, new RegexPreTokenizer(ByteLevel.Compile(model.Pattern), null), null, specials, cacheSize: 65536);
        }
        var t = Create();
        int eot = model.SpecialTokens.TryGetValue(EndOfText, out int e) ? e
            : throw new InvalidDataException($"{spec}: the tokenizer has no {EndOfText} special token");
        int made = 0;
        return new TextTokenizer(spec, () => Interlocked.Exchange(ref made, 1) == 0 ? t : Create(), model.VocabSize, eot,
            (k, s) => [.. k.EncodeToIds(s, considerPreTokenization: true, considerNormalization: false)],
            (k, s) => k.CountTokens(s, considerPreTokenization: true, considerNormalization: false),
            ids => t.Decode(ids),
            dir => ByteBpeFiles.Write(model, dir));
    }

    static TextTokenizer FromVocabMerges(string dir)
    {
        var vocab = JsonSerializer.Deserialize<Dictionary<string, int>>(File.ReadAllText(Path.Combine(dir, "vocab.json")))
            ?? throw new InvalidDataException($"{dir}/vocab.json: expected an object of token -> id");
        string? eotToken = new[] { EndOfText, "</s>", "<eos>", "<|im_end|>" }.FirstOrDefault(vocab.ContainsKey);
        var t = BpeTokenizer.Create(new BpeOptions(Path.Combine(dir, "vocab.json"), Path.Combine(dir, "merges.txt"))
        {
            ByteLevel = vocab.Keys.All(k => ByteLevel.Decode(k) is not null || k.StartsWith('<')),
            PreTokenizer = new RegexPreTokenizer(ByteLevel.Compile(ByteLevel.Gpt4Pattern), null),
            SpecialTokens = eotToken is null ? null : new Dictionary<string, int> { [eotToken] = vocab[eotToken] },
        });
        int eot = eotToken is null ? throw new InvalidDataException($"{dir}/vocab.json: no end-of-text token ({EndOfText} or </s>)") : vocab[eotToken];
        return new TextTokenizer(dir, () => t, vocab.Values.Max() + 1, eot,
            (k, s) => [.. k.EncodeToIds(s, considerPreTokenization: true, considerNormalization: false)],
            (k, s) => k.CountTokens(s, considerPreTokenization: true, considerNormalization: false),
            ids => t.Decode(ids),
            outDir =>
            {
                foreach (var f in new[] { "vocab.json", "merges.txt" }) File.Copy(Path.Combine(dir, f), Path.Combine(outDir, f), overwrite: true);
            });
    }

    static TextTokenizer FromSentencePiece(string modelPath, string spec)
    {
        byte[] bytes = File.ReadAllBytes(modelPath);
        using var ms = new MemoryStream(bytes);
        var t = SentencePieceTokenizer.Create(ms, addBeginningOfSentence: false, addEndOfSentence: false);
        int vocab = t.Vocabulary.Values.Max() + 1;
        return new TextTokenizer(spec, () => t, vocab, t.EndOfSentenceId,
            (k, s) => [.. ((SentencePieceTokenizer)k).EncodeToIds(s, addBeginningOfSentence: false, addEndOfSentence: false, considerPreTokenization: true, considerNormalization: true)],
            (k, s) => ((SentencePieceTokenizer)k).CountTokens(s, addBeginningOfSentence: false, addEndOfSentence: false, considerPreTokenization: true, considerNormalization: true),
            ids => t.Decode(ids),
            dir =>
            {
                File.WriteAllBytes(Path.Combine(dir, "tokenizer.model"), bytes);
                WriteConfig(dir, new JsonObject { ["format"] = "sentencepiece", ["model"] = "tokenizer.model", ["vocab_size"] = vocab, ["eot_id"] = t.EndOfSentenceId });
            });
    }

    internal static void WriteConfig(string dir, JsonObject config)
        => File.WriteAllText(Path.Combine(dir, ConfigFile), config.ToJsonString(new JsonSerializerOptions { WriteIndented = true }) + "\n");
}
