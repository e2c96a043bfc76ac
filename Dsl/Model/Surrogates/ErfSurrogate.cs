// The Gaussian-error surrogate (SpikingJelly's Erf, α = 2).
using System.Runtime.CompilerServices;

namespace SnnDsl.Dsl.Model.Surrogates;

/// <summary>Primitive erfc(−αx)/2; derivative (α/√π)·e^(−(αx)²).</summary>
public readonly struct ErfSurrogate : ISurrogate
{
    public static SurrogateInfo Info { get; } = new("erf", [SurrogateArgument.Alpha(2.0)],
        "(α/√π)·exp(−(αx)²)", "erfc(−αx)/2", "SpikingJelly `Erf`");

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Real<M, T> Derivative<M, T>(Real<M, T> x, SurrogateArgs a) where M : ISurrogateMath<T>
    {
        double alpha = a.First;
        var z = x * alpha;
        return (-(z * z)).Exp() * (alpha / Math.Sqrt(Math.PI));
    }

    public static Real<M, T> Primitive<M, T>(Real<M, T> x, SurrogateArgs a) where M : IPrimitiveMath<T> =>
        (x * -a.First).Erfc() * 0.5;
}
