using TorchSharp;
using Parameter = TorchSharp.Modules.Parameter;
using static TorchSharp.torch;
using F = TorchSharp.torch.nn.functional;

namespace DataForge.Training;

/// <summary>
/// Decoder-only transformer: token embedding, RoPE, pre-norm blocks (RMSNorm or LayerNorm), attention through
/// scaled_dot_product_attention, GELU or SwiGLU MLP, final norm, tied or separate output projection.
/// Parameters are fp32 master weights named as Hugging Face Llama/Qwen2 name them. In bf16 mode the matmul
/// weights are cast to bf16 once per forward pass and matmuls and activations run in bf16, while the residual
/// stream, norms, softmax statistics and the loss stay fp32 (mixed precision done by hand: TorchSharp has no autocast).
/// </summary>
public sealed partial class GptModel : IDisposable
{
    public ModelOptions Options { get; }
    public int VocabSize { get; }
    public Device Device { get; }
    /// <summary>Parameters in a fixed order, by Hugging Face name.</summary>
    public List<(string Name, Parameter Param)> Parameters { get; } = [];
    readonly Dictionary<string, Parameter> _byName = new(StringComparer.Ordinal);
    Tensor _cos, _sin;
    int _ropeLength;

    public GptModel(ModelOptions o, int vocabSize, Device device, long seed)
    {
        Options = o;
        VocabSize = vocabSize;
        Device = device;
        int d = o.DModel, h = o.Hidden, hd = d / o.NHeads;
        bool ln = o.Norm == "layernorm";
        torch.manual_seed(seed);
        if (o.Architecture == "ngpt")
        {
            BuildNgpt(vocabSize);
            (_cos, _sin) = Rope(o.ContextLength);
            _ropeLength = o.ContextLength;
            return;
        }
        double residualStd = o.InitStd / Math.Sqrt(2.0 * o.NLayers);
        void Normal(string name, long[] shape, double std) => Add(name, torch.empty(shape, float32).normal_(0, std));
        void Ones(string name, long n) { Add(name + ".weight", torch.ones(n, float32)); if (ln) Add(name + ".bias", torch.zeros(n, float32)); }
        Normal("model.embed_tokens.weight", [vocabSize, d], o.InitStd);
        for (int i = 0; i < o.NLayers; i++)
        {
            string p = $"model.layers.{i}.";
            Ones(p + "input_layernorm", d);
            foreach (var x in new[] { "q", "k", "v" })
            {
                Normal(p + $"self_attn.{x}_proj.weight", [d, d], o.InitStd);
                if (o.QkvBias) Add(p + $"self_attn.{x}_proj.bias", torch.zeros(d, float32));
            }
            if (o.QkNorm) { Ones(p + "self_attn.q_norm", hd); Ones(p + "self_attn.k_norm", hd); }
            Normal(p + "self_attn.o_proj.weight", [d, d], residualStd);
            Ones(p + "post_attention_layernorm", d);
            if (o.Mlp == "swiglu") Normal(p + "mlp.gate_proj.weight", [h, d], o.InitStd);
            Normal(p + "mlp.up_proj.weight", [h, d], o.InitStd);
            Normal(p + "mlp.down_proj.weight", [d, h], residualStd);
        }
        Ones("model.norm", d);
        if (!o.TieEmbeddings) Normal("lm_head.weight", [vocabSize, d], o.InitStd);
        (_cos, _sin) = Rope(o.ContextLength);
        _ropeLength = o.ContextLength;
    }

    void Add(string name, Tensor t)
    {
        var p = new Parameter(t.to(Device), true);
        if (!ReferenceEquals(t, p)) t.Dispose();
        p.DetachFromDisposeScope();
        Parameters.Add((name, p));
        _byName[name] = p;
    }

    public Parameter this[string name] => _byName[name];
    public bool Has(string name) => _byName.ContainsKey(name);

    (Tensor, Tensor) Rope(int length)
    {
        int hd = Options.DModel / Options.NHeads;
        using var scope = torch.NewDisposeScope();
        var inv = torch.pow(Options.RopeTheta, -torch.arange(0, hd, 2, float64) / hd);
        var t = torch.arange(length, float64);
        var freqs = torch.outer(t, inv);
        var emb = torch.cat([freqs, freqs], -1);
        var cos = emb.cos().to(float32).to(Device);
        var sin = emb.sin().to(float32).to(Device);
        return (cos.MoveToOuterDisposeScope().DetachFromDisposeScope(), sin.MoveToOuterDisposeScope().DetachFromDisposeScope());
    }

