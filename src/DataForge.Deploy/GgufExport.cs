using System.Buffers.Binary;
using DataForge.Execution;
using DataForge.Tokenization;
using DataForge.Training;

namespace DataForge.Deploy;

/// <summary>How <see cref="GgufExport.Export"/> writes a model.</summary>
public sealed record GgufExportOptions
{
    /// <summary>Tensor type: f32 or f16 (written here), or a llama.cpp quantisation type (q8_0, q4_0, q4_k_m, ...).</summary>
    public string Type { get; init; } = "f32";
    /// <summary>Write the tokenizer even though llama.cpp will pre-tokenise some text differently from DataForge.</summary>
    public bool AllowPretokenizerMismatch { get; init; }
    /// <summary>general.name (default: the run directory's name).</summary>
    public string? Name { get; init; }
    /// <summary>Quantiser threads (0 = one per core).</summary>
    public int Threads { get; init; }
}

public sealed record GgufExportResult(string Path, string Architecture, string Type, long Bytes, int Tensors, IReadOnlyList<string> Notes);

/// <summary>
/// A DataForge model directory (final/ or a checkpoint: config.json, model.safetensors, the tokenizer files) as a GGUF
/// file llama.cpp runs: architecture metadata under the names llama.cpp reads for llama, qwen2 or qwen3 (as config.json's
/// model_type says), tensors under llama.cpp's names and in its layout, and the byte-level BPE tokenizer with a
/// pre-tokenizer llama.cpp knows. f32 and f16 are written here; other types are the f32 file quantised by llama.cpp.
/// </summary>
public static class GgufExport
{
    /// <summary>llama.cpp's pre-tokenizer names for the DataForge patterns it implements exactly.</summary>
    public static string? LlamaCppPreTokenizer(string pattern) => pattern == ByteLevel.Gpt4Pattern ? "llama-bpe" : null;

    public static GgufExportResult Export(string modelDirectory, string outPath, GgufExportOptions options)
    {
        string dir = Path.GetFullPath(modelDirectory);
        outPath = Path.GetFullPath(outPath);
        string type = options.Type.ToLowerInvariant();
        if (type is not ("f32" or "f16") && !LlamaQuantize.IsKnown(type))
            throw new RunSetupException($"--type {options.Type}: expected f32, f16 or one of {string.Join(", ", LlamaQuantize.Types)}");
        var cfg = Trainer.ReadExportedConfig(dir);
        var arch = GgufArchitecture.For(cfg);
        var notes = new List<string>();
        var tokenizer = ReadTokenizer(dir, cfg, options.AllowPretokenizerMismatch, notes);
        string weightsPath = Path.Combine(dir, "model.safetensors");
        if (!File.Exists(weightsPath)) throw new FileNotFoundException($"{weightsPath}: not found (expected a run's final/ or checkpoint directory)");
        var weights = Safetensors.Read(weightsPath);
        string name = options.Name ?? (Path.GetFileName(dir) is "final" ? Path.GetFileName(Path.GetDirectoryName(dir)!) : Path.GetFileName(dir));
        Directory.CreateDirectory(Path.GetDirectoryName(outPath)!);

        bool quantised = type is not ("f32" or "f16");
        string writeTo = quantised ? outPath + ".f32.tmp" : outPath;
        var metadata = Metadata(arch, cfg, tokenizer, name, type == "f16" ? 1u : 0u);
        var tensors = Tensors(arch, cfg, weights, weightsPath, type == "f16");
        Gguf.Write(writeTo, metadata, tensors);
        if (quantised)
        {
            try { LlamaQuantize.Quantize(writeTo, outPath, type, options.Threads); }
            finally { File.Delete(writeTo); }
            notes.AddRange(LlamaQuantize.Fallbacks(outPath, type));
        }
        return new GgufExportResult(outPath, arch.Name, type, new FileInfo(outPath).Length, tensors.Count, notes);
    }

