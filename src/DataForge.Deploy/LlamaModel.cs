using System.Diagnostics;
using DataForge.Training;
using DataForge.Training.Evaluation;
using LLama;
using LLama.Common;
using LLama.Native;
using TorchSharp;

namespace DataForge.Deploy;

/// <summary>How llama.cpp runs a GGUF model.</summary>
public sealed record LlamaModelOptions
{
    /// <summary>CPU threads (0 = llama.cpp's default).</summary>
    public int Threads { get; init; }
    /// <summary>
    /// Keys and values cached in f32 and no flash attention: the model's own arithmetic, for comparisons with DataForge's
    /// forward pass. Off: llama.cpp's defaults (an f16 cache), as deployed.
    /// </summary>
    public bool ExactAttention { get; init; }
}

/// <summary>
/// A GGUF model run by llama.cpp (through LLamaSharp) as an <see cref="ILanguageModel"/>: one sequence per decode,
/// logits read at the positions asked for; generation with llama.cpp's KV cache.
/// </summary>
public sealed class LlamaModel : ILanguageModel, IDisposable
{
    readonly LLamaWeights _weights;
    readonly LLamaContext _context;

    public string Path { get; }
    public int VocabSize { get; }
    public int ContextLength { get; }
    public long ParameterCount { get; }
    /// <summary>The GGUF header: metadata and tensor table.</summary>
    public GgufFile File { get; }

    LlamaModel(string path, GgufFile file, LLamaWeights weights, LLamaContext context, int contextLength)
    {
        Path = path;
        File = file;
        _weights = weights;
        _context = context;
        ContextLength = contextLength;
        VocabSize = weights.Vocab.Count;
        ParameterCount = checked((long)weights.ParameterCount);
    }

    public static LlamaModel Load(string path, LlamaModelOptions? options = null)
    {
        options ??= new LlamaModelOptions();
        path = System.IO.Path.GetFullPath(path);
        if (!System.IO.File.Exists(path)) throw new FileNotFoundException($"{path}: not found (expected a GGUF file from `dataforge export --format gguf`)");
        var file = GgufFile.Read(path);
        string arch = file.Has("general.architecture") ? (string)file["general.architecture"].Value : "";
        string ctxKey = $"{arch}.context_length";
        if (!file.Has(ctxKey)) throw new InvalidDataException($"{path}: no {ctxKey} in the metadata");
        int ctx = checked((int)(uint)file[ctxKey].Value);
        LlamaRuntime.EnsureLoaded();
        LlamaRuntime.ClearLog();
        var p = new ModelParams(path)
        {
            ContextSize = (uint)ctx,
            BatchSize = (uint)ctx,
            UBatchSize = (uint)ctx,
            GpuLayerCount = 0,
            Threads = options.Threads > 0 ? options.Threads : null,
            BatchThreads = options.Threads > 0 ? options.Threads : null,
        };
        if (options.ExactAttention)
        {
            p.TypeK = GGMLType.GGML_TYPE_F32;
            p.TypeV = GGMLType.GGML_TYPE_F32;
            p.FlashAttention = false;
        }
        LLamaWeights weights;
        try { weights = LLamaWeights.LoadFromFile(p); }
        catch (Exception ex) when (ex is not OutOfMemoryException)
        {
            throw new InvalidDataException($"{path}: llama.cpp could not load the model: {ex.Message} {LlamaRuntime.RecentErrors()}", ex);
        }
        try { return new LlamaModel(path, file, weights, weights.CreateContext(p), ctx); }
        catch { weights.Dispose(); throw; }
    }

    /// <summary>llama.cpp's token ids for a text (no BOS, special-token text read as text).</summary>
    public int[] Tokenize(string text) => text.Length == 0 ? [] : _context.Tokenize(text, addBos: false, special: false).Select(t => (int)t).ToArray();

    /// <summary>Logits [tokens.Length, VocabSize] (row-major) of a sequence read from position 0.</summary>
    public float[] Logits(IReadOnlyList<int> tokens)
    {
        var all = Enumerable.Range(0, tokens.Count).ToArray();
        var result = new float[tokens.Count * VocabSize];
        Decode(tokens, all, (row, logits) => logits.CopyTo(result.AsSpan(row * VocabSize, VocabSize)));
        return result;
    }

    /// <summary>Reads tokens into an empty cache from position 0 and hands over the logits at the given positions, in order.</summary>
    void Decode(IReadOnlyList<int> tokens, IReadOnlyList<int> positions, Action<int, ReadOnlySpan<float>> use)
    {
        if (tokens.Count > ContextLength) throw new ArgumentException($"{tokens.Count} tokens, more than the context length {ContextLength}");
        _context.NativeHandle.MemoryClear(true);
        var wanted = new HashSet<int>(positions);
        var batch = new LLamaBatch();
        var index = new int[tokens.Count];
        for (int i = 0; i < tokens.Count; i++) index[i] = batch.Add(tokens[i], i, LLamaSeqId.Zero, wanted.Contains(i));
        Check(_context.Decode(batch));
        for (int k = 0; k < positions.Count; k++) use(k, _context.NativeHandle.GetLogitsIth(index[positions[k]]));
    }