    /// <summary>Number of parameters (tied embeddings counted once).</summary>
    public long ParameterCount => Parameters.Sum(p => p.Param.numel());

    /// <summary>Logits [B, T, V] (fp32 in fp32 mode, bf16 in bf16 mode) for token ids [B, T].</summary>
    public Tensor Forward(Tensor ids, bool bf16, bool training)
    {
        var h = Hidden(ids, bf16, training);
        return Logits(h, OutputWeight(bf16));
    }

    /// <summary>Logits [N, V] of final hidden states [N, D] (from <see cref="Hidden"/>): the output projection alone.</summary>
    public Tensor Output(Tensor hidden, bool bf16) => Logits(hidden, OutputWeight(bf16));

    /// <summary>The output projection of hidden states with weight w; nGPT scales each logit by its s_z.</summary>
    Tensor Logits(Tensor hidden, Tensor w)
    {
        var logits = F.linear(hidden, w);
        return IsNgpt ? logits * Effective(NgptScales.LogitScale).to(logits.dtype) : logits;
    }

    /// <summary>Whether this is the normalised Transformer (nGPT) rather than the pre-norm GPT.</summary>
    public bool IsNgpt => Options.Architecture == "ngpt";

    Tensor OutputWeight(bool bf16)
    {
        var w = this[Options.TieEmbeddings ? "model.embed_tokens.weight" : "lm_head.weight"];
        return bf16 ? w.to(ScalarType.BFloat16) : w;
    }

    /// <summary>
    /// The final normalised hidden states [B, T, D] in the activation type. With <paramref name="positions"/> [B, T]
    /// (RoPE positions, for packed sequences whose positions restart per segment) and <paramref name="visible"/>
    /// [B, 1, T, T] (true where a query may attend to a key; it must include the causal mask), attention follows
    /// that mask instead of plain causal attention.
    /// </summary>
    public Tensor Hidden(Tensor ids, bool bf16, bool training, Tensor? positions = null, Tensor? visible = null)
    {
        var o = Options;
        long t = ids.shape[1];
        var (cos, sin) = positions is null ? RopeAt(0, t, bf16) : RopeFor(positions, bf16);
        Tensor W(string name) => bf16 ? this[name].to(ScalarType.BFloat16) : this[name];
        var x = Embed(ids);
        if (o.EmbeddingDropout > 0 && training) x = Dropout(x, o.EmbeddingDropout);
        double attentionDropout = training ? o.AttentionDropout : 0.0;
        double hiddenDropout = training ? o.HiddenDropout : 0.0;
        Func<Tensor, Tensor, Tensor, Tensor> attend = visible is null
            ? (q, k, v) => CausalAttention(q, k, v, attentionDropout)
            : (q, k, v) => MaskedAttention(q, k, v, visible, attentionDropout);
        if (IsNgpt)
        {
            for (int i = 0; i < o.NLayers; i++) x = NgptBlock(i, x, cos, sin, bf16, W, attend);
            return x.to(bf16 ? ScalarType.BFloat16 : ScalarType.Float32);
        }
        for (int i = 0; i < o.NLayers; i++)
            x = Block(i, x, cos, sin, bf16, W, hiddenDropout, attend);
        return Norm(x, "model.norm").to(bf16 ? ScalarType.BFloat16 : ScalarType.Float32);
    }

    /// <summary>RoPE cos and sin [B, 1, T, head_dim] at the given positions [B, T].</summary>
    (Tensor Cos, Tensor Sin) RopeFor(Tensor positions, bool bf16)
    {
        long b = positions.shape[0], t = positions.shape[1];
        long needed = positions.max().item<long>() + 1;
        if (needed > _ropeLength) RopeAt(0, needed, bf16);
        var flat = positions.reshape(-1);
        int hd = Options.DModel / Options.NHeads;
        var cos = _cos.index_select(0, flat).view(b, 1, t, hd);
        var sin = _sin.index_select(0, flat).view(b, 1, t, hd);
        return bf16 ? (cos.to(ScalarType.BFloat16), sin.to(ScalarType.BFloat16)) : (cos, sin);
    }

