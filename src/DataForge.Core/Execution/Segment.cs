using DataForge.Stages;

namespace DataForge.Execution;

/// <summary>
/// A run of stages between global stages. A segment's output is spilled per partition while the global
/// stage that ends it observes it; after that stage resolves, the next segment reads the spill back
/// through the stage's apply step (<see cref="GlobalBefore"/>).
/// </summary>
internal sealed class Segment
{
    public required List<Stage> Stages { get; init; }
    /// <summary>The global stage whose apply step starts this segment, if any.</summary>
    public GlobalStage? GlobalBefore { get; init; }
    /// <summary>The global stage that observes this segment's output and resolves after it, if any.</summary>
    public GlobalStage? GlobalAfter { get; init; }
    public StageStats? ResolveStats { get; set; }

    /// <summary>Splits a pipeline's stages at its global stages.</summary>
    public static List<Segment> Split(IReadOnlyList<Stage> stages)
    {
        var list = new List<Segment>();
        var current = new List<Stage>();
        GlobalStage? before = null;
        foreach (var s in stages)
        {
            if (s is GlobalStage g)
            {
                list.Add(new Segment { Stages = current, GlobalBefore = before, GlobalAfter = g });
                current = [];
                before = g;
            }
            else current.Add(s);
        }
        list.Add(new Segment { Stages = current, GlobalBefore = before });
        return list;
    }
}
