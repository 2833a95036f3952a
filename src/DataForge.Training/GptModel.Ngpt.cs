using TorchSharp;
using static TorchSharp.torch;
using F = TorchSharp.torch.nn.functional;

namespace DataForge.Training;

/// <summary>
/// The normalised Transformer (nGPT, Loshchilov et al. 2024): no normalisation layers; the token embeddings, the output
/// embeddings and every matrix are unit vectors along the embedding dimension (<see cref="NormaliseWeights"/>, after
/// every optimiser step); the hidden state stays on the unit sphere and each block moves it towards the normalised
/// attention and MLP outputs by learned per-dimension eigen learning rates:
/// h ← Norm(h + α_A (Norm(attention(h)) − h)), then the same with α_M for the MLP.
/// </summary>
public sealed partial class GptModel
{
    void BuildNgpt(int vocabSize)
    {
        var o = Options;
        int d = o.DModel, h = o.Hidden;
        // The paper's initialisation: every matrix N(0, 1/d_model), then normalised (below).
        double std = 1.0 / Math.Sqrt(d);
        void Normal(string name, long[] shape) => Add(name, torch.empty(shape, float32).normal_(0, std));
        void Scaling(string name, long n) => Add(name, torch.ones(n, float32).mul_(NgptScales.Of(name, d).Scale));
        Normal("model.embed_tokens.weight", [vocabSize, d]);
        for (int i = 0; i < o.NLayers; i++)
        {
            string p = $"model.layers.{i}.";
            foreach (var x in new[] { "q", "k", "v" }) Normal(p + $"self_attn.{x}_proj.weight", [d, d]);
            Scaling(p + "self_attn.s_qk", d);
            Normal(p + "self_attn.o_proj.weight", [d, d]);
            Scaling(p + "attn_alpha", d);
            Normal(p + "mlp.gate_proj.weight", [h, d]);
            Normal(p + "mlp.up_proj.weight", [h, d]);
            Scaling(p + "mlp.s_u", h);
            Scaling(p + "mlp.s_v", h);
            Normal(p + "mlp.down_proj.weight", [d, h]);
            Scaling(p + "mlp_alpha", d);
        }
        if (!o.TieEmbeddings) Normal("lm_head.weight", [vocabSize, d]);
        Scaling(NgptScales.LogitScale, vocabSize);
        NormaliseWeights();
    }

    /// <summary>
    /// The matrices nGPT keeps normalised, with the dimension that is the embedding dimension (the one normalised):
    /// rows of the embeddings and of the projections that read the hidden state (q, k, v, gate, up), columns of those
    /// that write it (o, down). Empty for the GPT architecture.
    /// </summary>
    public IEnumerable<(string Name, int Dim)> NormalisedMatrices()
    {
        if (!IsNgpt) yield break;
        yield return ("model.embed_tokens.weight", 1);
        if (!Options.TieEmbeddings) yield return ("lm_head.weight", 1);
        for (int i = 0; i < Options.NLayers; i++)
        {
            string p = $"model.layers.{i}.";
            foreach (var x in new[] { "q", "k", "v" }) yield return (p + $"self_attn.{x}_proj.weight", 1);
            yield return (p + "self_attn.o_proj.weight", 0);
            yield return (p + "mlp.gate_proj.weight", 1);
            yield return (p + "mlp.up_proj.weight", 1);
            yield return (p + "mlp.down_proj.weight", 0);
        }
    }

    /// <summary>nGPT: projects every matrix back onto unit vectors along the embedding dimension (after each optimiser step). GPT: nothing.</summary>
    public void NormaliseWeights()
    {
        using var scope = torch.NewDisposeScope();
        using var _ = torch.no_grad();
        foreach (var (name, dim) in NormalisedMatrices())
        {
            var w = this[name];
            w.copy_(F.normalize(w, p: 2, dim: dim));
        }
    }

    /// <summary>A scaling vector's effective value: the stored parameter times s_init / s_scale.</summary>
    internal Tensor Effective(string name)
    {
        var (init, scale) = NgptScales.Of(name, Options.DModel);
        return this[name] * (init / scale);
    }

