// The q-PseudoSpike surrogate (SpikingJelly's QPseudoSpike, α = 2 > 1: the tail's heaviness).
using System.Runtime.CompilerServices;

namespace SnnDsl.Dsl.Model.Surrogates;

/// <summary>Derivative (1 + 2|x|/(α − 1))^(−α); primitive g below 0 and 1 − g from 0 on, g = (1 + 2|x|/(α − 1))^(1 − α)/2.</summary>
public readonly struct QPseudoSpikeSurrogate : ISurrogate
{
    public static SurrogateInfo Info { get; } = new("q_pseudo_spike", [new("alpha", 2.0, 1.0)],
        "(1 + 2\\|x\\|/(α − 1))^(−α)", "g for x < 0, 1 − g for x ≥ 0, g = (1 + 2\\|x\\|/(α − 1))^(1−α)/2",
        "SpikingJelly `QPseudoSpike` (Herranz-Celotti & Rouat 2022)");

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Real<M, T> Derivative<M, T>(Real<M, T> x, SurrogateArgs a) where M : ISurrogateMath<T>
    {
        double alpha = a.First;
        return (x.Abs() * (2 / (alpha - 1)) + 1.0).Power(-alpha);
    }

    public static Real<M, T> Primitive<M, T>(Real<M, T> x, SurrogateArgs a) where M : IPrimitiveMath<T>
    {
        double alpha = a.First;
        var step = x.Step();
        var g = (x.Abs() * (2 / (alpha - 1)) + 1.0).Power(1 - alpha) * 0.5;
        return step + (1.0 - step * 2.0) * g;
    }
}