    /// <summary>Attention of [B, H, T, D] queries, keys and values where <paramref name="visible"/> [B, 1, T, T] allows it.</summary>
    internal static Tensor MaskedAttention(Tensor q, Tensor k, Tensor v, Tensor visible, double dropout)
    {
        if (dropout <= 0) return F.scaled_dot_product_attention(q, k, v, visible, 0.0, false);
        var scores = torch.matmul(q, k.transpose(-2, -1)).mul(1.0 / Math.Sqrt(q.shape[3]));
        var probs = scores.masked_fill(visible.logical_not(), double.NegativeInfinity).softmax(-1, ScalarType.Float32);
        return torch.matmul(Dropout(probs, dropout).to(q.dtype), v);
    }

    Tensor Embed(Tensor ids)
    {
        long b = ids.shape[0], t = ids.shape[1];
        return this["model.embed_tokens.weight"].index_select(0, ids.reshape(-1)).view(b, t, Options.DModel);
    }

    /// <summary>RoPE cos and sin for absolute positions start .. start + count - 1, in the activation type.</summary>
    (Tensor Cos, Tensor Sin) RopeAt(long start, long count, bool bf16)
    {
        if (start + count > _ropeLength)
        {
            _cos.Dispose(); _sin.Dispose();
            _ropeLength = (int)(start + count);
            (_cos, _sin) = Rope(_ropeLength);
        }
        var cos = _cos.narrow(0, start, count);
        var sin = _sin.narrow(0, start, count);
        return bf16 ? (cos.to(ScalarType.BFloat16), sin.to(ScalarType.BFloat16)) : (cos, sin);
    }

    /// <summary>
    /// One pre-norm block on the residual stream x [B, T, D]. <paramref name="attend"/> takes the rotated queries and
    /// keys and the values, each [B, H, T, head_dim], and returns the attention output in the same layout: full causal
    /// attention when training and in <see cref="Forward"/>, attention over the cache in <see cref="ForwardCached"/>.
    /// </summary>
    Tensor Block(int layer, Tensor x, Tensor cos, Tensor sin, bool bf16, Func<string, Tensor> W, double hiddenDropout,
        Func<Tensor, Tensor, Tensor, Tensor> attend)
    {
        var o = Options;
        long b = x.shape[0], t = x.shape[1];
        int d = o.DModel, nh = o.NHeads, hd = d / nh;
        var act = bf16 ? ScalarType.BFloat16 : ScalarType.Float32;
        Tensor? B(string name) => Has(name) ? W(name) : null;
        string p = $"model.layers.{layer}.";
        var hIn = Norm(x, p + "input_layernorm").to(act);
        var q = F.linear(hIn, W(p + "self_attn.q_proj.weight"), B(p + "self_attn.q_proj.bias")).view(b, t, nh, hd);
        var k = F.linear(hIn, W(p + "self_attn.k_proj.weight"), B(p + "self_attn.k_proj.bias")).view(b, t, nh, hd);
        var v = F.linear(hIn, W(p + "self_attn.v_proj.weight"), B(p + "self_attn.v_proj.bias")).view(b, t, nh, hd);
        if (o.QkNorm)
        {
            q = Norm(q, p + "self_attn.q_norm").to(act);
            k = Norm(k, p + "self_attn.k_norm").to(act);
        }
        q = ApplyRope(q.transpose(1, 2), cos, sin);
        k = ApplyRope(k.transpose(1, 2), cos, sin);
        v = v.transpose(1, 2);
        var y = attend(q, k, v);
        y = F.linear(y.transpose(1, 2).reshape(b, t, d), W(p + "self_attn.o_proj.weight"));
        if (hiddenDropout > 0) y = Dropout(y, hiddenDropout);
        x = x + y;

        var h2 = Norm(x, p + "post_attention_layernorm").to(act);
        Tensor m;
        if (o.Mlp == "swiglu")
            m = F.silu(F.linear(h2, W(p + "mlp.gate_proj.weight"))) * F.linear(h2, W(p + "mlp.up_proj.weight"));
        else
            m = F.gelu(F.linear(h2, W(p + "mlp.up_proj.weight")));
        m = F.linear(m, W(p + "mlp.down_proj.weight"));
        if (hiddenDropout > 0) m = Dropout(m, hiddenDropout);
        return x + m;
    }

