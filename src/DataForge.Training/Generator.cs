using System.Diagnostics;
using TorchSharp;
using static TorchSharp.torch;

namespace DataForge.Training;

/// <summary>
/// Autoregressive sampling with temperature, top-k and top-p (temperature 0 = greedy). The model sees at most the
/// last context_length tokens (prompt and output so far): a sliding window once the sequence is longer.
/// </summary>
public static class Generator
{
    /// <summary>
    /// Up to <paramref name="maxTokens"/> tokens continuing <paramref name="prompt"/> (an empty prompt starts from
    /// <paramref name="eot"/>); generation ends early when the model picks <paramref name="eot"/> (not included) or
    /// when <paramref name="stop"/>, called after each appended token with the output so far (the generator's own list, which
    /// grows: copy it to keep it), returns true; the token that made it true is kept. With
    /// <paramref name="useCache"/> the prompt is read once into a <see cref="KvCache"/> and each step reads only the new
    /// token; without it every step recomputes the whole window. Both give the same tokens (greedy: token for token).
    /// </summary>
    public static List<int> Generate(GptModel model, IReadOnlyList<int> prompt, int maxTokens, double temperature, int topK, double topP, long seed, int eot, bool bf16 = false,
        Func<IReadOnlyList<int>, bool>? stop = null, bool useCache = true) =>
        GenerateTimed(model, prompt, maxTokens, temperature, topK, topP, seed, eot, bf16, stop, useCache).Tokens;

    /// <summary>
    /// <see cref="Generate"/> with its wall-clock split: PrefillSeconds until the logits of the first generated token
    /// are known (reading the prompt), DecodeSeconds for everything after (the other tokens, one step each).
    /// </summary>
    public static (List<int> Tokens, double PrefillSeconds, double DecodeSeconds) GenerateTimed(GptModel model, IReadOnlyList<int> prompt, int maxTokens,
        double temperature, int topK, double topP, long seed, int eot, bool bf16 = false, Func<IReadOnlyList<int>, bool>? stop = null, bool useCache = true)
    {
        ArgumentNullException.ThrowIfNull(model);
        ArgumentNullException.ThrowIfNull(prompt);
        var ids = prompt.Count > 0 ? prompt.ToList() : [eot];
        var output = new List<int>();
        int ctx = model.Options.ContextLength;
        var gen = new torch.Generator((ulong)seed);
        using var _ = torch.no_grad();
        using var cache = useCache ? new KvCache(model) : null;
        var clock = Stopwatch.StartNew();
        double prefill = 0;
        for (int n = 0; n < maxTokens; n++)
        {
            using var scope = torch.NewDisposeScope();
            var logits = cache is null ? NextLogits(model, ids, bf16) : NextLogitsCached(model, cache, ids, bf16);
            if (n == 0) prefill = clock.Elapsed.TotalSeconds;
            int next = Pick(logits, temperature, topK, topP, gen);
            if (next == eot) break;
            ids.Add(next);
            output.Add(next);
            if (stop is not null && stop(output)) break;
        }
        return (output, prefill, clock.Elapsed.TotalSeconds - prefill);
    }

    /// <summary>The next token's logits [V] (fp32, CPU) from the whole window of the last context_length tokens.</summary>
    static Tensor NextLogits(GptModel model, List<int> ids, bool bf16)
    {
        var window = Window(ids, model.Options.ContextLength);
        var input = torch.tensor(window, [1, window.Length], int64).to(model.Device);
        return model.Forward(input, bf16, training: false)[0, -1].to(ScalarType.Float32).cpu();
    }

    /// <summary>
    /// The next token's logits reading only what the cache lacks: the whole window when the cache is empty, else the
    /// last token. When that token would not fit (the sequence is longer than context_length), the cache starts again
    /// on the window of the last context_length tokens, as <see cref="NextLogits"/> sees it: its positions shift by one
    /// every step, so past context_length each step reads the whole window, as without the cache.
    /// </summary>
    static Tensor NextLogitsCached(GptModel model, KvCache cache, List<int> ids, bool bf16)
    {
        long[] input;
        if (cache.Length > 0 && cache.Length + 1 <= cache.Capacity && cache.Length == ids.Count - 1) input = [ids[^1]];
        else
        {
            cache.Reset();
            input = Window(ids, cache.Capacity);
        }
        var tokens = torch.tensor(input, [1, input.Length], int64).to(model.Device);
        return model.ForwardCachedLast(tokens, cache, bf16)[0].to(ScalarType.Float32).cpu();
    }

    static long[] Window(List<int> ids, int length) => ids.Skip(Math.Max(0, ids.Count - length)).Select(i => (long)i).ToArray();

    /// <summary>The next token from logits [V]: arg-max at temperature 0, else a draw after temperature, top-k and top-p.</summary>
    public static int Pick(Tensor logits, double temperature, int topK, double topP, torch.Generator gen)
    {
        if (temperature <= 0) return (int)logits.argmax().item<long>();
        logits = logits / temperature;
        if (topK > 0 && topK < logits.shape[0])
        {
            var kth = logits.topk(topK).values[-1];
            logits = logits.masked_fill(logits < kth, double.NegativeInfinity);
        }
        var probs = logits.softmax(-1);
        if (topP is > 0 and < 1)
        {
            var (sorted, idx) = probs.sort(-1, descending: true);
            var cum = sorted.cumsum(-1);
            var drop = (cum - sorted) > topP;
            sorted = sorted.masked_fill(drop, 0);
            probs = torch.zeros_like(probs).scatter_(-1, idx, sorted);
            probs = probs / probs.sum();
        }
        return (int)probs.multinomial(1, generator: gen).item<long>();
    }
}
