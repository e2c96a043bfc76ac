// The arc-tangent surrogate (SpikingJelly's ATan, α = 2).
using System.Runtime.CompilerServices;

namespace SnnDsl.Dsl.Model.Surrogates;

/// <summary>Primitive atan(π/2·αx)/π + 1/2; derivative (α/2) / (1 + (π/2·αx)²).</summary>
public readonly struct ATanSurrogate : ISurrogate
{
    public static SurrogateInfo Info { get; } = new("atan", [SurrogateArgument.Alpha(2.0)],
        "(α/2) / (1 + (π/2·αx)²)", "atan(π/2·αx)/π + 1/2", "SpikingJelly `ATan`");

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Real<M, T> Derivative<M, T>(Real<M, T> x, SurrogateArgs a) where M : ISurrogateMath<T>
    {
        double alpha = a.First;
        var z = x * (Math.PI / 2 * alpha);
        return (alpha / 2) / (z * z + 1.0);
    }

    public static Real<M, T> Primitive<M, T>(Real<M, T> x, SurrogateArgs a) where M : IPrimitiveMath<T> =>
        (x * (Math.PI / 2 * a.First)).Atan() / Math.PI + 0.5;
}
