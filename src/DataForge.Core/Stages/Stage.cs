using System.Reflection;
using DataForge.Documents;
using DataForge.Execution;
using DataForge.Pipelines;
using DataForge.Configuration;

namespace DataForge.Stages;

/// <summary>The five shapes a stage can have (docs/concepts.md#stages).</summary>
public enum StageShape { Source, Map, Expand, Global, Sink }

/// <summary>Registers a stage class under its JSON <c>type</c>.</summary>
[AttributeUsage(AttributeTargets.Class, Inherited = false)]
public sealed class StageAttribute(string type, StageShape shape, string summary) : Attribute
{
    /// <summary>The JSON <c>type</c> (snake_case).</summary>
    public string Type { get; } = type;
    /// <summary>Where the stage goes in a pipeline and which base class it derives from.</summary>
    public StageShape Shape { get; } = shape;
    /// <summary>One line for <c>dataforge stages</c>, the schema and the stage reference.</summary>
    public string Summary { get; } = summary;
}

/// <summary>What a stage learns when it is built from a pipeline.</summary>
public sealed class StageInit
{
    /// <summary>Instance name (the JSON <c>name</c>, or the type).</summary>
    public required string Name { get; init; }
    /// <summary>The JSON <c>type</c>.</summary>
    public required string Type { get; init; }
    /// <summary>The pipeline seed; stages with their own <c>seed</c> option use that instead.</summary>
    public ulong Seed { get; init; } = 42;
    /// <summary>Relative paths in options resolve against this directory.</summary>
    public string BaseDirectory { get; init; } = Directory.GetCurrentDirectory();
    /// <summary>The pipeline's top-level settings.</summary>
    public PipelineSettings Settings { get; init; } = new();

    /// <summary>A path option resolved against <see cref="BaseDirectory"/>.</summary>
    public string ResolvePath(string path) => Path.GetFullPath(Path.Combine(BaseDirectory, path));
}

/// <summary>Base of every stage. Stage classes take <c>(TOptions options, StageInit init)</c>.</summary>
public abstract class Stage
{
    protected Stage(StageInit init)
    {
        Name = init.Name;
        Type = init.Type;
    }

    /// <summary>Instance name: keys the stage's statistics.</summary>
    public string Name { get; }
    /// <summary>The JSON <c>type</c>.</summary>
    public string Type { get; }
}

/// <summary>batch -&gt; batch; may drop rows (with a reason) or add columns. Stateless and thread-safe.</summary>
public abstract class MapStage(StageInit init) : Stage(init)
{
    /// <summary>Returns the batch with rows dropped (each recorded with <see cref="StageContext.Drop"/>) or columns added.</summary>
    public abstract DocumentBatch Process(DocumentBatch batch, StageContext context);
}

/// <summary>One document -&gt; zero or more documents. Inputs that yield nothing are recorded as dropped.</summary>
public abstract class ExpandStage(StageInit init) : Stage(init)
{
    /// <summary>Returns the documents the batch's documents become, in order.</summary>
    public abstract DocumentBatch Expand(DocumentBatch batch, StageContext context);
}

/// <summary>Something a source can be split into; partitions are processed independently.</summary>
public sealed record PartitionSpec(string Description, string? Path, long Start, long End, int Index = 0)
{
    /// <summary>Bytes this partition is expected to read (for progress).</summary>
    public long Bytes => End - Start;
}

/// <summary>Produces documents: file readers and generators.</summary>
public abstract class SourceStage(StageInit init) : Stage(init)
{
    /// <summary>Splits the input into partitions, deterministically (never depending on worker count).</summary>
    public abstract IReadOnlyList<PartitionSpec> Plan(PlanContext context);

    /// <summary>Reads one partition as batches; bad records go to <see cref="SourceContext.Reject"/>.</summary>
    public abstract IEnumerable<DocumentBatch> Read(PartitionSpec partition, SourceContext context);
}

/// <summary>Needs the whole corpus: observe every partition, resolve once, then apply per partition.</summary>
public abstract class GlobalStage(StageInit init) : Stage(init)
{
    /// <summary>Phase 1, per partition in parallel. Observers spill what they need under <see cref="GlobalContext.WorkDirectory"/>.</summary>
    public abstract IGlobalObserver CreateObserver(int partition, GlobalContext context);

    /// <summary>Phase 2, once, after every partition was observed. Must be idempotent (resume re-runs it).</summary>
    public abstract void Resolve(GlobalContext context);

