using System.Reflection;
using System.Text;
using System.Text.Json;
using DataForge.Configuration;
using DataForge.Stages;

namespace DataForge.Pipelines;

/// <summary>
/// One stage of a <see cref="PipelineDefinition"/>: its JSON <c>type</c>, its options record (the same record
/// the JSON object binds to) and an optional instance name.
/// </summary>
/// <param name="Type">The registered stage type, for example <c>"length_filter"</c>.</param>
/// <param name="Options">The stage's options record, for example a <c>LengthFilterOptions</c>.</param>
public sealed record StageSpec(string Type, object Options)
{
    /// <summary>Instance name in stats and reports (the JSON <c>name</c>); default: the type.</summary>
    public string? Name { get; init; }

    /// <summary>
    /// The class that implements <see cref="Type"/> when it is not in the registry the pipeline is created with,
    /// such as a stage written in the calling program. Set by <see cref="Of{TStage}"/>.
    /// </summary>
    public System.Type? StageClass { get; init; }

    /// <summary>A spec for the stage class <typeparamref name="TStage"/>, with the type name of its <see cref="StageAttribute"/>.</summary>
    public static StageSpec Of<TStage>(object options, string? name = null) where TStage : Stage
    {
        var attr = typeof(TStage).GetCustomAttribute<StageAttribute>()
            ?? throw new ArgumentException($"{typeof(TStage).FullName} has no [Stage] attribute", nameof(TStage));
        return new StageSpec(attr.Type, options) { Name = name, StageClass = typeof(TStage) };
    }
}

/// <summary>
/// A pipeline as data, for building one in code: the settings, plugins, sources, stages and sink of a pipeline
/// file, with each stage's options as its options record. <see cref="Pipeline.Create"/> checks and builds it
/// exactly as <see cref="Pipeline.Load"/> does the file that <see cref="ToJson"/> writes.
/// </summary>
public sealed class PipelineDefinition
{
    /// <summary>The top-level settings (name, seed, on_error, batch sizes...).</summary>
    public PipelineSettings Settings { get; set; } = new();

    /// <summary>Stage libraries (.dll) to load, relative to the working directory (in a file: to the file).</summary>
    public List<string> Plugins { get; } = [];

    /// <summary>Source stages, read in this order (<c>input</c>).</summary>
    public List<StageSpec> Input { get; } = [];

    /// <summary>Processing stages, applied in this order (<c>stages</c>).</summary>
    public List<StageSpec> Stages { get; } = [];

    /// <summary>The sink that writes the corpus (<c>output</c>).</summary>
    public StageSpec? Output { get; set; }

    /// <summary>The pipeline file of this definition (indented JSON).</summary>
    public string ToJson()
    {
        var buffer = new System.Buffers.ArrayBufferWriter<byte>();
        using (var w = new Utf8JsonWriter(buffer, new JsonWriterOptions { Indented = true }))
        {
            w.WriteStartObject();
            OptionsJson.WriteProperties(w, Settings);
            if (Plugins.Count > 0)
            {
                w.WriteStartArray("plugins");
                foreach (var p in Plugins) w.WriteStringValue(p);
                w.WriteEndArray();
            }
            w.WriteStartArray("input");
            foreach (var s in Input) Write(w, s);
            w.WriteEndArray();
            w.WriteStartArray("stages");
            foreach (var s in Stages) Write(w, s);
            w.WriteEndArray();
            if (Output is not null)
            {
                w.WritePropertyName("output");
                Write(w, Output);
            }
            w.WriteEndObject();
        }
        return Encoding.UTF8.GetString(buffer.WrittenSpan) + "\n";
    }

    static void Write(Utf8JsonWriter w, StageSpec spec)
    {
        ArgumentNullException.ThrowIfNull(spec);
        w.WriteStartObject();
        w.WriteString("type", spec.Type);
        if (spec.Name is not null) w.WriteString("name", spec.Name);
        OptionsJson.WriteProperties(w, spec.Options);
        w.WriteEndObject();
    }

    /// <summary>The registry plus the stage classes named by <see cref="StageSpec.StageClass"/> that it lacks.</summary>
    internal StageRegistry RegistryFor(StageRegistry registry)
    {
        foreach (var spec in Input.Concat(Stages).Append(Output))
        {
            if (spec?.StageClass is not { } cls) continue;
            var attr = cls.GetCustomAttribute<StageAttribute>()!;
            // Readers and writers may share a name; processing stages of any shape may not.
            static bool SameRole(StageShape a, StageShape b) => a == b || (a is not (StageShape.Source or StageShape.Sink) && b is not (StageShape.Source or StageShape.Sink));
            var known = registry.All.FirstOrDefault(d => d.Type == attr.Type && SameRole(d.Shape, attr.Shape));
            if (known?.StageType == cls) continue;
            if (known is not null)
                throw new PluginException($"stage type '{attr.Type}' of {cls.FullName} clashes with '{attr.Type}' of {known.StageType.Assembly.GetName().Name} ({known.StageType.FullName}); rename one of them");
            registry = registry.WithStage(cls, attr);
        }
        return registry;
    }
}
