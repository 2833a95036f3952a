using DataForge.Determinism;
using DataForge.Stages;
using DataForge.Configuration;

namespace DataForge.Synth;

public sealed class MathGenerateOptions : GeneratorOptions
{
    [Option("Kinds of items (default all): arithmetic, decimal, fraction, percentage, unit_conversion, comparison, equation, word_problem.")]
    public List<string>? Kinds { get; init; }

    [Option("Languages of the question text, each item picks one: en, zh.")]
    public List<string>? Languages { get; init; }

    [Option("Difficulty levels to draw from (1 easy .. 3 hard).", Min = 1, Max = 3)]
    public List<int>? Levels { get; init; }
}

/// <summary>Generates maths questions with worked solutions and exact answers (meta as docs/synth.md describes).</summary>
[Stage("math_generate", StageShape.Source, "Generates maths items (arithmetic, decimals, fractions, percentages, units, comparisons, equations, word problems) with step-by-step solutions and exact answers.")]
public sealed class MathGenerateSource : GeneratorSource
{
    readonly string[] _kinds;
    readonly string[] _langs;
    readonly int[] _levels;

    public MathGenerateSource(MathGenerateOptions options, StageInit init) : base(options, init)
    {
        _kinds = Choose(options.Kinds, MathItems.Kinds, "kinds");
        _langs = Choose(options.Languages, ["en", "zh"], "languages");
        if (options.Levels is { Count: 0 }) throw new DataForge.Configuration.OptionException("levels", "expected at least one level (1, 2 or 3)");
        _levels = options.Levels?.Distinct().Order().ToArray() ?? [1, 2, 3];
    }

    public override GeneratedItem Generate(long index, ref SplitMix64 rng)
    {
        string kind = _kinds[rng.NextInt(_kinds.Length)];
        int level = _levels[rng.NextInt(_levels.Length)];
        string lang = _langs[rng.NextInt(_langs.Length)];
        var item = MathItems.Generate(kind, level, lang, ref rng);
        var meta = SynthJson.Object(w =>
        {
            w.WriteString("task", "math");
            w.WriteString("kind", item.Kind);
            w.WriteNumber("level", item.Level);
            w.WriteString("lang", item.Lang);
            if (item.Expression is not null) w.WriteString("expression", item.Expression);
            w.WriteString("answer", item.Answer);
            foreach (var (k, v) in item.Extra) { w.WritePropertyName(k); SynthJson.WriteValue(w, v); }
            w.WriteString("prompt", item.Prompt);
            w.WriteString("response", item.Response);
        });
        return new GeneratedItem(item.Prompt + "\n\n" + item.Response, item.Lang, meta);
    }
}
