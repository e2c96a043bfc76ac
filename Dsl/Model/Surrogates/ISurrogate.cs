// What a surrogate gradient is: its name and arguments in the language, and its derivative and primitive written once.
namespace SnnDsl.Dsl.Model.Surrogates;

/// <summary>
/// A surrogate gradient for the spike s = H(x), x = u − θ: the Heaviside step forward, <see cref="Derivative"/>
/// backward. Implemented by one struct per surrogate (one file each in this folder) and listed once in
/// <see cref="SurrogateCatalog"/>. The derivative feeds both autograd (on tensors) and the fused CPU kernel (on SIMD
/// lanes); <see cref="Primitive"/> is the smooth function it is the derivative of (tests check the one against
/// autograd of the other; the straight-through gradient form differentiates the primitive).
/// </summary>
public interface ISurrogate
{
    /// <summary>The language's name, arguments with defaults, and what the docs table shows.</summary>
    static abstract SurrogateInfo Info { get; }

    /// <summary>∂s/∂x at x, given the arguments in the order of <see cref="SurrogateInfo.Arguments"/>.</summary>
    static abstract Real<M, T> Derivative<M, T>(Real<M, T> x, SurrogateArgs a) where M : ISurrogateMath<T>;

    /// <summary>The smooth function whose derivative <see cref="Derivative"/> is.</summary>
    static abstract Real<M, T> Primitive<M, T>(Real<M, T> x, SurrogateArgs a) where M : IPrimitiveMath<T>;
}

/// <summary>A numeric argument: its name in the language, default, and the lower bound it must exceed (or reach, when Inclusive).</summary>
public sealed record SurrogateArgument(string Name, double Default, double Minimum = 0.0, bool Inclusive = false)
{
    public static SurrogateArgument Alpha(double defaultValue) => new("alpha", defaultValue);

    /// <summary>True when the value is within range.</summary>
    public bool Accepts(double value) => !double.IsNaN(value) && !double.IsInfinity(value) && (Inclusive ? value >= Minimum : value > Minimum);

    /// <summary>"greater than 0", "at least 0".</summary>
    public string Range => (Inclusive ? "at least " : "greater than ") + Minimum.ToString("R", System.Globalization.CultureInfo.InvariantCulture);
}

/// <summary>
/// A surrogate as the language and the docs see it: its name, arguments (at most <see cref="SurrogateArgs.Capacity"/>),
/// the derivative and primitive as formulas, and where it comes from.
/// </summary>
public sealed record SurrogateInfo(string Name, IReadOnlyList<SurrogateArgument> Arguments, string Derivative, string Primitive, string Source);

/// <summary>The argument values of one surrogate, in the order of its <see cref="SurrogateInfo.Arguments"/>.</summary>
public readonly record struct SurrogateArgs(double First, double Second = 0.0)
{
    /// <summary>The most arguments a surrogate may have.</summary>
    public const int Capacity = 2;

    public double this[int index] => index switch
    {
        0 => First,
        1 => Second,
        _ => throw new ArgumentOutOfRangeException(nameof(index), index, $"a surrogate has at most {Capacity} arguments"),
    };

    public static SurrogateArgs Of(IReadOnlyList<double> values) => values.Count switch
    {
        0 => default,
        1 => new(values[0]),
        2 => new(values[0], values[1]),
        _ => throw new ArgumentException($"a surrogate has at most {Capacity} arguments, got {values.Count}", nameof(values)),
    };
}
