// The piecewise quadratic (triangular-gradient) surrogate (SpikingJelly's PiecewiseQuadratic, α = 1).
using System.Runtime.CompilerServices;

namespace SnnDsl.Dsl.Model.Surrogates;

/// <summary>Derivative max(0, α − α²·|x|); primitive 1/2 + z − z·|z|/2 with z = clamp(αx, −1, 1).</summary>
public readonly struct PiecewiseQuadraticSurrogate : ISurrogate
{
    public static SurrogateInfo Info { get; } = new("piecewise_quadratic", [SurrogateArgument.Alpha(1.0)],
        "max(0, α − α²·\\|x\\|)", "1/2 + z − z·\\|z\\|/2, z = clamp(αx, −1, 1)", "SpikingJelly `PiecewiseQuadratic`");

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Real<M, T> Derivative<M, T>(Real<M, T> x, SurrogateArgs a) where M : ISurrogateMath<T>
    {
        double alpha = a.First;
        return (alpha - x.Abs() * (alpha * alpha)).Max(0.0);
    }

    public static Real<M, T> Primitive<M, T>(Real<M, T> x, SurrogateArgs a) where M : IPrimitiveMath<T>
    {
        var z = (x * a.First).Clamp(-1.0, 1.0);
        return 0.5 + z - z * z.Abs() * 0.5;
    }
}