    /// <summary>
    /// Logits [B, t_new, V] for the new tokens ids [B, t_new] that follow the cache's cache.Length tokens (inference
    /// only: no dropout, no gradients). Keys and values of the new tokens are rotated at their absolute positions
    /// cache.Length .. cache.Length + t_new - 1 and appended to the cache; each new token attends to the cached tokens
    /// and to the new tokens up to itself. Feeding a sequence in chunks gives the logits <see cref="Forward"/> gives
    /// for the whole sequence (up to rounding). The cache holds at most cache.Capacity tokens (context_length by
    /// default): past that a caller starts a new cache on the last context_length tokens, as <see cref="Generator"/> does.
    /// </summary>
    public Tensor ForwardCached(Tensor ids, KvCache cache, bool bf16)
    {
        using var _ = torch.no_grad();
        var h = HiddenCached(ids, cache, bf16);
        return Logits(h, cache.Weight(this, Options.TieEmbeddings ? "model.embed_tokens.weight" : "lm_head.weight", bf16));
    }

    /// <summary><see cref="ForwardCached"/>'s logits of the last new position only, [B, V]: what sampling needs.</summary>
    internal Tensor ForwardCachedLast(Tensor ids, KvCache cache, bool bf16)
    {
        using var _ = torch.no_grad();
        var h = HiddenCached(ids, cache, bf16);
        return Logits(h.select(1, h.shape[1] - 1), cache.Weight(this, Options.TieEmbeddings ? "model.embed_tokens.weight" : "lm_head.weight", bf16));
    }

    Tensor HiddenCached(Tensor ids, KvCache cache, bool bf16)
    {
        long b = ids.shape[0], t = ids.shape[1];
        long past = cache.Length;
        cache.Prepare(this, b, t, bf16);
        var (cos, sin) = RopeAt(past, t, bf16);
        var x = Embed(ids);
        for (int i = 0; i < Options.NLayers; i++)
        {
            int layer = i;
            Tensor Attend(Tensor q, Tensor k, Tensor v)
            {
                var (keys, values) = cache.Append(layer, k, v);
                return CachedAttention(q, keys, values);
            }
            Tensor W(string name) => cache.Weight(this, name, bf16);
            x = IsNgpt ? NgptBlock(layer, x, cos, sin, bf16, W, Attend) : Block(layer, x, cos, sin, bf16, W, 0.0, Attend);
        }
        cache.Advance(t);
        return IsNgpt ? x.to(bf16 ? ScalarType.BFloat16 : ScalarType.Float32) : Norm(x, "model.norm").to(bf16 ? ScalarType.BFloat16 : ScalarType.Float32);
    }

    /// <summary>
    /// Attention of t new queries [B, H, t, D] over s = past + t keys and values, the new ones last. A single query
    /// may see every key; a block of new queries needs the causal mask aligned to the end (query i sees keys up to
    /// past + i), which is not what is_causal means when t != s (libtorch aligns that mask to the start). A block
    /// with nothing before it is ordinary causal attention and takes the same kernel as <see cref="Forward"/>.
    /// </summary>
    internal static Tensor CachedAttention(Tensor q, Tensor k, Tensor v)
    {
        long t = q.shape[2], s = k.shape[2];
        if (t == s) return F.scaled_dot_product_attention(q, k, v, null, 0.0, true);
        if (t == 1) return F.scaled_dot_product_attention(q, k, v, null, 0.0, false);
        using var visible = torch.ones(t, s, dtype: ScalarType.Bool, device: q.device).tril(s - t);
        return F.scaled_dot_product_attention(q, k, v, visible, 0.0, false);
    }

    /// <summary>Normalisation in fp32 whatever the activation type.</summary>
    Tensor Norm(Tensor x, string name)
    {
        var xf = x.dtype == ScalarType.Float32 ? x : x.to(ScalarType.Float32);
        var w = this[name + ".weight"];
        if (Options.Norm == "layernorm")
            return F.layer_norm(xf, [xf.shape[^1]], w, this[name + ".bias"], Options.NormEps);
        var ms = xf.square().mean([-1], keepdim: true);
        return xf * torch.rsqrt(ms + Options.NormEps) * w;
    }

