// The piecewise leaky-ReLU surrogate (SpikingJelly's PiecewiseLeakyReLU, w = 1, c = 0.01): two named arguments.
using System.Runtime.CompilerServices;

namespace SnnDsl.Dsl.Model.Surrogates;

/// <summary>
/// Derivative 1/(2w) on |x| &lt; w, else c; primitive clamp(x, −w, w)/(2w) + 1/2 + c·(x − clamp(x, −w, w)), which is
/// SpikingJelly's piecewise primitive. SpikingJelly 0.0.0.0.14's backward used 1/w inside the window (twice its own
/// primitive's slope); later versions use 1/(2w), as here.
/// </summary>
public readonly struct PiecewiseLeakyReluSurrogate : ISurrogate
{
    public static SurrogateInfo Info { get; } = new("piecewise_leaky_relu", [new("w", 1.0), new("c", 0.01, 0.0, Inclusive: true)],
        "1/(2w) where \\|x\\| < w, else c", "y/(2w) + 1/2 + c·(x − y), y = clamp(x, −w, w)", "SpikingJelly `PiecewiseLeakyReLU`");

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Real<M, T> Derivative<M, T>(Real<M, T> x, SurrogateArgs a) where M : ISurrogateMath<T>
    {
        var (w, c) = (a.First, a.Second);
        return x.Abs().Below(w) * (1.0 / (2 * w) - c) + c;
    }

    public static Real<M, T> Primitive<M, T>(Real<M, T> x, SurrogateArgs a) where M : IPrimitiveMath<T>
    {
        var (w, c) = (a.First, a.Second);
        var y = x.Clamp(-w, w);
        return y / (2 * w) + 0.5 + (x - y) * c;
    }
}
