using System.Text;
using System.Text.Json;
using DataForge.IO;
using DataForge.Stages;
using DataForge.Configuration;
using DataForge.Execution;

namespace DataForge.Pipelines;

/// <summary>Pipeline-level settings: the top-level keys of a pipeline file besides input, stages and output.</summary>
public sealed record PipelineSettings
{
    [Option("Pipeline name, shown in stats and reports.")]
    public string Name { get; init; } = "pipeline";

    [Option("Seed of every seeded stage that sets no seed of its own.", Min = 0)]
    public long Seed { get; init; } = 42;

    [Option("What readers do with a bad record unless they set their own on_error: \"fail\" stops the run naming file and line; \"skip\" writes the record with its error to rejects/ and goes on.", AllowedValues = ["fail", "skip"])]
    public string OnError { get; init; } = "fail";

    [Option("Also write dropped documents, with the stage and reason that dropped them, to dropped/.")]
    public bool KeepDropped { get; init; }

    [Option("Uncompressed files larger than this many bytes are split into byte-range partitions. Partitions are fixed by the input, never by the worker count, so output does not depend on --workers.", Min = 4096)]
    public long PartitionBytes { get; init; } = 64L << 20;

    [Option("Maximum documents per Arrow batch.", Min = 1, Max = 1_000_000)]
    public int BatchRows { get; init; } = 4096;

    [Option("Maximum text bytes per Arrow batch (a larger single document still forms its own batch).", Min = 1024)]
    public long BatchBytes { get; init; } = 16L << 20;

    [Option("Where the pipeline runs: in this process (the default) or as Slurm jobs (docs/cluster.md). The output is the same either way.")]
    public ExecutorOptions Executor { get; init; } = new();
}


/// <summary>A parsed, validated pipeline: sources, processing stages and a sink, all constructed.</summary>
public sealed class Pipeline
{
    /// <summary>The top-level settings.</summary>
    public required PipelineSettings Settings { get; init; }
    /// <summary>The pipeline file (or, for <see cref="Create"/>, a label naming the pipeline), as errors name it.</summary>
    public required string File { get; init; }
    /// <summary>The sources, read in this order.</summary>
    public required IReadOnlyList<SourceStage> Sources { get; init; }
    /// <summary>The processing stages, applied in this order.</summary>
    public required IReadOnlyList<Stage> Stages { get; init; }
    /// <summary>The sink that writes the corpus.</summary>
    public required SinkStage Sink { get; init; }
    /// <summary>The configuration re-serialised canonically; resume refuses to continue a run of another configuration.</summary>
    public required string CanonicalJson { get; init; }

    /// <summary>Full paths of the plugin assemblies the pipeline loaded (its <c>plugins</c>), in order.</summary>
    public IReadOnlyList<string> Plugins { get; init; } = [];

    static readonly string[] RootReserved = ["plugins", "input", "stages", "output"];
    static readonly string[] StageReserved = ["type", "name"];

    /// <summary>
    /// Loads, checks and builds a pipeline file with the stages of <paramref name="registry"/> and of the plugins the
    /// file names; <paramref name="outputOverride"/> replaces the sink's path (<c>run --output</c>).
    /// </summary>
    public static Pipeline Load(string path, StageRegistry registry, string? outputOverride = null)
    {
        if (!System.IO.File.Exists(path)) throw new FileNotFoundException($"{path}: pipeline file not found", path);
        return Parse(System.IO.File.ReadAllBytes(path), path, registry, outputOverride);
    }

    /// <summary>
    /// Checks and builds a pipeline defined in code, exactly as the pipeline file <see cref="PipelineDefinition.ToJson"/>
    /// writes would be: the same option checks, the same stages. Stage classes given by <see cref="StageSpec.StageClass"/>
    /// join <paramref name="registry"/> (default: the stages of DataForge.Core). Errors name the JSON path, as
    /// <c>pipeline 'NAME': $.stages[1].min_words: expected an integer &gt;= 0, found -1</c>.
    /// </summary>
    public static Pipeline Create(PipelineDefinition definition, StageRegistry? registry = null)
    {
        ArgumentNullException.ThrowIfNull(definition);
        string label = $"pipeline '{definition.Settings.Name}'";
        byte[] json;
        try { json = Encoding.UTF8.GetBytes(definition.ToJson()); }
        catch (OptionException ex) { throw new ConfigException([new ConfigError(label, 0, 0, "$", ex.Message)]); }
        try
        {
            return Parse(json, label, definition.RegistryFor(registry ?? StageRegistry.Core), null, Directory.GetCurrentDirectory());
        }
        catch (ConfigException ex)
        {
            // Lines and columns of generated JSON mean nothing to the caller; the JSON path does.
            throw new ConfigException(ex.Errors.Select(e => e with { Line = 0, Column = 0 }).ToList());
        }
    }

    /// <summary>Parses and validates; throws <see cref="ConfigException"/> listing every error.</summary>
    public static Pipeline Parse(ReadOnlySpan<byte> json, string file, StageRegistry registry, string? outputOverride = null)
        => Parse(json, file, registry, outputOverride, null);

