using DataForge.Documents;
using DataForge.Execution;

namespace DataForge.Stages;

/// <summary>
/// A map stage that leaves rows in place: it skips rows already dropped in the shared <c>alive</c>
/// mask, clears the flag of each row it drops (recording it with <see cref="StageContext.Drop"/>)
/// and returns a batch of the same rows (the same batch, or one with columns replaced). The executor
/// runs consecutive such stages over one mask and removes the dropped rows once, after the last,
/// instead of copying every column after each filter.
/// </summary>
public interface IMaskedStage
{
    /// <summary>Processes the rows still alive, clearing the flag (and calling <see cref="StageContext.Drop"/>) for each row dropped.</summary>
    DocumentBatch ProcessMasked(DocumentBatch batch, bool[] alive, StageContext context);
}

/// <summary>Running an <see cref="IMaskedStage"/> outside the executor's masked runs.</summary>
public static class MaskedStage
{
    /// <summary>Runs a masked stage on its own: every row alive, dropped rows removed afterwards.</summary>
    public static DocumentBatch Run(IMaskedStage stage, DocumentBatch batch, StageContext context)
    {
        var alive = new bool[batch.Length];
        Array.Fill(alive, true);
        return stage.ProcessMasked(batch, alive, context).Filter(alive);
    }
}

/// <summary>A map stage whose verdict is per row: a drop reason (<c>stage.rule</c>) or null to keep.</summary>
public abstract class RowRuleStage(StageInit init) : MapStage(init), IMaskedStage
{
    /// <summary>The rule for one row: a drop reason (<c>type.rule</c>) or null to keep the document.</summary>
    protected abstract string? Rule(DocumentBatch batch, int row, StageContext context);

    public DocumentBatch ProcessMasked(DocumentBatch batch, bool[] alive, StageContext context)
    {
        for (int i = 0; i < batch.Length; i++)
        {
            if (!alive[i] || Rule(batch, i, context) is not { } reason) continue;
            alive[i] = false;
            context.Drop(batch, i, reason);
        }
        return batch;
    }

    public override DocumentBatch Process(DocumentBatch batch, StageContext context) => MaskedStage.Run(this, batch, context);
}