    /// <summary>
    /// Causal attention of [B, H, T, D] queries, keys and values. libtorch's fused kernel when there is
    /// no dropout; with dropout that kernel does not apply on CPU and libtorch falls back to a path that
    /// computes bf16 inputs in fp32 (as slow as fp32). So for bf16 the same computation is written out:
    /// scaled scores (a bf16 matmul, like autocast), future positions masked, softmax in fp32, dropout on
    /// the probabilities, then the weighted sum of values in bf16. fp32 keeps libtorch's path, which
    /// stores less for the backward pass at the same speed.
    /// </summary>
    internal static Tensor CausalAttention(Tensor q, Tensor k, Tensor v, double dropout)
    {
        if (dropout <= 0 || q.dtype == ScalarType.Float32) return F.scaled_dot_product_attention(q, k, v, null, dropout, true);
        long t = q.shape[2], s = k.shape[2];
        var scores = torch.matmul(q, k.transpose(-2, -1)).mul(1.0 / Math.Sqrt(q.shape[3]));
        using var future = torch.ones(t, s, dtype: ScalarType.Bool, device: q.device).triu(s - t + 1);
        var probs = scores.masked_fill(future, double.NegativeInfinity).softmax(-1, ScalarType.Float32);
        return torch.matmul(Dropout(probs, dropout).to(q.dtype), v);
    }

    const long DropoutResolution = 1 << 16;

    /// <summary>
    /// Inverted dropout whose mask takes 16 random bits per element, two elements per 32-bit draw, so
    /// the drop probability is <paramref name="p"/> rounded to a multiple of 1/65536. libtorch draws
    /// one random number per element for F.dropout, serially; on CPU that cost more than the attention
    /// matmuls it masks (22 ms vs 10 ms for a [16, 4, 256, 256] mask).
    /// </summary>
    internal static Tensor Dropout(Tensor x, double p)
    {
        long threshold = (long)Math.Round(p * DropoutResolution);
        if (threshold <= 0) return x;
        if (threshold >= DropoutResolution) return x.mul(0.0);
        long n = x.numel();
        var draws = torch.randint(0, 1L << 32, [(n + 1) / 2], dtype: ScalarType.Int64, device: x.device);
        using var lowBits = torch.tensor(DropoutResolution - 1, device: x.device);
        using var shift = torch.tensor(16L, device: x.device);
        var low = draws.bitwise_and(lowBits).ge(threshold);
        var high = draws.bitwise_right_shift(shift).ge(threshold);
        var dropped = torch.stack([low, high], 1).view(-1).narrow(0, 0, n).view(x.shape).logical_not_();
        double scale = (double)DropoutResolution / (DropoutResolution - threshold);
        // masked_fill keeps only the boolean mask for the backward pass, and scaling its result in place
        // needs nothing kept: one activation-sized temporary instead of two.
        return x.masked_fill(dropped, 0.0).mul_(scale);
    }

    static Tensor ApplyRope(Tensor x, Tensor cos, Tensor sin)
    {
        long half = x.shape[^1] / 2;
        var x1 = x.narrow(-1, 0, half);
        var x2 = x.narrow(-1, half, half);
        var rotated = torch.cat([-x2, x1], -1);
        return x * cos + rotated * sin;
    }

    /// <summary>Mean cross-entropy (fp32) of predicting tokens[:, 1:] from tokens[:, :-1].</summary>
    public Tensor Loss(Tensor windows, bool bf16, bool training)
    {
        long t = windows.shape[1] - 1;
        var input = windows.narrow(1, 0, t);
        var target = windows.narrow(1, 1, t);
        var h = Hidden(input, bf16, training);
        return CrossEntropySum(h, target, bf16) / (h.shape[0] * h.shape[1]);
    }

    /// <summary>
    /// Summed fp32 cross-entropy of hidden states [B, T, D] against targets [B, T], skipping <see cref="IgnoreTarget"/>.
    /// The output projection and loss run in row chunks of about 2M logits: the same sum, but each chunk's logits stay
    /// in cache instead of streaming a [B*T, V] tensor through memory several times (measured 5x faster).
    /// </summary>
    Tensor CrossEntropySum(Tensor h, Tensor target, bool bf16)
    {
        var w = OutputWeight(bf16);
        long n = h.shape[0] * h.shape[1];
        var flat = h.reshape(n, -1);
        var y = target.reshape(-1);
        long chunk = Math.Max(1, (1L << 21) / VocabSize);
        Tensor? total = null;
        for (long s = 0; s < n; s += chunk)
        {
            long c = Math.Min(chunk, n - s);
            var logits = Logits(flat.narrow(0, s, c), w).to(ScalarType.Float32);
            var l = F.cross_entropy(logits, y.narrow(0, s, c), ignore_index: IgnoreTarget, reduction: nn.Reduction.Sum);
            total = total is null ? l : total + l;
        }
        return total!;
    }