    /// <summary>Unit vectors along the last dimension, in fp32.</summary>
    static Tensor Unit(Tensor x) => F.normalize(x.dtype == ScalarType.Float32 ? x : x.to(ScalarType.Float32), p: 2, dim: -1);

    /// <summary>One nGPT block on the hidden state h [B, T, D] (fp32, unit rows); <paramref name="attend"/> as in <see cref="Block"/>.</summary>
    Tensor NgptBlock(int layer, Tensor h, Tensor cos, Tensor sin, bool bf16, Func<string, Tensor> W, Func<Tensor, Tensor, Tensor, Tensor> attend)
    {
        var o = Options;
        long b = h.shape[0], t = h.shape[1];
        int d = o.DModel, nh = o.NHeads, hd = d / nh;
        var act = bf16 ? ScalarType.BFloat16 : ScalarType.Float32;
        string p = $"model.layers.{layer}.";
        var hIn = h.to(act);
        var q = ApplyRope(F.linear(hIn, W(p + "self_attn.q_proj.weight")).view(b, t, nh, hd).transpose(1, 2), cos, sin);
        var k = ApplyRope(F.linear(hIn, W(p + "self_attn.k_proj.weight")).view(b, t, nh, hd).transpose(1, 2), cos, sin);
        var v = F.linear(hIn, W(p + "self_attn.v_proj.weight")).view(b, t, nh, hd).transpose(1, 2);
        // q and k are unit vectors per head scaled by s_qk. The softmax scale is sqrt(d_k) (the paper's, since the
        // dot products of unit vectors are small); the attention kernels divide by sqrt(d_k), so q carries d_k.
        var sqk = Effective(p + "self_attn.s_qk").view(1, nh, 1, hd);
        q = (Unit(q) * sqk * hd).to(act);
        k = (Unit(k) * sqk).to(act);
        var y = attend(q, k, v);
        var hA = F.linear(y.transpose(1, 2).reshape(b, t, d), W(p + "self_attn.o_proj.weight"));
        h = Unit(h + Effective(p + "attn_alpha") * (Unit(hA) - h));

        hIn = h.to(act);
        var u = F.linear(hIn, W(p + "mlp.up_proj.weight")) * Effective(p + "mlp.s_u").to(act);
        // v is scaled by sqrt(d_model) before the SiLU so that its input does not shrink with the unit-norm weights.
        var gate = F.linear(hIn, W(p + "mlp.gate_proj.weight")) * Effective(p + "mlp.s_v").mul(Math.Sqrt(d)).to(act);
        var hM = F.linear(u * F.silu(gate), W(p + "mlp.down_proj.weight"));
        return Unit(h + Effective(p + "mlp_alpha") * (Unit(hM) - h));
    }
}

/// <summary>
/// nGPT's scaling vectors in the paper's scaled parameterisation: a vector with initial value s_init is stored as
/// s_scale at initialisation and used as stored × s_init / s_scale, so that its effective learning rate is that of a
/// parameter of size s_scale while its value starts at s_init.
/// </summary>
public static class NgptScales
{
    /// <summary>The per-vocabulary-entry logit scale s_z.</summary>
    public const string LogitScale = "model.s_z";

    /// <summary>s_init and s_scale of a scaling parameter, by name (d = d_model).</summary>
    public static (double Init, double Scale) Of(string name, int d)
    {
        double baseScale = 1.0 / Math.Sqrt(d);
        if (name.EndsWith(".attn_alpha", StringComparison.Ordinal) || name.EndsWith(".mlp_alpha", StringComparison.Ordinal)) return (0.05, baseScale);
        if (name.EndsWith(".s_qk", StringComparison.Ordinal)) return (1.0, baseScale);
        if (name.EndsWith(".s_u", StringComparison.Ordinal) || name.EndsWith(".s_v", StringComparison.Ordinal)) return (1.0, 1.0);
        if (name == LogitScale) return (1.0, baseScale);
        throw new ArgumentException($"{name} is not an nGPT scaling parameter", nameof(name));
    }
}
