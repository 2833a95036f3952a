namespace DataForge.Training;

/// <summary>
/// Learning rate at optimizer step s (1-based: s = 1 is the first update), as docs/reference.md#learning-rate-schedules defines it.
/// WSD: lr = eta*s/W for s &lt; W; eta for W &lt;= s &lt; T; from T on exponential eta*0.5^((s-T)/half_life),
/// or linear / cosine from eta at T to min_lr at S. Cosine: the same warmup, then cosine from eta at W
/// to min_lr at S.
/// </summary>
public sealed class LrSchedule
{
    public string Type { get; }
    public string Decay { get; }
    public double Eta { get; }
    public double MinLr { get; }
    public int Warmup { get; }
    public int DecayStart { get; }
    public int Steps { get; }
    public double HalfLife { get; }

    public LrSchedule(string type, double eta, double minLr, int warmup, int decayStart, int steps, string decay = "exponential", double? halfLife = null)
    {
        Type = type; Eta = eta; MinLr = minLr; Warmup = warmup; DecayStart = decayStart; Steps = steps; Decay = decay;
        HalfLife = halfLife ?? Math.Max(1.0, (steps - decayStart) / 5.0);
    }

    public static LrSchedule From(TrainOptions o)
    {
        var s = o.Schedule;
        int t = s.Type == "wsd" ? s.DecayStartFor(o.Steps) : o.Warmup;
        return new LrSchedule(s.Type, o.Optimizer.Lr, o.Optimizer.MinLr, o.Warmup, t, o.Steps, s.Decay, s.HalfLife);
    }

    public double At(int s)
    {
        if (s < Warmup) return Eta * s / Warmup;
        if (Type == "cosine") return Cosine(s, Warmup);
        if (s < DecayStart) return Eta;
        return Decay switch
        {
            "exponential" => Eta * Math.Pow(0.5, (s - DecayStart) / HalfLife),
            "linear" => Steps == DecayStart ? MinLr : Eta + (MinLr - Eta) * (s - DecayStart) / (double)(Steps - DecayStart),
            _ => Cosine(s, DecayStart),
        };
    }

    double Cosine(int s, int from)
    {
        if (Steps <= from) return MinLr;
        double progress = Math.Min(1.0, (s - from) / (double)(Steps - from));
        return MinLr + (Eta - MinLr) * 0.5 * (1 + Math.Cos(Math.PI * progress));
    }

    /// <summary>Micro-batches per step at step s: the initial accumulation doubled once for every doubling step &lt;= s.</summary>
    public static int Accumulation(BatchOptions b, int s) => b.GradAccum << b.DoubleAtSteps.Count(d => d <= s);
}
