// Divergence checks: a non-finite loss or gradient in a step, or a non-finite weight or buffer before a checkpoint.
using SnnDsl.Core.Model;
using static TorchSharp.torch;

namespace SnnDsl.Core.Training;

/// <summary>Training diverged (NaN or infinity); the message names the epoch, batch and first non-finite tensor.</summary>
public sealed class DivergedException(string message) : Errors.UserException(message);

public static class NumericalGuard
{
    /// <summary>
    /// "loss" when the loss is not finite, else the name of the first parameter whose gradient has a NaN or infinity,
    /// else null. One device synchronisation when everything is finite.
    /// </summary>
    public static string? FirstNonFinite(SpikingNetwork network, double loss)
    {
        if (!double.IsFinite(loss)) return "loss";
        using var scope = NewDisposeScope();
        var named = network.named_parameters().Where(p => p.parameter.grad is not null).ToList();
        if (named.Count == 0) return null;
        var finite = stack([.. named.Select(p => isfinite(p.parameter.grad!).all())]);
        if (finite.all().item<bool>()) return null;
        var flags = finite.cpu().data<bool>().ToArray();
        return "gradient of " + named[Array.IndexOf(flags, false)].name;
    }

    /// <summary>The name of the first parameter or buffer with a NaN or infinity, or null.</summary>
    public static string? FirstNonFiniteState(SpikingNetwork network)
    {
        using var scope = NewDisposeScope();
        foreach (var (name, tensor) in network.state_dict())
            if (tensor.is_floating_point() && !isfinite(tensor).all().item<bool>()) return name;
        return null;
    }
}
