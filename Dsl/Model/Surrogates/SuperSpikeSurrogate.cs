// The SuperSpike (fast-sigmoid) surrogate as SpikingJelly defines it (SuperSpike, α = 1: the height, not the width).
using System.Runtime.CompilerServices;

namespace SnnDsl.Dsl.Model.Surrogates;

/// <summary>
/// Derivative α / (1 + |x|)², SpikingJelly's `super_spike_backward` (Zenke and Ganguli's fast-sigmoid derivative with
/// the steepness fixed at 1 and α scaling its height); primitive αx / (1 + |x|). SpikingJelly's SuperSpike module
/// wires the ATan function as its spiking function and has no primitive; SnnDsl uses the backward its name promises.
/// </summary>
public readonly struct SuperSpikeSurrogate : ISurrogate
{
    public static SurrogateInfo Info { get; } = new("super_spike", [SurrogateArgument.Alpha(1.0)],
        "α / (1 + \\|x\\|)²", "αx / (1 + \\|x\\|)", "SpikingJelly `SuperSpike` (its `super_spike_backward`); Zenke & Ganguli 2018");

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Real<M, T> Derivative<M, T>(Real<M, T> x, SurrogateArgs a) where M : ISurrogateMath<T>
    {
        var d = x.Abs() + 1.0;
        return a.First / (d * d);
    }

    public static Real<M, T> Primitive<M, T>(Real<M, T> x, SurrogateArgs a) where M : IPrimitiveMath<T> =>
        x * a.First / (x.Abs() + 1.0);
}
