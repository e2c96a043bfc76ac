// The piecewise exponential surrogate (SpikingJelly's PiecewiseExp, α = 1; SLAYER's).
using System.Runtime.CompilerServices;

namespace SnnDsl.Dsl.Model.Surrogates;

/// <summary>Derivative (α/2)·e^(−α|x|); primitive e^(αx)/2 below 0, 1 − e^(−αx)/2 from 0 on.</summary>
public readonly struct PiecewiseExpSurrogate : ISurrogate
{
    public static SurrogateInfo Info { get; } = new("piecewise_exp", [SurrogateArgument.Alpha(1.0)],
        "(α/2)·exp(−α\\|x\\|)", "exp(αx)/2 for x < 0, 1 − exp(−αx)/2 for x ≥ 0", "SpikingJelly `PiecewiseExp`");

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Real<M, T> Derivative<M, T>(Real<M, T> x, SurrogateArgs a) where M : ISurrogateMath<T>
    {
        double alpha = a.First;
        return (x.Abs() * -alpha).Exp() * (alpha / 2);
    }

    public static Real<M, T> Primitive<M, T>(Real<M, T> x, SurrogateArgs a) where M : IPrimitiveMath<T>
    {
        var step = x.Step();
        return step - (step * 2.0 - 1.0) * (x.Abs() * -a.First).Exp() * 0.5;
    }
}
