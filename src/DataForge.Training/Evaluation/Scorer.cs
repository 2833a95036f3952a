namespace DataForge.Training.Evaluation;

/// <summary>A scored span: the log-probability of its target tokens, whether each was the model's top choice, and how many there were.</summary>
public readonly record struct SpanScore(double LogProb, bool Greedy, int Tokens);

/// <summary>
/// Log-likelihoods under a model, batched: of a continuation given a context (multiple choice), and of whole
/// token streams in sliding windows (perplexity). Sequences of a batch are padded on the right, which causal
/// attention never lets earlier positions see, so a sequence scores the same alone or in any batch.
/// </summary>
public sealed class Scorer(ILanguageModel model, ITextCodec codec, int eot, int batchSize)
{
    /// <summary>DataForge's TorchSharp model (fp32, or bf16).</summary>
    public Scorer(GptModel model, ITextCodec codec, int eot, int batchSize, bool bf16 = false) : this(new TorchLanguageModel(model, bf16), codec, eot, batchSize) { }

    /// <summary>One sequence to score: the input tokens, the token each position should predict, and the first position that counts.</summary>
    public readonly record struct Span(int[] Input, int[] Targets, int From);

    int Context => model.ContextLength;

    /// <summary>
    /// Context and continuation tokens as lm-evaluation-harness splits them: trailing white space of the context
    /// moves to the continuation; the continuation's tokens are those of context + continuation after the
    /// context's tokens. Where the tokenizer merges the context's last characters with the continuation's first,
    /// the two encodings part before the end of the context: the tokens from the first difference on are the
    /// continuation's (so the merged token is scored with it), never tokens that spell the context twice.
    /// An empty context becomes the end-of-text token, which every document follows in training.
    /// </summary>
    public (int[] Context, int[] Continuation) Encode(string context, string continuation)
    {
        int spaces = context.Length - context.TrimEnd().Length;
        if (spaces > 0)
        {
            continuation = context[^spaces..] + continuation;
            context = context[..^spaces];
        }
        int[] whole = codec.Encode(context + continuation);
        int[] ctx = context.Length == 0 ? [] : codec.Encode(context);
        int k = 0;
        while (k < ctx.Length && k < whole.Length && ctx[k] == whole[k]) k++;
        int[] head = k == 0 ? [eot] : whole[..k];
        return (head, whole[k..]);
    }

    /// <summary>log P(continuation | context) for each request, in request order.</summary>
    public List<SpanScore> Loglikelihood(IReadOnlyList<(string Context, string Continuation)> requests) => Score(Spans(requests));

    /// <summary>
    /// The sequences that <see cref="Loglikelihood"/> scores, in request order: context + continuation cut to the
    /// model's context length from the left, each position predicting the next token, counted from the continuation's first.
    /// </summary>
    public List<Span> Spans(IReadOnlyList<(string Context, string Continuation)> requests)
    {
        var spans = new List<Span>(requests.Count);
        foreach (var (c, x) in requests)
        {
            var (head, cont) = Encode(c, x);
            int[] all = [.. head, .. cont];
            // The last Context tokens before the final one are the input; position j predicts all[j + 1].
            int start = Math.Max(0, all.Length - 1 - Context);
            var input = all[start..^1];
            var targets = all[(start + 1)..];
            spans.Add(new Span(input, targets, Math.Max(0, input.Length - cont.Length)));
        }
        return spans;
    }

    /// <summary>
    /// Sliding windows over one token stream so that every token after the first is predicted exactly once:
    /// windows of <paramref name="window"/> tokens moving by <paramref name="stride"/>, each counting only the
    /// targets the previous windows did not (the overlap serves as context).
    /// </summary>
    public static List<Span> RollingWindows(int[] tokens, int window, int stride)
    {
        var spans = new List<Span>();
        int predicted = 1; // tokens[0] is only ever context
        for (int begin = 0; predicted < tokens.Length; begin += stride)
        {
            int end = Math.Min(begin + window, tokens.Length - 1); // input tokens[begin..end) predict tokens[begin+1..end]
            if (end <= begin) break;
            var input = tokens[begin..end];
            var targets = tokens[(begin + 1)..(end + 1)];
            spans.Add(new Span(input, targets, Math.Max(0, predicted - (begin + 1))));
            predicted = end + 1;
        }
        return spans;
    }

    /// <summary>
    /// The batches <see cref="Score"/> runs, as indices into <paramref name="spans"/>: longest first (ties in span
    /// order), at most batch_size each, and fewer when a batch of the longest sequence's logits would pass about 256 MB.
    /// </summary>
    public List<int[]> Batches(IReadOnlyList<Span> spans)
    {
        var order = Enumerable.Range(0, spans.Count).OrderByDescending(i => spans[i].Input.Length).ThenBy(i => i).ToArray();
        // Bounds the batch by its worst case, every position counted (perplexity): its log-probabilities over the
        // vocabulary, chunked in Score, and the rows gathered for them stay near 256 MB whatever the vocabulary.
        long perSequence = (long)Math.Max(1, spans.Count == 0 ? 1 : spans[order[0]].Input.Length) * model.VocabSize * 4;
        int batch = (int)Math.Clamp((256L << 20) / perSequence, 1, batchSize);
        var batches = new List<int[]>();
        for (int s = 0; s < order.Length; s += batch) batches.Add(order.AsSpan(s, Math.Min(batch, order.Length - s)).ToArray());
        return batches;
    }

    /// <summary>Scores spans in batches of similar length (longest first); results in span order.</summary>
    public List<SpanScore> Score(IReadOnlyList<Span> spans)
    {
        var results = new SpanScore[spans.Count];
        foreach (var idx in Batches(spans))
        {
            // The rows that count: positions From.. of each sequence, with their targets.
            var rows = new List<ScoredRow>();
            for (int b = 0; b < idx.Length; b++)
            {
                var sp = spans[idx[b]];
                for (int j = sp.From; j < sp.Input.Length; j++) rows.Add(new ScoredRow(b, j, sp.Targets[j]));
            }
            var logProbs = new double[rows.Count];
            var greedy = new bool[rows.Count];
            model.ScoreRows(idx.Select(i => spans[i].Input).ToList(), rows, logProbs, greedy);
            int r = 0;
            for (int b = 0; b < idx.Length; b++)
            {
                var sp = spans[idx[b]];
                int n = Math.Max(0, sp.Input.Length - sp.From);
                double sum = 0;
                bool all = true;
                for (int j = 0; j < n; j++, r++) { sum += logProbs[r]; all &= greedy[r]; }
                results[idx[b]] = new SpanScore(sum, all, n);
            }
        }
        return [.. results];
    }
}
