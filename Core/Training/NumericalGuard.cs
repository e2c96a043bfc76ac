// Divergence checks: a non-finite loss or gradient in a step, or a non-finite weight or buffer before a checkpoint.
using SnnDsl.Core.Estimators;
using SnnDsl.Core.Model;
using static TorchSharp.torch;
using SnnDsl.Core.Settings;

namespace SnnDsl.Core.Training;

/// <summary>Training diverged (NaN or infinity); the message names the epoch, batch and first non-finite tensor.</summary>
public sealed class DivergedException(string message) : Errors.UserException(message);

public static class NumericalGuard
{
    /// <summary>A 0-d bool tensor on the device: true when the loss or any parameter's gradient holds NaN or infinity.</summary>
    public static Tensor NonFinite(SpikingNetwork network, Tensor loss)
    {
        using var scope = NewDisposeScope();
        var finite = new List<Tensor> { isfinite(loss).all() };
        foreach (var p in network.parameters())
            if (p.grad is { } g) finite.Add(isfinite(g).all());
        return stack(finite).all().logical_not().MoveToOuterDisposeScope();
    }

    /// <summary>
    /// "loss" when the loss is not finite, else "gradient of NAME" for the first parameter whose gradient has a NaN or
    /// infinity, else null. Waits for the device.
    /// </summary>
    public static string? FirstNonFinite(SpikingNetwork network, Tensor loss)
    {
        using var scope = NewDisposeScope();
        if (!isfinite(loss).all().item<bool>()) return "loss";
        foreach (var (name, p) in network.named_parameters())
            if (p.grad is { } g && !isfinite(g).all().item<bool>()) return "gradient of " + name;
        return null;
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

/// <summary>
/// Watches one epoch's steps for divergence. Stop (the default) never waits for the device inside a step: it records
/// the first batch whose loss or gradients were not finite in a device tensor, and <see cref="ThrowIfDiverged"/> reads
/// it where the trainer reads its totals anyway (the progress interval, the end of the epoch). Skip decides per step,
/// which waits for the device once per step, and refuses the step's optimiser update.
/// </summary>
public sealed class DivergenceWatch(SpikingNetwork network, NonFiniteAction action, Device device) : IDisposable
{
    readonly Tensor _firstBad = full(1, -1L, dtype: int64, device: device);

    public bool Skips => action == NonFiniteAction.Skip;

    /// <summary>Steps refused so far (skip mode).</summary>
    public int Skipped { get; private set; }

    /// <summary>The check of <see cref="TrainingStep.Run"/>: false refuses this step's update (skip mode only).</summary>
    public bool Accept(GradientResult result, int batch)
    {
        if (Skips)
        {
            if (NumericalGuard.FirstNonFinite(network, result.Loss) is null) return true;
            Skipped++;
            return false;
        }
        using var scope = NewDisposeScope();
        using var _ = no_grad();
        var first = where(_firstBad.lt(0).logical_and(NumericalGuard.NonFinite(network, result.Loss)), tensor(batch, device: _firstBad.device), _firstBad);
        _firstBad.copy_(first);
        return true;
    }

    /// <summary>Throws <see cref="DivergedException"/> naming the epoch, the first bad batch and the first non-finite tensor.</summary>
    public void ThrowIfDiverged(int epoch)
    {
        long batch = _firstBad.cpu().item<long>();
        if (batch < 0) return;
        var tensor = NumericalGuard.FirstNonFiniteState(network) is { } name ? $"; the first non-finite parameter now is '{name}'" : "";
        throw new DivergedException($"training diverged in epoch {epoch + 1}, batch {batch + 1}: its loss or gradients were NaN or infinite{tensor}; " +
            "nothing of this epoch was saved; try a smaller --learning-rate, or --on-non-finite skip to drop such steps");
    }

    public void Dispose() => _firstBad.Dispose();
}
