using DataForge.Documents;
using DataForge.Execution;

namespace DataForge.Stages;

/// <summary>
/// Runs a per-row rule that returns a drop reason (or null to keep) and filters the batch, for stages that
/// decide only after working on the whole batch (dedup, scores). A rule that needs nothing but its row is a
/// <see cref="RowRuleStage"/> instead, which runs masked without copying the batch.
/// </summary>
public static class RowFilter
{
    public static DocumentBatch Apply(DocumentBatch batch, StageContext context, Func<DocumentBatch, int, string?> rule)
    {
        bool[]? keep = null;
        for (int i = 0; i < batch.Length; i++)
        {
            if (rule(batch, i) is { } reason)
            {
                keep ??= Enumerable.Repeat(true, batch.Length).ToArray();
                keep[i] = false;
                context.Drop(batch, i, reason);
            }
        }
        return keep is null ? batch : batch.Filter(keep);
    }
}
