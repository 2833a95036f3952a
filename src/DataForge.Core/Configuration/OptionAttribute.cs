namespace DataForge.Configuration;

/// <summary>
/// Marks a property of an options record as a JSON option. The JSON name is the property name in
/// snake_case unless <see cref="Name"/> says otherwise; the default is the property initialiser.
/// </summary>
[AttributeUsage(AttributeTargets.Property)]
public sealed class OptionAttribute(string description) : Attribute
{
    public string Description { get; } = description;
    public string? Name { get; init; }
    public bool Required { get; init; }
    /// <summary>Inclusive lower bound for numbers (NaN = none).</summary>
    public double Min { get; init; } = double.NaN;
    /// <summary>Inclusive upper bound for numbers (NaN = none).</summary>
    public double Max { get; init; } = double.NaN;
    /// <summary>Exclusive lower bound for numbers (NaN = none), for values like a fraction that must be &gt; 0.</summary>
    public double ExclusiveMin { get; init; } = double.NaN;
    /// <summary>The only values a string option accepts.</summary>
    public string[]? AllowedValues { get; init; }

    /// <summary>The bounds and allowed values that apply to each element of a list or dictionary option.</summary>
    public OptionAttribute ForElements() => new(Description) { Min = Min, Max = Max, ExclusiveMin = ExclusiveMin, AllowedValues = AllowedValues };
}

/// <summary>Cross-field validation for an options record, run after binding.</summary>
public interface IValidatableOptions
{
    void Validate(OptionsValidation v);
}

/// <summary>Collects validation failures for one options object, each tied to its JSON path.</summary>
public sealed class OptionsValidation
{
    readonly Action<string, string> _report;
    internal OptionsValidation(Action<string, string> report) => _report = report;

    /// <summary>Reports that option <paramref name="option"/> (JSON name) is wrong.</summary>
    public void Error(string option, string expected) => _report(option, expected);

    /// <summary>Helper for min/max pairs.</summary>
    public void Ordered(string minName, double? min, string maxName, double? max)
    {
        if (min is { } a && max is { } b && a > b)
            Error(maxName, $"expected {maxName} >= {minName} ({JsonTree.Invariant(b)} < {JsonTree.Invariant(a)})");
    }
}