    // pluginBaseDirectory: what plugin paths are relative to; default: the directory of the file.
    static Pipeline Parse(ReadOnlySpan<byte> json, string file, StageRegistry registry, string? outputOverride, string? pluginBaseDirectory)
    {
        var root = JsonTree.ParseConfig(json, file);
        var errors = new List<ConfigError>();
        var settings = OptionsBinder.Bind(typeof(PipelineSettings), root, file, errors, RootReserved) as PipelineSettings;
        if (root.Kind != JsonKind.Object) throw new ConfigException(errors);
        settings ??= new PipelineSettings();

        // Plugins first: their stage types must be known before any stage is looked up. A plugin that
        // cannot be used would only turn its stages into "unknown type" errors, so its error stands alone.
        var plugins = new List<string>();
        if (root["plugins"] is { } pluginList)
        {
            string pluginBase = pluginBaseDirectory ?? System.IO.Path.GetDirectoryName(System.IO.Path.GetFullPath(file)) ?? Directory.GetCurrentDirectory();
            registry = LoadPlugins(pluginList, file, pluginBase, registry, plugins, errors);
            if (errors.Count > 0) throw new ConfigException(errors);
        }

        var sources = new List<SourceStage>();
        var stages = new List<Stage>();
        SinkStage? sink = null;
        string baseDir = Directory.GetCurrentDirectory();

        var input = root["input"];
        if (input is null)
            errors.Add(new(file, root.Line, root.Column, "$.input", "missing required key; expected an array of source stages (for example {\"type\": \"jsonl\", \"paths\": [...]})"));
        else if (input.Kind == JsonKind.Array && input.Items!.Count == 0)
            errors.Add(new(file, input.Line, input.Column, input.Path, "expected at least one source stage"));
        else
            foreach (var item in input.Kind == JsonKind.Array ? input.Items! : [input])
                if (Build(item, [StageShape.Source], "input", registry, settings, baseDir, file, errors, null) is SourceStage s)
                    sources.Add(s);

        var stageList = root["stages"];
        if (stageList is not null)
        {
            if (stageList.Kind != JsonKind.Array)
                errors.Add(new(file, stageList.Line, stageList.Column, stageList.Path, $"expected an array of stages, found {stageList.KindName}"));
            else
                foreach (var item in stageList.Items!)
                    if (Build(item, [StageShape.Map, StageShape.Expand, StageShape.Global], "stages", registry, settings, baseDir, file, errors, null) is { } st)
                        stages.Add(st);
        }

        var output = root["output"];
        if (output is null)
            errors.Add(new(file, root.Line, root.Column, "$.output", "missing required key; expected a sink stage (for example {\"type\": \"parquet\", \"path\": \"out/corpus\"})"));
        else
            sink = Build(output, [StageShape.Sink], "output", registry, settings, baseDir, file, errors, outputOverride) as SinkStage;

        if (errors.Count > 0) throw new ConfigException(errors);

        // Stage names key the statistics, so they must be unique.
        var names = new HashSet<string>(StringComparer.Ordinal);
        for (int i = 0; i < stages.Count; i++)
            if (!names.Add(stages[i].Name))
            {
                var at = stageList!.Items![i];
                errors.Add(new(file, at.Line, at.Column, at.Path, $"two stages are named '{stages[i].Name}'; give one a distinct \"name\""));
            }
        CheckOutputOutsideInputs(sources, input!, sink!, output!, outputOverride, file, errors);
        if (errors.Count > 0) throw new ConfigException(errors);

        // The executor decides where the work runs, not what it produces: a run submitted to Slurm may be
        // resumed locally and the other way round, so it is not part of the identity.
        var canonical = new System.Buffers.ArrayBufferWriter<byte>();
        using (var w = new Utf8JsonWriter(canonical))
        {
            w.WriteStartObject();
            foreach (var (key, value) in root.Properties!)
                if (key != "executor") { w.WritePropertyName(key); value.WriteTo(w); }
            w.WriteEndObject();
        }
        return new Pipeline
        {
            Settings = settings,
            File = file,
            Plugins = plugins,
            Sources = sources,
            Stages = stages,
            Sink = sink!,
            CanonicalJson = Encoding.UTF8.GetString(canonical.WrittenSpan),
        };
    }