    /// <summary>
    /// Readies apply in a process that did not resolve (a Slurm task of the next step): restores what
    /// <see cref="Resolve"/> left in <see cref="GlobalContext.WorkDirectory"/>. A stage that keeps resolved
    /// state in memory must also write it there in <see cref="Resolve"/>.
    /// </summary>
    public virtual void Reopen(GlobalContext context)
        => throw new NotSupportedException($"stage '{Name}' ({Type}) cannot apply in a process that did not resolve it; run this pipeline with the local executor");

    /// <summary>Phase 3, per partition: rows arrive in the same order they were observed; <see cref="StageContext.RowOffset"/> gives the first row's index.</summary>
    public abstract DocumentBatch Apply(DocumentBatch batch, StageContext context);
}

/// <summary>
/// A global stage whose resolve step splits into independent buckets and a combining step, so a cluster can
/// run the buckets as an array job. <see cref="GlobalStage.Resolve"/> must equal every bucket followed by
/// <see cref="ResolveCombine"/>.
/// </summary>
public interface IBucketedResolve
{
    int ResolveBuckets { get; }
    /// <summary>Resolves one bucket, writing its result under the work directory atomically; does nothing when that result exists.</summary>
    void ResolveBucket(GlobalContext context, int bucket);
    /// <summary>Combines the buckets' results into what apply reads.</summary>
    void ResolveCombine(GlobalContext context);
}

/// <summary>Sees each batch once; must copy what it needs (batches are released after the call).</summary>
public interface IGlobalObserver
{
    void Observe(DocumentBatch batch, long rowOffset);
    /// <summary>Makes what was observed durable (atomically), so a resumed run can skip this partition.</summary>
    void Complete();
}

/// <summary>Writes documents out. One <see cref="IPartitionSink"/> per partition, so output order never depends on threads.</summary>
public abstract class SinkStage(StageInit init) : Stage(init)
{
    /// <summary>The output directory (full path).</summary>
    public abstract string OutputPath { get; }
    /// <summary>Opens the writer of one partition.</summary>
    public abstract IPartitionSink Open(int partition, SinkContext context);
    /// <summary>Format name recorded in the manifest.</summary>
    public abstract string Format { get; }

    /// <summary>
    /// Called once after every partition completed, before manifest.json is written: a sink whose
    /// output is one file for the whole run (token shards, mixtures) assembles it here from its
    /// partitions' files and returns the shards to record. Default: the partitions' shards.
    /// </summary>
    public virtual IReadOnlyList<ShardInfo> Finish(string outputDirectory, IReadOnlyList<ShardInfo> partitionShards) => partitionShards;
}

/// <summary>A sink's writer for one partition, opened by <see cref="SinkStage.Open"/>.</summary>
public interface IPartitionSink : IDisposable
{
    /// <summary>Writes (or copies) the batch; the batch is released after the call returns.</summary>
    void Write(DocumentBatch batch);
    /// <summary>Closes and renames the partition's shards into place; returns them in order.</summary>
    IReadOnlyList<ShardInfo> Complete();
}

/// <summary>A stage type known to the registry.</summary>
public sealed class StageDescriptor
{
    /// <summary>The JSON <c>type</c>.</summary>
    public required string Type { get; init; }
    /// <summary>The stage's shape.</summary>
    public required StageShape Shape { get; init; }
    /// <summary>The one-line description.</summary>
    public required string Summary { get; init; }
    /// <summary>The options record the stage's JSON object binds to.</summary>
    public required Type OptionsType { get; init; }
    /// <summary>The stage class.</summary>
    public required Type StageType { get; init; }

    /// <summary>The options, in declaration order.</summary>
    public IReadOnlyList<OptionInfo> Options => OptionInfo.For(OptionsType);

    /// <summary>Constructs the stage from bound options.</summary>
    public Stage Create(object options, StageInit init)
    {
        var ctor = StageType.GetConstructor([OptionsType, typeof(StageInit)])!;
        try
        {
            return (Stage)ctor.Invoke([options, init]);
        }
        catch (TargetInvocationException ex) when (ex.InnerException is not null)
        {
            System.Runtime.ExceptionServices.ExceptionDispatchInfo.Capture(ex.InnerException).Throw();
            throw;
        }
    }
}

/// <summary>Stage types keyed by JSON <c>type</c>, discovered from <see cref="StageAttribute"/>s.</summary>
public sealed class StageRegistry
{
    readonly Dictionary<string, StageDescriptor> _byType = new(StringComparer.Ordinal);
    readonly List<StageDescriptor> _ordered = [];

    /// <summary>The stages of DataForge.Core.</summary>
    public static StageRegistry Core { get; } = FromAssemblies(typeof(StageRegistry).Assembly);