    /// <summary>The model directory's tokenizer, checked for what llama.cpp can reproduce.</summary>
    static ByteBpeModel ReadTokenizer(string dir, ExportedConfig cfg, bool allowMismatch, List<string> notes)
    {
        string tokCfg = Path.Combine(dir, TextTokenizer.ConfigFile);
        var model = ReadByteBpe(dir);
        if (model.VocabSize > cfg.VocabSize)
            throw new InputException(cfg.Path, $"vocab_size {cfg.VocabSize} is smaller than the tokenizer's {model.VocabSize} ids ({tokCfg})");
        if (!model.SpecialTokens.ContainsKey(TextTokenizer.EndOfText))
            throw new InputException(tokCfg, $"the tokenizer has no {TextTokenizer.EndOfText} token");
        if (LlamaCppPreTokenizer(model.Pattern) is null)
        {
            string which = model.Pattern == ByteLevel.DefaultPattern ? "DataForge's default pattern (CJK runs of at most 16 ideographs split off)" : "a custom pattern";
            if (!allowMismatch)
                throw new InputException(tokCfg,
                    $"the tokenizer pre-tokenises with {which}, which no llama.cpp pre-tokenizer implements: llama.cpp would split some text differently and give other token ids. " +
                    "Train the tokenizer with `dataforge tokenizer train --pattern gpt4` (llama.cpp's llama-bpe) for GGUF export, or pass --allow-pretokenizer-mismatch to export with llama-bpe anyway");
            notes.Add($"the tokenizer's pattern is {which}; it is exported as llama-bpe (GPT-4's pattern), so llama.cpp splits some text differently from DataForge (for the default pattern: runs of more than 16 CJK ideographs)");
        }
        return model;
    }

    /// <summary>The byte-level BPE tokenizer in a model directory, or an error saying which tokenizers export supports.</summary>
    public static ByteBpeModel ReadByteBpe(string dir)
    {
        string tokCfg = Path.Combine(dir, TextTokenizer.ConfigFile);
        if (!File.Exists(tokCfg))
            throw new InputException(dir, $"no {TextTokenizer.ConfigFile}: export embeds the tokenizer and supports byte-level BPE tokenizers trained by `dataforge tokenizer train` (the run's final/ holds its files when training named one)");
        var node = System.Text.Json.Nodes.JsonNode.Parse(File.ReadAllText(tokCfg));
        string format = (string?)node?["format"] ?? "";
        if (format != ByteBpeFiles.Format)
            throw new InputException(tokCfg, $"tokenizer format '{format}': export supports byte-level BPE tokenizers trained by `dataforge tokenizer train` (format {ByteBpeFiles.Format})");
        return ByteBpeFiles.Read(dir);
    }

    static List<KeyValuePair<string, GgufValue>> Metadata(GgufArchitecture arch, ExportedConfig cfg, ByteBpeModel tok, string name, uint fileType)
    {
        var m = cfg.Model;
        int hd = m.DModel / m.NHeads;
        string a = arch.Name;
        var kv = new List<KeyValuePair<string, GgufValue>>();
        void Add(string k, GgufValue v) => kv.Add(new(k, v));
        Add("general.architecture", GgufValue.Str(a));
        Add("general.name", GgufValue.Str(name));
        Add("general.file_type", GgufValue.U32(fileType));
        Add("general.alignment", GgufValue.U32(Gguf.DefaultAlignment));
        Add($"{a}.vocab_size", GgufValue.U32((uint)cfg.VocabSize));
        Add($"{a}.context_length", GgufValue.U32((uint)m.ContextLength));
        Add($"{a}.embedding_length", GgufValue.U32((uint)m.DModel));
        Add($"{a}.block_count", GgufValue.U32((uint)m.NLayers));
        Add($"{a}.feed_forward_length", GgufValue.U32((uint)m.Hidden));
        Add($"{a}.attention.head_count", GgufValue.U32((uint)m.NHeads));
        Add($"{a}.attention.head_count_kv", GgufValue.U32((uint)m.NHeads));
        Add($"{a}.attention.key_length", GgufValue.U32((uint)hd));
        Add($"{a}.attention.value_length", GgufValue.U32((uint)hd));
        Add($"{a}.attention.layer_norm_rms_epsilon", GgufValue.F32((float)m.NormEps));
        Add($"{a}.rope.dimension_count", GgufValue.U32((uint)hd));
        Add($"{a}.rope.freq_base", GgufValue.F32((float)m.RopeTheta));

        // Ids 0..255 are bytes, then merges, then special tokens; ids the model has beyond the tokenizer's are unused.
        var tokens = new string[cfg.VocabSize];
        var types = new int[cfg.VocabSize];
        for (int id = 0; id < tokens.Length; id++) { tokens[id] = $"[PAD{id}]"; types[id] = TokenUnused; }
        for (int id = 0; id < tok.Tokens.Count; id++) { tokens[id] = ByteLevel.Encode(tok.Tokens[id]); types[id] = TokenNormal; }
        foreach (var (s, id) in tok.SpecialTokens) { tokens[id] = s; types[id] = TokenControl; }
        var merges = tok.Merges.Select(p => ByteLevel.Encode(tok.Tokens[p.Left]) + " " + ByteLevel.Encode(tok.Tokens[p.Right])).ToList();
        uint eot = (uint)tok.SpecialTokens[TextTokenizer.EndOfText];
        Add("tokenizer.ggml.model", GgufValue.Str("gpt2"));
        Add("tokenizer.ggml.pre", GgufValue.Str(LlamaCppPreTokenizer(tok.Pattern) ?? "llama-bpe"));
        Add("tokenizer.ggml.tokens", GgufValue.Strings(tokens));
        Add("tokenizer.ggml.token_type", GgufValue.Int32s(types));
        Add("tokenizer.ggml.merges", GgufValue.Strings(merges));
        Add("tokenizer.ggml.bos_token_id", GgufValue.U32(eot));
        Add("tokenizer.ggml.eos_token_id", GgufValue.U32(eot));
        Add("tokenizer.ggml.eot_token_id", GgufValue.U32(eot));
        Add("tokenizer.ggml.padding_token_id", GgufValue.U32(eot));
        // Documents are separated by end-of-text in training; nothing is added to a prompt.
        Add("tokenizer.ggml.add_bos_token", GgufValue.Bool(false));
        Add("tokenizer.ggml.add_eos_token", GgufValue.Bool(false));
        return kv;
    }