    /// <summary>
    /// Loads each plugin named in <c>plugins</c> (paths relative to the pipeline file) and returns the registry
    /// with their stages; a plugin that is missing, unloadable or clashing is an error at its array element.
    /// </summary>
    static StageRegistry LoadPlugins(JsonNodeP node, string file, string baseDir, StageRegistry registry, List<string> loaded, List<ConfigError> errors)
    {
        if (node.Kind != JsonKind.Array)
        {
            errors.Add(new(file, node.Line, node.Column, node.Path, $"expected an array of stage library paths (.dll, relative to the pipeline file), found {node.KindName}"));
            return registry;
        }
        foreach (var item in node.Items!)
        {
            if (item.Kind != JsonKind.String || string.IsNullOrWhiteSpace(item.Text))
            {
                errors.Add(new(file, item.Line, item.Column, item.Path, $"expected the path of a stage library (.dll), found {item.KindName}"));
                continue;
            }
            string full = System.IO.Path.GetFullPath(System.IO.Path.Combine(baseDir, item.Text!));
            if (loaded.Contains(full))
            {
                errors.Add(new(file, item.Line, item.Column, item.Path, $"plugin {full} is listed twice"));
                continue;
            }
            try
            {
                registry = registry.WithPlugin(StagePlugins.Load(full));
                loaded.Add(full);
            }
            catch (PluginException ex)
            {
                errors.Add(new(file, item.Line, item.Column, item.Path, ex.Message));
            }
        }
        return registry;
    }

    /// <summary>
    /// An output that is, contains or lies inside an input would be read while it is written, and
    /// <c>--overwrite</c> would delete the input: refused, naming both JSON paths.
    /// </summary>
    static void CheckOutputOutsideInputs(List<SourceStage> sources, JsonNodeP input, SinkStage sink, JsonNodeP output, string? outputOverride,
        string file, List<ConfigError> errors)
    {
        var items = input.Kind == JsonKind.Array ? input.Items! : [input];
        var at = output["path"] ?? output;
        for (int i = 0; i < sources.Count && i < items.Count; i++)
        {
            if (sources[i] is not FileSourceStage reader) continue;
            var patterns = items[i]["paths"];
            foreach (var (j, pattern, root) in reader.InputRoots())
            {
                if (Execution.OutputDirectory.Overlap(sink.OutputPath, root) is not { } how) continue;
                string inputPath = patterns?.Items is { } ps && j < ps.Count ? ps[j].Path : JsonTree.PathOf(items[i].Path, "paths");
                errors.Add(new(file, at.Line, at.Column, at.Path,
                    $"the output directory{(outputOverride is not null ? " given by --output" : "")} ({sink.OutputPath}) {how} the input {inputPath} (\"{pattern}\"{(root != System.IO.Path.GetFullPath(pattern) ? $", read from {root}" : "")}); "
                    + "an output must lie outside every input, or --overwrite could delete input files"));
            }
        }
    }

    static Stage? Build(JsonNodeP node, StageShape[] shapes, string where, StageRegistry registry, PipelineSettings settings,
        string baseDir, string file, List<ConfigError> errors, string? outputOverride)
    {
        if (node.Kind != JsonKind.Object)
        {
            errors.Add(new(file, node.Line, node.Column, node.Path, $"expected a stage object with a \"type\", found {node.KindName}"));
            return null;
        }
        var allowed = registry.All.Where(d => shapes.Contains(d.Shape)).Select(d => d.Type).ToList();
        var typeNode = node["type"];
        if (typeNode is null || typeNode.Kind != JsonKind.String)
        {
            var at = typeNode ?? node;
            errors.Add(new(file, at.Line, at.Column, JsonTree.PathOf(node.Path, "type"),
                $"expected a stage type string, one of: {string.Join(", ", allowed)}"));
            return null;
        }
        string type = typeNode.Text!;
        var desc = registry.Find(type, shapes);
        if (desc is null)
        {
            errors.Add(new(file, typeNode.Line, typeNode.Column, typeNode.Path,
                $"unknown stage type '{type}'{NameSuggester.DidYouMean(type, allowed)}"));
            return null;
        }
        if (!shapes.Contains(desc.Shape))
        {
            errors.Add(new(file, typeNode.Line, typeNode.Column, typeNode.Path,
                $"'{type}' is a {desc.Shape.ToString().ToLowerInvariant()} stage; {where} takes {string.Join(" or ", shapes.Select(s => s.ToString().ToLowerInvariant()))} stages ({string.Join(", ", allowed)})"));
            return null;
        }
        var nameNode = node["name"];
        if (nameNode is not null && nameNode.Kind != JsonKind.String)
        {
            errors.Add(new(file, nameNode.Line, nameNode.Column, nameNode.Path, $"expected a string, found {nameNode.KindName}"));
            return null;
        }
        var options = OptionsBinder.Bind(desc.OptionsType, node, file, errors, StageReserved);
        if (options is null) return null;
        if (outputOverride is not null && options is IHasOutputPath op) op.OverridePath(outputOverride);
        try
        {
            return desc.Create(options, new StageInit
            {
                Name = nameNode?.Text ?? type,
                Type = type,
                Seed = (ulong)settings.Seed,
                BaseDirectory = baseDir,
                Settings = settings,
            });
        }
        catch (OptionException ex)
        {
            var at = node[ex.Option] ?? node;
            errors.Add(new(file, at.Line, at.Column, JsonTree.PathOf(node.Path, ex.Option), ex.Message));
            return null;
        }
    }
}

/// <summary>Sink options whose path the command line may override (<c>run --output</c>).</summary>
public interface IHasOutputPath
{
    void OverridePath(string path);
}
