// Where each number format applies: float32 everywhere, or bf16 convolutions and linear layers over float32 master weights.
using static TorchSharp.torch;

namespace SnnDsl.Core.Layers;

/// <summary>
/// The arithmetic of a pass. <see cref="BFloat16"/> computes convolutions and linear layers in bfloat16: their input is
/// cast to bf16 (spikes 0/1 are exact; a first layer's real-valued image is rounded to 8 significant bits), their
/// weights are cast from the float32 master weights once per pass (<see cref="PassContext.ComputeWeights"/>), and their
/// output is cast back to float32. Everything else stays float32: BN statistics, LIF membranes, rate-BP's rates and
/// eligibilities, the loss, gradients as they reach the parameters, the optimiser state and checkpoints.
/// </summary>
public enum Precision
{
    /// <summary>float32 everywhere (the default).</summary>
    Float32,
    /// <summary>Convolutions and linear layers in bfloat16 over float32 master weights.</summary>
    BFloat16,
}

public static class PrecisionTypes
{
    /// <summary>The dtype conv and linear layers compute in, or null when they compute in their parameters' own dtype.</summary>
    public static ScalarType? ComputeType(this Precision precision) => precision switch
    {
        Precision.Float32 => null,
        Precision.BFloat16 => ScalarType.BFloat16,
        _ => throw new ArgumentOutOfRangeException(nameof(precision), precision, null),
    };
}