    // llama.cpp's token attributes (llama_token_type): normal, control (special), unused.
    const int TokenNormal = 1, TokenControl = 3, TokenUnused = 5;

    static List<GgufTensor> Tensors(GgufArchitecture arch, ExportedConfig cfg, Dictionary<string, SafeTensor> weights, string file, bool f16)
    {
        var m = cfg.Model;
        var list = new List<GgufTensor>();
        void Add(string gguf, string hf, bool ropePermute = false)
        {
            if (!weights.TryGetValue(hf, out var st)) throw new InputException(file, $"tensor {hf} missing (config.json describes a model that has it)");
            var values = Floats(st, file, hf);
            if (ropePermute) values = InterleaveRopeHalves(values, st.Shape, m.NHeads);
            long[] dims = st.Shape.Reverse().ToArray();
            // Norm weights and biases (1-D) stay f32, as llama.cpp's converter keeps them.
            bool half = f16 && st.Shape.Length >= 2;
            list.Add(new GgufTensor(gguf, dims, half ? GgmlType.F16 : GgmlType.F32, half ? ToF16(values) : ToF32(values)));
        }
        Add("token_embd.weight", "model.embed_tokens.weight");
        for (int i = 0; i < m.NLayers; i++)
        {
            string p = $"model.layers.{i}.", b = $"blk.{i}.";
            Add(b + "attn_norm.weight", p + "input_layernorm.weight");
            Add(b + "attn_q.weight", p + "self_attn.q_proj.weight", arch.PermuteQk);
            Add(b + "attn_k.weight", p + "self_attn.k_proj.weight", arch.PermuteQk);
            Add(b + "attn_v.weight", p + "self_attn.v_proj.weight");
            if (m.QkvBias)
            {
                Add(b + "attn_q.bias", p + "self_attn.q_proj.bias", arch.PermuteQk);
                Add(b + "attn_k.bias", p + "self_attn.k_proj.bias", arch.PermuteQk);
                Add(b + "attn_v.bias", p + "self_attn.v_proj.bias");
            }
            if (m.QkNorm)
            {
                Add(b + "attn_q_norm.weight", p + "self_attn.q_norm.weight");
                Add(b + "attn_k_norm.weight", p + "self_attn.k_norm.weight");
            }
            Add(b + "attn_output.weight", p + "self_attn.o_proj.weight");
            Add(b + "ffn_norm.weight", p + "post_attention_layernorm.weight");
            Add(b + "ffn_gate.weight", p + "mlp.gate_proj.weight");
            Add(b + "ffn_up.weight", p + "mlp.up_proj.weight");
            Add(b + "ffn_down.weight", p + "mlp.down_proj.weight");
        }
        Add("output_norm.weight", "model.norm.weight");
        // Tied embeddings: llama.cpp uses token_embd for the output when output.weight is absent.
        if (!m.TieEmbeddings) Add("output.weight", "lm_head.weight");
        return list;
    }

