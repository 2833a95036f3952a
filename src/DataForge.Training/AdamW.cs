// Not torch.optim.AdamW / clip_grad_norm_: its checkpoint state is not our named safetensors (byte-exact resume), it decays every parameter unless split into groups, and its clipping norm sums in another order, so trained bytes would change.
using TorchSharp;
using Parameter = TorchSharp.Modules.Parameter;
using static TorchSharp.torch;

namespace DataForge.Training;

/// <summary>
/// AdamW (decoupled weight decay) over fp32 master weights with fp32 moments. Weight decay applies to parameters
/// with two or more dimensions only (matrices and embeddings; not norms or biases).
/// </summary>
public sealed class AdamW : IDisposable
{
    readonly List<(string Name, Parameter P, Tensor M, Tensor V, bool Decay)> _state = [];
    public double Beta1 { get; }
    public double Beta2 { get; }
    public double Eps { get; }
    public double WeightDecay { get; }
    /// <summary>Updates taken so far (bias correction uses it).</summary>
    public long Step { get; set; }

    public AdamW(IEnumerable<(string Name, Parameter Param)> parameters, double beta1, double beta2, double eps, double weightDecay)
    {
        Beta1 = beta1; Beta2 = beta2; Eps = eps; WeightDecay = weightDecay;
        foreach (var (name, p) in parameters)
        {
            var m = torch.zeros_like(p).DetachFromDisposeScope();
            var v = torch.zeros_like(p).DetachFromDisposeScope();
            _state.Add((name, p, m, v, p.dim() >= 2));
        }
    }

    public void Update(double lr)
    {
        Step++;
        double bc1 = 1 - Math.Pow(Beta1, Step), bc2 = 1 - Math.Pow(Beta2, Step);
        using var scope = torch.NewDisposeScope();
        using var _ = torch.no_grad();
        foreach (var (_, p, m, v, decay) in _state)
        {
            var g = p.grad;
            if (g is null) continue;
            m.mul_(Beta1).add_(g, 1 - Beta1);
            v.mul_(Beta2).addcmul_(g, g, 1 - Beta2);
            if (decay && WeightDecay > 0) p.mul_(1 - lr * WeightDecay);
            var denom = v.sqrt().div_(Math.Sqrt(bc2)).add_(Eps);
            p.addcdiv_(m, denom, -lr / bc1);
        }
    }

    public void ZeroGrad()
    {
        using var scope = torch.NewDisposeScope();
        foreach (var (_, p, _, _, _) in _state) p.grad?.zero_();
    }

    /// <summary>Global L2 norm of the gradients; scales them down to max when it is larger (max 0 = no clipping).</summary>
    public double ClipGradNorm(double max)
    {
        using var scope = torch.NewDisposeScope();
        using var _ = torch.no_grad();
        Tensor? total = null;
        foreach (var (_, p, _, _, _) in _state)
        {
            var g = p.grad;
            if (g is null) continue;
            var s = g.square().sum();
            total = total is null ? s : total + s;
        }
        double norm = total is null ? 0 : Math.Sqrt(total.item<float>());
        if (max > 0 && norm > max)
        {
            double scale = max / (norm + 1e-6);
            foreach (var (_, p, _, _, _) in _state) p.grad?.mul_(scale);
        }
        return norm;
    }

    public Dictionary<string, SafeTensor> ToSafeTensors()
    {
        var r = new Dictionary<string, SafeTensor>(StringComparer.Ordinal);
        foreach (var (name, _, m, v, _) in _state)
        {
            r["exp_avg." + name] = Tensors.ToSafe(m);
            r["exp_avg_sq." + name] = Tensors.ToSafe(v);
        }
        return r;
    }

    public void Load(IReadOnlyDictionary<string, SafeTensor> t, string file)
    {
        using var _ = torch.no_grad();
        foreach (var (name, p, m, v, _) in _state)
        {
            foreach (var (key, dst) in new[] { ("exp_avg." + name, m), ("exp_avg_sq." + name, v) })
            {
                if (!t.TryGetValue(key, out var st)) throw new InvalidDataException($"{file}: tensor {key} missing");
                using var src = Tensors.FromSafe(st, p.device);
                dst.copy_(src);
            }
        }
    }

    public void Dispose()
    {
        foreach (var (_, _, m, v, _) in _state) { m.Dispose(); v.Dispose(); }
    }
}
