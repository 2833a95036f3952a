using DataForge.Determinism;
using DataForge.Stages;
using DataForge.Configuration;

namespace DataForge.Synth;

public sealed class ListDictGenerateOptions : GeneratorOptions
{
    [Option("Operations (default all): sort, reverse, filter, map, slice, count, dedupe, lookup, merge, invert, group_by, nested_access.")]
    public List<string>? Kinds { get; init; }

    [Option("Languages of the question text, each item picks one: en, zh.")]
    public List<string>? Languages { get; init; }
}

/// <summary>Generates list and dict manipulation tasks in Python-like syntax; answers are computed by performing the operation.</summary>
[Stage("list_dict_generate", StageShape.Source, "Generates list/dict manipulation tasks (sort, filter, map, slice, merge, group-by, nested access, ...) in Python syntax with computed answers.")]
public sealed class ListDictGenerateSource : GeneratorSource
{
    readonly string[] _ops;
    readonly string[] _langs;

    public ListDictGenerateSource(ListDictGenerateOptions options, StageInit init) : base(options, init)
    {
        _ops = Choose(options.Kinds, ListDictItems.Ops, "kinds");
        _langs = Choose(options.Languages, ["en", "zh"], "languages");
    }

    public override GeneratedItem Generate(long index, ref SplitMix64 rng)
    {
        string op = _ops[rng.NextInt(_ops.Length)];
        string lang = _langs[rng.NextInt(_langs.Length)];
        var item = ListDictItems.Generate(op, lang, ref rng);
        var meta = SynthJson.Object(w =>
        {
            w.WriteString("task", "list_dict");
            w.WriteString("op", item.Op);
            w.WriteString("lang", item.Lang);
            w.WritePropertyName("input");
            SynthJson.WriteValue(w, item.Input);
            w.WritePropertyName("args");
            SynthJson.WriteValue(w, item.Args);
            w.WritePropertyName("answer");
            SynthJson.WriteValue(w, item.Answer);
            w.WriteString("prompt", item.Prompt);
            w.WriteString("response", item.Response);
        });
        return new GeneratedItem(item.Prompt + "\n\n" + item.Response, item.Lang, meta);
    }
}