    /// <summary>Every <see cref="StageAttribute"/> class of the assemblies.</summary>
    public static StageRegistry FromAssemblies(params Assembly[] assemblies)
    {
        var r = new StageRegistry();
        foreach (var a in assemblies.Distinct())
            foreach (var t in a.GetTypes().Where(t => !t.IsAbstract).OrderBy(t => t.FullName, StringComparer.Ordinal))
                if (t.GetCustomAttribute<StageAttribute>() is { } attr)
                    r.Add(t, attr);
        return r;
    }

    /// <summary>Registers one stage class; it needs a constructor <c>(TOptions options, StageInit init)</c>.</summary>
    public void Add(Type stageType, StageAttribute attr)
    {
        var ctor = stageType.GetConstructors().FirstOrDefault(c =>
        {
            var ps = c.GetParameters();
            return ps.Length == 2 && ps[1].ParameterType == typeof(StageInit);
        }) ?? throw new InvalidOperationException($"{stageType} needs a public constructor (TOptions options, StageInit init)");
        var d = new StageDescriptor
        {
            Type = attr.Type,
            Shape = attr.Shape,
            Summary = attr.Summary,
            OptionsType = ctor.GetParameters()[0].ParameterType,
            StageType = stageType,
        };
        // Readers and writers share format names (jsonl, parquet, arrow), so the key includes the role.
        if (!_byType.TryAdd(Key(d.Type, d.Shape), d)) throw new InvalidOperationException($"stage type '{d.Type}' registered twice");
        _ordered.Add(d);
    }

    StageRegistry Copy()
    {
        var r = new StageRegistry();
        foreach (var d in _ordered) { r._byType[Key(d.Type, d.Shape)] = d; r._ordered.Add(d); }
        return r;
    }

    /// <summary>This registry plus the stages of the assemblies, skipping types it already has.</summary>
    public StageRegistry With(params Assembly[] assemblies)
    {
        var r = Copy();
        foreach (var a in assemblies)
            foreach (var t in a.GetTypes().Where(t => !t.IsAbstract).OrderBy(t => t.FullName, StringComparer.Ordinal))
                if (t.GetCustomAttribute<StageAttribute>() is { } attr && !r._byType.ContainsKey(Key(attr.Type, attr.Shape)))
                    r.Add(t, attr);
        return r;
    }

    /// <summary>
    /// This registry plus the stages of a plugin assembly. A plugin must declare at least one stage, and none
    /// of its stage types may already be registered (the error names both assemblies).
    /// </summary>
    public StageRegistry WithPlugin(Assembly plugin)
    {
        var r = Copy();
        string name = plugin.GetName().Name ?? plugin.FullName ?? "plugin";
        var declared = StagePlugins.StageTypes(plugin);
        if (declared.Count == 0)
            throw new PluginException($"{name} declares no stages (public classes with a [Stage] attribute)");
        foreach (var (t, attr) in declared)
        {
            if (r._byType.TryGetValue(Key(attr.Type, attr.Shape), out var existing))
                throw new PluginException($"stage type '{attr.Type}' of {name} ({t.FullName}) clashes with '{attr.Type}' of {existing.StageType.Assembly.GetName().Name} ({existing.StageType.FullName}); rename one of them");
            try { r.Add(t, attr); }
            catch (InvalidOperationException ex) { throw new PluginException($"{name}: {ex.Message}"); }
        }
        return r;
    }

    /// <summary>This registry plus one stage class.</summary>
    internal StageRegistry WithStage(Type stageType, StageAttribute attr)
    {
        var r = Copy();
        r.Add(stageType, attr);
        return r;
    }

    static string Key(string type, StageShape shape) => shape switch
    {
        StageShape.Source => "source:",
        StageShape.Sink => "sink:",
        _ => "stage:",
    } + type;

    /// <summary>The stage of that type, preferring the given shapes (a reader and a writer may share a name).</summary>
    public StageDescriptor? Find(string type, params StageShape[] preferred)
    {
        foreach (var shape in preferred)
            if (_byType.GetValueOrDefault(Key(type, shape)) is { } d && d.Shape == shape) return d;
        return _byType.GetValueOrDefault(Key(type, StageShape.Map)) ?? _byType.GetValueOrDefault(Key(type, StageShape.Source))
            ?? _byType.GetValueOrDefault(Key(type, StageShape.Sink));
    }

    /// <summary>All stages, sorted by shape then type (the order of the schema and the reference).</summary>
    public IReadOnlyList<StageDescriptor> All =>
        _ordered.OrderBy(d => d.Shape).ThenBy(d => d.Type, StringComparer.Ordinal).ToList();
}
