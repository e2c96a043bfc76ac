// One training iteration inside its own dispose scope: zero gradients, estimate them, step the optimiser.
using SnnDsl.Core.Estimators;
using SnnDsl.Core.Model;
using TorchSharp;
using static TorchSharp.torch;
using SnnDsl.Core.Metrics;
using SnnDsl.Core.Distributed;

namespace SnnDsl.Core.Training;

/// <summary>What an iteration leaves behind on the host: its batch size and phase times. No tensor survives it.
/// Skipped: the step's gradients were refused by the caller's check (not finite), so the optimiser did not step.</summary>
public sealed record StepMetrics(long Samples, PhaseTimes Times, double OptimiserMs, bool Skipped = false);

public static class TrainingStep
{
    /// <summary>
    /// Runs one iteration in a dispose scope of its own: every tensor created here (activations, records, outputs) is
    /// freed on return; only parameters, gradients, optimiser state and <paramref name="totals"/> persist. The loss,
    /// accuracy and firing rates are added to <paramref name="totals"/> on the device: the iteration never waits for it.
    /// <paramref name="check"/> sees the loss and averaged gradients before the optimiser steps; false skips the step.
    /// </summary>
    public static StepMetrics Run(SpikingNetwork network, GradientEstimator estimator, optim.Optimizer optimizer, SpikeInput input, Tensor labels,
        ICollective? collective = null, MetricTotals? totals = null, Func<GradientResult, bool>? check = null)
    {
        var metrics = Scoped(network, estimator, optimizer, input, labels, collective, totals, check);
        Runtime.NativeMemory.CollectFinalizable();
        return metrics;
    }

    static StepMetrics Scoped(SpikingNetwork network, GradientEstimator estimator, optim.Optimizer optimizer, SpikeInput input, Tensor labels,
        ICollective? collective, MetricTotals? totals, Func<GradientResult, bool>? check)
    {
        using var scope = NewDisposeScope();
        optimizer.zero_grad();
        var result = estimator.Backward(network, input, labels);
        collective?.AverageGradients([.. network.parameters()]);
        if (check is not null && !check(result)) return new StepMetrics(labels.shape[0], result.Times, 0, Skipped: true);
        long start = System.Diagnostics.Stopwatch.GetTimestamp();
        optimizer.step();
        double optimiserMs = System.Diagnostics.Stopwatch.GetElapsedTime(start).TotalMilliseconds;
        totals?.Add(result, labels);
        return new StepMetrics(labels.shape[0], result.Times, optimiserMs);
    }
}
