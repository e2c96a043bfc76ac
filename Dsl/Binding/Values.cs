// The values expressions evaluate to: numbers, booleans, words, strings, lists, and calls such as sigmoid(alpha = 4).
using System.Globalization;

namespace SnnDsl.Dsl.Binding;

public abstract record Value
{
    /// <summary>How the value is named in messages ("the whole number 3", "the word 'soft'").</summary>
    public abstract string Describe();
}

public sealed record IntValue(long Value) : Value
{
    public override string Describe() => $"the whole number {Value}";
}

public sealed record FloatValue(double Value) : Value
{
    public override string Describe() => $"the number {Value.ToString("R", CultureInfo.InvariantCulture)}";
}

public sealed record BoolValue(bool Value) : Value
{
    public override string Describe() => Value ? "true" : "false";
}

/// <summary>A bare name that is not a parameter or variable, such as `soft` or `global`.</summary>
public sealed record WordValue(string Word) : Value
{
    public override string Describe() => $"the word '{Word}'";
}

public sealed record TextValue(string Text) : Value
{
    public override string Describe() => $"the string \"{Text}\"";
}

public sealed record ListValue(IReadOnlyList<Value> Items) : Value
{
    public override string Describe() => Items.Count == 0 ? "an empty list" : $"a list of {Items.Count}";
}

/// <summary>A named argument list as a value (`sigmoid(alpha = 4)`); arguments keep their names (null when positional).</summary>
public sealed record CallValue(string Name, IReadOnlyList<(string? Name, Value Value)> Arguments) : Value
{
    public override string Describe() => $"the call '{Name}(...)'";
}
