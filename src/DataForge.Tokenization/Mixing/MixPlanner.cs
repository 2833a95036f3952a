using System.Globalization;
using System.Text;

namespace DataForge.Tokenization.Mixing;

/// <summary>A (source, bucket) pair: the unit weights, caps and the report are about.</summary>
public sealed record MixKey(string Source, string? Bucket)
{
    public override string ToString() => Bucket is null ? Source : $"{Source}/{Bucket}";
}

/// <summary>Tokens (end-of-text included) and documents a key offers, and its repetition cap.</summary>
public sealed record MixSupply(MixKey Key, long Tokens, long Documents, double MaxEpochs)
{
    /// <summary>Most tokens all phases together may take from this key.</summary>
    public long Cap => (long)Math.Floor(MaxEpochs * Tokens);
}

/// <summary>The tokens each phase takes from each key.</summary>
public sealed class MixPlan
{
    public required IReadOnlyList<string> Phases { get; init; }
    public required IReadOnlyList<MixSupply> Supplies { get; init; }
    /// <summary>[phase][key]: normalised target weight.</summary>
    public required double[][] Weights { get; init; }
    /// <summary>[phase][key]: requested tokens (weight x budget).</summary>
    public required long[][] Requested { get; init; }
    /// <summary>[phase][key]: planned tokens after caps (and redistribution).</summary>
    public required long[][] Planned { get; init; }
    public required long[] Budgets { get; init; }
    /// <summary>Per phase: tokens of the budget no key could supply (redistribute only).</summary>
    public required long[] Unfilled { get; init; }
    public required List<string> Notes { get; init; }
}

/// <summary>Raised when a repetition cap makes a target impossible and on_shortfall is fail.</summary>
public sealed class MixShortfallException(string message) : Exception(message);

