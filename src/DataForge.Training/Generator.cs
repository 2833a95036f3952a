using TorchSharp;
using static TorchSharp.torch;

namespace DataForge.Training;

/// <summary>Autoregressive sampling with temperature, top-k and top-p (temperature 0 = greedy).</summary>
public static class Generator
{
    public static List<int> Generate(GptModel model, IReadOnlyList<int> prompt, int maxTokens, double temperature, int topK, double topP, long seed, int eot, bool bf16 = false)
    {
        var ids = prompt.Count > 0 ? prompt.ToList() : [eot];
        var output = new List<int>();
        int ctx = model.Options.ContextLength;
        var gen = new torch.Generator((ulong)seed);
        using var _ = torch.no_grad();
        for (int n = 0; n < maxTokens; n++)
        {
            using var scope = torch.NewDisposeScope();
            var window = ids.Skip(Math.Max(0, ids.Count - ctx)).Select(i => (long)i).ToArray();
            var input = torch.tensor(window, [1, window.Length], int64).to(model.Device);
            var logits = model.Forward(input, bf16, training: false)[0, -1].to(ScalarType.Float32).cpu();
            int next;
            if (temperature <= 0) next = (int)logits.argmax().item<long>();
            else
            {
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
                next = (int)probs.multinomial(1, generator: gen).item<long>();
            }
            if (next == eot) break;
            ids.Add(next);
            output.Add(next);
        }
        return output;
    }
}