    void Check(DecodeResult r)
    {
        if (r != DecodeResult.Ok) throw new InvalidOperationException($"{Path}: llama_decode failed ({r}): {LlamaRuntime.RecentErrors()}");
    }

    public void ScoreRows(IReadOnlyList<int[]> sequences, IReadOnlyList<ScoredRow> rows, double[] logProbs, bool[] greedy)
    {
        for (int s = 0; s < sequences.Count; s++)
        {
            var mine = Enumerable.Range(0, rows.Count).Where(r => rows[r].Sequence == s).ToList();
            if (mine.Count == 0) continue;
            Decode(sequences[s], mine.Select(r => rows[r].Position).ToList(), (k, logits) =>
            {
                int row = mine[k];
                (logProbs[row], greedy[row]) = TorchLanguageModel.LogSoftmaxAt(logits, rows[row].Target);
            });
        }
    }

    public (List<int> Tokens, double PrefillSeconds, double DecodeSeconds) Generate(IReadOnlyList<int> prompt, int maxTokens, double temperature, int topK,
        double topP, long seed, int eot, Func<IReadOnlyList<int>, bool>? stop = null)
    {
        var ids = prompt.Count > 0 ? prompt.ToList() : [eot];
        var output = new List<int>();
        // Created at the first draw: greedy decoding never loads libtorch (which would count in a deployed model's memory).
        torch.Generator? gen = null;
        var clock = Stopwatch.StartNew();
        double prefill = 0;
        int cached = 0;
        var batch = new LLamaBatch();
        for (int n = 0; n < maxTokens; n++)
        {
            batch.Clear();
            int last;
            if (cached > 0 && cached == ids.Count - 1 && cached < ContextLength)
            {
                last = batch.Add(ids[^1], cached, LLamaSeqId.Zero, true);
                cached++;
            }
            else
            {
                // The window of the last context_length tokens, read afresh (as DataForge's generator does past the context).
                _context.NativeHandle.MemoryClear(true);
                var window = ids.Skip(Math.Max(0, ids.Count - ContextLength)).ToList();
                last = 0;
                for (int i = 0; i < window.Count; i++) last = batch.Add(window[i], i, LLamaSeqId.Zero, i == window.Count - 1);
                cached = window.Count;
            }
            Check(_context.Decode(batch));
            var logits = _context.NativeHandle.GetLogitsIth(last);
            if (n == 0) prefill = clock.Elapsed.TotalSeconds;
            int next = temperature <= 0 ? ArgMax(logits) : Sample(logits, temperature, topK, topP, gen ??= new torch.Generator((ulong)seed));
            if (next == eot) break;
            ids.Add(next);
            output.Add(next);
            if (stop is not null && stop(output)) break;
        }
        return (output, prefill, clock.Elapsed.TotalSeconds - prefill);
    }

    static int ArgMax(ReadOnlySpan<float> logits)
    {
        int best = 0;
        for (int i = 1; i < logits.Length; i++) if (logits[i] > logits[best]) best = i;
        return best;
    }

    /// <summary>A draw with DataForge's sampler (the same temperature, top-k and top-p rules as its own generation).</summary>
    static int Sample(ReadOnlySpan<float> logits, double temperature, int topK, double topP, torch.Generator gen)
    {
        using var scope = torch.NewDisposeScope();
        return Generator.Pick(torch.tensor(logits.ToArray()), temperature, topK, topP, gen);
    }

    public void Dispose()
    {
        _context.Dispose();
        _weights.Dispose();
    }
}

/// <summary>
/// Text through a GGUF model's own tokenizer: llama.cpp encodes, and ids decode through the embedded byte-level
/// vocabulary (tokenizer.ggml.tokens). What evaluation of a deployed file uses.
/// </summary>
public sealed class LlamaTextCodec : ITextCodec
{
    readonly LlamaModel _model;
    readonly byte[]?[] _bytes;

    public LlamaTextCodec(LlamaModel model)
    {
        _model = model;
        var tokens = (IReadOnlyList<string>)model.File["tokenizer.ggml.tokens"].Value;
        var types = model.File.Has("tokenizer.ggml.token_type") ? (IReadOnlyList<int>)model.File["tokenizer.ggml.token_type"].Value : null;
        // Control and unused tokens spell nothing.
        _bytes = tokens.Select((t, i) => types is null || types[i] == 1 ? DataForge.Tokenization.ByteLevel.Decode(t) : null).ToArray();
        EndOfTextId = checked((int)(uint)model.File["tokenizer.ggml.eos_token_id"].Value);
    }

    public int EndOfTextId { get; }
    public int[] Encode(string text) => _model.Tokenize(text);

    public string Decode(IReadOnlyList<int> ids)
    {
        var bytes = new List<byte>();
        foreach (int id in ids)
            if ((uint)id < (uint)_bytes.Length && _bytes[id] is { } b) bytes.AddRange(b);
        return System.Text.Encoding.UTF8.GetString(bytes.ToArray());
    }

    public void ExportTo(string dir) => throw new NotSupportedException("the tokenizer of a GGUF file is inside the file");
}
