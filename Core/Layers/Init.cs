// Initialisation of conv and linear layers: PyTorch's default, N(mean, std²) with zero bias, Kaiming-normal.
using SnnDsl.Dsl.Model;
using static TorchSharp.torch;

namespace SnnDsl.Core.Layers;

/// <summary>The `init` schemes of the language (docs/language.md), drawn from the network's seeded generator.</summary>
public static class Init
{
    /// <summary>Fills weight (and bias, when there is one) in place as the scheme says; fans are (fan_in, fan_out).</summary>
    public static void Apply(InitSpec scheme, Tensor weight, Tensor? bias, (long In, long Out) fans, Generator? generator)
    {
        using var _ = no_grad();
        switch (scheme.Kind)
        {
            case InitKind.Normal:
                weight.normal_(scheme.Mean, scheme.Std, generator);
                bias?.zero_();
                break;
            case InitKind.KaimingNormal:
                long fan = scheme.Mode == FanMode.FanIn ? fans.In : fans.Out;
                weight.normal_(0.0, fan > 0 ? scheme.Gain / Math.Sqrt(fan) : 0.0, generator);
                if (bias is not null) FanInUniform(bias, fans.In, generator);
                break;
            default:
                KaimingUniform(weight, fans.In, generator);
                if (bias is not null) FanInUniform(bias, fans.In, generator);
                break;
        }
    }

    /// <summary>kaiming_uniform(a = √5): U(−b, b) with b = √(6 / ((1 + a²)·fan_in)) = 1/√fan_in.</summary>
    public static void KaimingUniform(Tensor weight, long fanIn, Generator? generator) => FanInUniform(weight, fanIn, generator);

    /// <summary>U(−1/√fan_in, 1/√fan_in), PyTorch's bias initialisation.</summary>
    public static void FanInUniform(Tensor t, long fanIn, Generator? generator)
    {
        double bound = fanIn > 0 ? 1.0 / Math.Sqrt(fanIn) : 0.0;
        using var _ = no_grad();
        t.uniform_(-bound, bound, generator);
    }
}