    /// <summary>
    /// Rows of a q or k projection (weight [n_heads * head_dim, in] or bias [n_heads * head_dim]) reordered from the
    /// half-split RoPE layout (DataForge and Hugging Face rotate dimension i with i + head_dim/2) to the interleaved one
    /// llama.cpp's llama architecture rotates (2i with 2i + 1): within each head, new row 2i + j is old row j * head_dim/2 + i.
    /// </summary>
    public static float[] InterleaveRopeHalves(float[] values, long[] shape, int nHeads)
    {
        long rows = shape[0];
        long cols = shape.Length > 1 ? shape[1] : 1;
        long hd = rows / nHeads, half = hd / 2;
        var result = new float[values.Length];
        for (long h = 0; h < nHeads; h++)
            for (long i = 0; i < half; i++)
                for (long j = 0; j < 2; j++)
                {
                    long to = h * hd + 2 * i + j, from = h * hd + j * half + i;
                    Array.Copy(values, from * cols, result, to * cols, cols);
                }
        return result;
    }

    static float[] Floats(SafeTensor st, string file, string name) => st.DType is "F32" or "BF16"
        ? DataForge.Training.Tensors.ToFloats(st)
        : throw new InputException(file, $"tensor {name} has dtype {st.DType}; expected F32 or BF16");

    static byte[] ToF32(float[] values)
    {
        var bytes = new byte[values.Length * 4];
        Buffer.BlockCopy(values, 0, bytes, 0, bytes.Length);
        return bytes;
    }

    /// <summary>IEEE half precision, round to nearest even (ggml's F16).</summary>
    static byte[] ToF16(float[] values)
    {
        var bytes = new byte[values.Length * 2];
        for (int i = 0; i < values.Length; i++) BinaryPrimitives.WriteHalfLittleEndian(bytes.AsSpan(2 * i), (Half)values[i]);
        return bytes;
    }
}

/// <summary>The llama.cpp architecture of an exported model, and whether its q/k rows need llama's interleaved RoPE layout.</summary>
public sealed record GgufArchitecture(string Name, bool PermuteQk)
{
    public static GgufArchitecture For(ExportedConfig cfg)
    {
        var m = cfg.Model;
        var arch = cfg.ModelType switch
        {
            // llama.cpp's llama rotates interleaved pairs (RoPE "norm"); qwen2 and qwen3 rotate halves (NEOX), as DataForge does.
            "llama" => new GgufArchitecture("llama", true),
            "qwen2" => new GgufArchitecture("qwen2", false),
            "qwen3" => new GgufArchitecture("qwen3", false),
            "dataforge" => throw new InputException(cfg.Path,
                $"model_type 'dataforge' (mlp {m.Mlp}, norm {m.Norm}) has no llama.cpp architecture: GGUF export needs a Llama-style model (mlp swiglu, norm rmsnorm)"),
            var other => throw new InputException(cfg.Path,
                $"model_type '{other}' has no llama.cpp architecture DataForge can export (expected llama, qwen2 or qwen3)"),
        };
        if (m.Mlp != "swiglu" || m.Norm != "rmsnorm")
            throw new InputException(cfg.Path, $"model_type '{cfg.ModelType}' with mlp {m.Mlp} and norm {m.Norm}: llama.cpp's {arch.Name} needs mlp swiglu and norm rmsnorm");
        if (arch.Name == "qwen3" && m.QkvBias)
            throw new InputException(cfg.Path, "qk_norm together with qkv_bias: llama.cpp's qwen3 has no q/k/v biases and qwen2 no q/k norms, so no llama.cpp architecture runs this model");
        if (arch.Name == "llama" && (m.QkvBias || m.QkNorm))
            throw new InputException(cfg.Path, "model_type 'llama' with qkv_bias or qk_norm: config.json and the model options disagree");
        if (m.DModel / m.NHeads % 2 != 0)
            throw new InputException(cfg.Path, $"head size {m.DModel / m.NHeads} is odd; RoPE needs an even head size");
        return arch;
    }
}