/// <summary>
/// Turns phase weights and budgets into token targets per (phase, key), honouring each key's cap
/// (max_epochs x available tokens, summed over phases). With on_shortfall "fail" an impossible target
/// stops the run with the shortfall and the achievable weight; with "redistribute" capped keys are
/// scaled down to their cap and the freed tokens go to the phase's other keys in proportion to their
/// weights (repeatedly, until no cap is exceeded or nothing is left to fill).
/// </summary>
public static class MixPlanner
{
    /// <summary>
    /// <paramref name="weights"/>: per phase, key string ("source" or "source/bucket") -&gt; weight.
    /// A bare source name over a bucketed source is spread over its buckets by available tokens.
    /// </summary>
    public static MixPlan Plan(IReadOnlyList<MixSupply> supplies, IReadOnlyList<(string Name, long Budget, IReadOnlyDictionary<string, double> Weights)> phases,
        bool redistribute)
    {
        int K = supplies.Count, P = phases.Count;
        var w = new double[P][];
        for (int p = 0; p < P; p++)
        {
            w[p] = new double[K];
            foreach (var (key, weight) in phases[p].Weights)
            {
                if (weight <= 0) continue;
                var exact = Enumerable.Range(0, K).Where(k => supplies[k].Key.ToString() == key).ToList();
                var members = exact.Count > 0 ? exact
                    : Enumerable.Range(0, K).Where(k => !key.Contains('/') && supplies[k].Key.Source == key).ToList();
                if (members.Count == 0)
                {
                    string src = key.Split('/')[0];
                    var have = supplies.Where(s => s.Key.Source == src).Select(s => s.Key.ToString()).ToList();
                    throw new MixShortfallException($"phase '{phases[p].Name}': weight key '{key}' matches no documents"
                        + (have.Count > 0 ? $"; source '{src}' has {string.Join(", ", have)}" : $"; source '{src}' has no documents"));
                }
                long total = members.Sum(k => supplies[k].Tokens);
                foreach (int k in members)
                    w[p][k] += members.Count == 1 ? weight : total == 0 ? 0 : weight * supplies[k].Tokens / total;
            }
            double sum = w[p].Sum();
            if (sum <= 0) throw new MixShortfallException($"phase '{phases[p].Name}': every weighted entry has zero tokens");
            for (int k = 0; k < K; k++) w[p][k] /= sum;
        }
        var requested = new double[P][];
        for (int p = 0; p < P; p++) requested[p] = w[p].Select(x => x * phases[p].Budget).ToArray();
        var notes = new List<string>();
        var alloc = requested.Select(r => (double[])r.Clone()).ToArray();
        var unfilled = new double[P];

        if (!redistribute)
        {
            var errors = new StringBuilder();
            for (int k = 0; k < K; k++)
            {
                double need = Enumerable.Range(0, P).Sum(p => requested[p][k]);
                long cap = supplies[k].Cap;
                if (Math.Round(need) <= cap) continue;
                var s = supplies[k];
                string bucket = s.Key.Bucket is null ? "" : $" bucket '{s.Key.Bucket}'";
                errors.Append(CultureInfo.InvariantCulture, $"source '{s.Key.Source}'{bucket} falls short by {Math.Round(need) - cap:N0} tokens: the phases request {Math.Round(need):N0} but max_epochs {s.MaxEpochs:G4} x {s.Tokens:N0} available = {cap:N0};");
                for (int p = 0; p < P; p++)
                    if (requested[p][k] > 0)
                        errors.Append(CultureInfo.InvariantCulture, $" achievable weight in phase '{phases[p].Name}': {w[p][k] * cap / need:0.####} (requested {w[p][k]:0.####});");
                errors.Append('\n');
            }
            if (errors.Length > 0)
                throw new MixShortfallException(errors.ToString().TrimEnd('\n', ';') + "\n(raise max_epochs, lower the weights or budgets, or set on_shortfall: redistribute)");
        }
        else
        {
            var saturated = new bool[K];
            for (int round = 0; round <= K; round++)
            {
                bool any = false;
                var freed = new double[P];
                for (int k = 0; k < K; k++)
                {
                    double used = Enumerable.Range(0, P).Sum(p => alloc[p][k]);
                    long cap = supplies[k].Cap;
                    if (used <= cap + 0.5) continue;
                    any = true;
                    saturated[k] = true;
                    double scale = used == 0 ? 0 : cap / used;
                    for (int p = 0; p < P; p++)
                    {
                        freed[p] += alloc[p][k] * (1 - scale);
                        alloc[p][k] *= scale;
                    }
                    notes.Add($"{supplies[k].Key} capped at {cap:N0} tokens (max_epochs {supplies[k].MaxEpochs:G4}); {used - cap:N0} tokens redistributed");
                }
                if (!any) break;
                for (int p = 0; p < P; p++)
                {
                    if (freed[p] <= 0) continue;
                    double open = Enumerable.Range(0, K).Where(k => !saturated[k]).Sum(k => w[p][k]);
                    if (open <= 0) { unfilled[p] += freed[p]; continue; }
                    for (int k = 0; k < K; k++)
                        if (!saturated[k]) alloc[p][k] += freed[p] * w[p][k] / open;
                }
            }
            for (int p = 0; p < P; p++)
                if (unfilled[p] >= 1) notes.Add($"phase '{phases[p].Name}' falls short of its budget by {unfilled[p]:N0} tokens: every weighted entry is at its cap");
        }
        return new MixPlan
        {
            Phases = phases.Select(p => p.Name).ToList(),
            Supplies = supplies,
            Weights = w,
            Requested = requested.Select(r => r.Select(x => (long)Math.Round(x)).ToArray()).ToArray(),
            Planned = alloc.Select(r => r.Select(x => (long)Math.Floor(x + 1e-6)).ToArray()).ToArray(),
            Budgets = phases.Select(p => p.Budget).ToArray(),
            Unfilled = unfilled.Select(x => (long)Math.Round(x)).ToArray(),
            Notes = notes,
        };
    }
}
