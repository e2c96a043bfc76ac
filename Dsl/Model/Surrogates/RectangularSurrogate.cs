// The rectangular-window surrogate (the straight-through box of width α = 1).
using System.Runtime.CompilerServices;

namespace SnnDsl.Dsl.Model.Surrogates;

/// <summary>Derivative 1/α on |x| &lt; α/2, else 0; primitive clamp(x/α + 1/2, 0, 1).</summary>
public readonly struct RectangularSurrogate : ISurrogate
{
    public static SurrogateInfo Info { get; } = new("rectangular", [SurrogateArgument.Alpha(1.0)],
        "1/α where \\|x\\| < α/2, else 0", "clamp(x/α + 1/2, 0, 1)", "rectangular window (Wu et al. 2018, STBP)");

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Real<M, T> Derivative<M, T>(Real<M, T> x, SurrogateArgs a) where M : ISurrogateMath<T>
    {
        double alpha = a.First;
        return x.Abs().Below(alpha / 2) / alpha;
    }

    public static Real<M, T> Primitive<M, T>(Real<M, T> x, SurrogateArgs a) where M : IPrimitiveMath<T> =>
        (x / a.First + 0.5).Clamp(0.0, 1.0);
}
