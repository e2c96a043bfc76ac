// How a layer's weights and biases are initialised: PyTorch's default, a normal distribution, or Kaiming-normal.
using System.Globalization;

namespace SnnDsl.Dsl.Model;

public enum InitKind
{
    /// <summary>PyTorch's default: weight ~ kaiming_uniform(a = √5) = U(±1/√fan_in), bias ~ U(±1/√fan_in).</summary>
    Default,
    /// <summary>weight ~ N(mean, std²), bias = 0 (the reference's VGG family: std 0.5).</summary>
    Normal,
    /// <summary>weight ~ N(0, (gain/√fan)²), fan = fan_in or fan_out, gain √2 (relu) or 1 (linear); bias as PyTorch's default.</summary>
    KaimingNormal,
}

/// <summary>Which fan Kaiming initialisation divides by: inputs per output (fan_in) or outputs per input (fan_out).</summary>
public enum FanMode { FanIn, FanOut }

/// <summary>An initialisation scheme of conv and linear layers, with its parameters (docs/language.md, "init").</summary>
public sealed record InitSpec(InitKind Kind, double Mean = 0.0, double Std = 1.0, FanMode Mode = FanMode.FanIn, bool Relu = true)
{
    public static InitSpec Default { get; } = new(InitKind.Default);

    public static InitSpec Normal(double std, double mean = 0.0) => new(InitKind.Normal, mean, std);

    public static InitSpec KaimingNormal(FanMode mode = FanMode.FanIn, bool relu = true) => new(InitKind.KaimingNormal, Mode: mode, Relu: relu);

    /// <summary>Kaiming's gain: √2 for relu, 1 for linear.</summary>
    public double Gain => Relu ? Math.Sqrt(2.0) : 1.0;

    /// <summary>The scheme as the language writes it: default, normal(mean = 0, std = 0.5), kaiming_normal(mode = fan_out, nonlinearity = relu).</summary>
    public override string ToString() => Kind switch
    {
        InitKind.Normal => $"normal(mean = {Number(Mean)}, std = {Number(Std)})",
        InitKind.KaimingNormal => $"kaiming_normal(mode = {(Mode == FanMode.FanIn ? "fan_in" : "fan_out")}, nonlinearity = {(Relu ? "relu" : "linear")})",
        _ => "default",
    };

    static string Number(double x) => x.ToString("R", CultureInfo.InvariantCulture);
}
