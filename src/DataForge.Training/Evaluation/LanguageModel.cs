using TorchSharp;
using static TorchSharp.torch;

namespace DataForge.Training.Evaluation;

/// <summary>One position of a scored sequence: which sequence, which position, and the token it should predict.</summary>
public readonly record struct ScoredRow(int Sequence, int Position, int Target);

/// <summary>
/// A model that gives next-token logits for token ids, as evaluation uses it: the log-probability of given targets at
/// given positions (and whether each was the top choice), and generation. DataForge's TorchSharp model is one; a GGUF
/// file run by llama.cpp is another, so the same tasks and scoring compare them.
/// </summary>
public interface ILanguageModel
{
    int VocabSize { get; }
    int ContextLength { get; }
    long ParameterCount { get; }

    /// <summary>
    /// For each row: log softmax of the logits at position Position of sequence Sequence, taken at Target, into
    /// logProbs[row], and whether Target has the largest logit there, into greedy[row]. Sequences are at most
    /// ContextLength tokens; each is read from position 0 with nothing before it.
    /// </summary>
    void ScoreRows(IReadOnlyList<int[]> sequences, IReadOnlyList<ScoredRow> rows, double[] logProbs, bool[] greedy);

    /// <summary>As <see cref="Generator.GenerateTimed"/>: tokens continuing the prompt, and the prefill and decode seconds.</summary>
    (List<int> Tokens, double PrefillSeconds, double DecodeSeconds) Generate(IReadOnlyList<int> prompt, int maxTokens, double temperature, int topK, double topP,
        long seed, int eot, Func<IReadOnlyList<int>, bool>? stop = null);
}

/// <summary>DataForge's own model through TorchSharp (fp32 or bf16), batched.</summary>
public sealed class TorchLanguageModel(GptModel model, bool bf16 = false) : ILanguageModel
{
    public GptModel Model => model;
    public int VocabSize => model.VocabSize;
    public int ContextLength => model.Options.ContextLength;
    public long ParameterCount => model.ParameterCount;

    public void ScoreRows(IReadOnlyList<int[]> sequences, IReadOnlyList<ScoredRow> rows, double[] logProbs, bool[] greedy)
    {
        using var _ = torch.no_grad();
        using var scope = torch.NewDisposeScope();
        int len = sequences.Max(s => s.Length);
        // Padded on the right, which causal attention never lets earlier positions see.
        var ids = new long[sequences.Count * len];
        for (int b = 0; b < sequences.Count; b++)
            for (int j = 0; j < sequences[b].Length; j++) ids[b * len + j] = sequences[b][j];
        var input = torch.tensor(ids, [sequences.Count, len], int64).to(model.Device);
        var hidden = model.Hidden(input, bf16, training: false);
        if (rows.Count == 0) return;
        // Only the counted positions go through the output projection and log-softmax (a multiple-choice
        // continuation is a few tokens of a long sequence), in chunks of about 2M logits that stay in cache.
        var rowIndex = rows.Select(r => (long)r.Sequence * len + r.Position).ToArray();
        var targets = rows.Select(r => (long)r.Target).ToArray();
        var h = hidden.reshape(-1, hidden.shape[^1]).index_select(0, torch.tensor(rowIndex, int64).to(model.Device));
        var tgt = torch.tensor(targets, [rows.Count, 1], int64).to(model.Device);
        long chunk = Math.Max(1, (1L << 21) / model.VocabSize);
        var lp = new List<Tensor>();
        var top = new List<Tensor>();
        for (long s = 0; s < rows.Count; s += chunk)
        {
            long c = Math.Min(chunk, rows.Count - s);
            var logits = model.Output(h.narrow(0, s, c), bf16).to(ScalarType.Float32);
            var t = tgt.narrow(0, s, c);
            lp.Add(logits.log_softmax(-1).gather(1, t).squeeze(1));
            top.Add(logits.argmax(-1).eq(t.squeeze(1)));
        }
        torch.cat(lp, 0).to(ScalarType.Float64).cpu().data<double>().CopyTo(logProbs);
        torch.cat(top, 0).cpu().data<bool>().CopyTo(greedy);
    }

    public (List<int> Tokens, double PrefillSeconds, double DecodeSeconds) Generate(IReadOnlyList<int> prompt, int maxTokens, double temperature, int topK,
        double topP, long seed, int eot, Func<IReadOnlyList<int>, bool>? stop = null)
        => Generator.GenerateTimed(model, prompt, maxTokens, temperature, topK, topP, seed, eot, bf16, stop);

    /// <summary>Log softmax at <paramref name="target"/> of one row of logits, and whether the target is the arg-max (first maximum).</summary>
    public static (double LogProb, bool Greedy) LogSoftmaxAt(ReadOnlySpan<float> logits, int target)
    {
        int best = 0;
        float max = logits[0];
        for (int i = 1; i < logits.Length; i++) if (logits[i] > max) { max = logits[i]; best = i; }
        double sum = 0;
        for (int i = 0; i < logits.Length; i++) sum += Math.Exp(logits[i] - (double)max);
        return (logits[target] - max - Math.Log(sum), best == target);
    }
}
