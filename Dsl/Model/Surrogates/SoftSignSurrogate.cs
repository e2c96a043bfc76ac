// The soft-sign surrogate (SpikingJelly's SoftSign, α = 2).
using System.Runtime.CompilerServices;

namespace SnnDsl.Dsl.Model.Surrogates;

/// <summary>Primitive (αx/(1 + |αx|) + 1)/2; derivative α / (2·(1 + α|x|)²).</summary>
public readonly struct SoftSignSurrogate : ISurrogate
{
    public static SurrogateInfo Info { get; } = new("soft_sign", [SurrogateArgument.Alpha(2.0)],
        "α / (2·(1 + α\\|x\\|)²)", "(αx / (1 + \\|αx\\|) + 1)/2", "SpikingJelly `SoftSign`");

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Real<M, T> Derivative<M, T>(Real<M, T> x, SurrogateArgs a) where M : ISurrogateMath<T>
    {
        double alpha = a.First;
        var d = x.Abs() * alpha + 1.0;
        return (alpha / 2) / (d * d);
    }

    public static Real<M, T> Primitive<M, T>(Real<M, T> x, SurrogateArgs a) where M : IPrimitiveMath<T>
    {
        var z = x * a.First;
        return (z / (z.Abs() + 1.0) + 1.0) * 0.5;
    }
}
