// The sigmoid surrogate (SpikingJelly's Sigmoid; the rate-BP paper's, α = 4).
using System.Runtime.CompilerServices;

namespace SnnDsl.Dsl.Model.Surrogates;

/// <summary>Primitive σ(αx); derivative α·σ(αx)·(1 − σ(αx)).</summary>
public readonly struct SigmoidSurrogate : ISurrogate
{
    public static SurrogateInfo Info { get; } = new("sigmoid", [SurrogateArgument.Alpha(4.0)],
        "α·σ(αx)·(1 − σ(αx))", "σ(αx)", "SpikingJelly `Sigmoid`; the rate-BP paper (α = 4)");

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Real<M, T> Derivative<M, T>(Real<M, T> x, SurrogateArgs a) where M : ISurrogateMath<T>
    {
        double alpha = a.First;
        var s = (x * alpha).Sigmoid();
        return (1.0 - s) * s * alpha;
    }

    public static Real<M, T> Primitive<M, T>(Real<M, T> x, SurrogateArgs a) where M : IPrimitiveMath<T> => (x * a.First).Sigmoid();
}