    /// <summary>Ignored targets of <see cref="MaskedLossSum"/> (cross_entropy's ignore_index).</summary>
    public const long IgnoreTarget = -100;

    /// <summary>
    /// Summed cross-entropy (fp32) over the targets [B, T] that are not <see cref="IgnoreTarget"/>, for inputs [B, T]
    /// with optional RoPE positions and attention mask (see <see cref="Hidden"/>); the caller divides by the number of
    /// counted targets. Supervised fine-tuning trains on the assistant's tokens only this way.
    /// </summary>
    public Tensor MaskedLossSum(Tensor input, Tensor target, bool bf16, bool training, Tensor? positions = null, Tensor? visible = null)
    {
        var h = Hidden(input, bf16, training, positions, visible);
        return CrossEntropySum(h, target, bf16);
    }

    /// <summary>Master weights as safetensors tensors (F32, or BF16 when asked).</summary>
    public Dictionary<string, SafeTensor> ToSafeTensors(bool asBf16 = false)
    {
        var result = new Dictionary<string, SafeTensor>(StringComparer.Ordinal);
        foreach (var (name, p) in Parameters) result[name] = Tensors.ToSafe(p, asBf16);
        return result;
    }

    public void Load(IReadOnlyDictionary<string, SafeTensor> tensors, string file)
    {
        using var _ = torch.no_grad();
        foreach (var (name, p) in Parameters)
        {
            if (!tensors.TryGetValue(name, out var st)) throw new InvalidDataException($"{file}: tensor {name} missing");
            if (!st.Shape.SequenceEqual(p.shape)) throw new InvalidDataException($"{file}: tensor {name} has shape [{string.Join(",", st.Shape)}], the model expects [{string.Join(",", p.shape)}]");
            using var t = Tensors.FromSafe(st, Device);
            p.copy_(t);
        }
    }

    public void Dispose()
    {
        foreach (var (_, p) in Parameters) p.Dispose();
        _cos.Dispose();
        _sin.Dispose();
    }
}

/// <summary>Conversions between TorchSharp tensors and safetensors byte payloads.</summary>
public static class Tensors
{
    public static SafeTensor ToSafe(Tensor t, bool asBf16 = false)
    {
        using var scope = torch.NewDisposeScope();
        var c = t.detach().cpu().contiguous();
        if (asBf16 || c.dtype == ScalarType.BFloat16)
        {
            var f = c.to(ScalarType.Float32).contiguous();
            var data = f.data<float>().ToArray();
            var bytes = new byte[data.Length * 2];
            for (int i = 0; i < data.Length; i++)
            {
                uint u = BitConverter.SingleToUInt32Bits(data[i]);
                // round to nearest even, as torch does
                uint rounded = (u + 0x7FFF + ((u >> 16) & 1)) >> 16;
                bytes[2 * i] = (byte)rounded;
                bytes[2 * i + 1] = (byte)(rounded >> 8);
            }
            return new SafeTensor("BF16", c.shape, bytes);
        }
        if (c.dtype == ScalarType.Float32)
        {
            var data = c.data<float>().ToArray();
            var bytes = new byte[data.Length * 4];
            Buffer.BlockCopy(data, 0, bytes, 0, bytes.Length);
            return new SafeTensor("F32", c.shape, bytes);
        }
        throw new NotSupportedException($"tensor dtype {c.dtype}");
    }

    public static Tensor FromSafe(SafeTensor st, Device device) => torch.tensor(ToFloats(st), st.Shape, float32).to(device);

    /// <summary>The values of an F32 or BF16 safetensors tensor as floats.</summary>
    public static float[] ToFloats(SafeTensor st)
    {
        switch (st.DType)
        {
            case "F32":
            {
                var f = new float[st.Data.Length / 4];
                Buffer.BlockCopy(st.Data, 0, f, 0, st.Data.Length);
                return f;
            }
            case "BF16":
            {
                var f = new float[st.Data.Length / 2];
                for (int i = 0; i < f.Length; i++) f[i] = BitConverter.UInt32BitsToSingle((uint)(st.Data[2 * i] | st.Data[2 * i + 1] << 8) << 16);
                return f;
            }
            default: throw new NotSupportedException($"safetensors dtype {st.DType}");
        }
    }
}
