// One training iteration inside its own dispose scope: zero gradients, estimate them, step the optimiser.
using SnnDsl.Core.Estimators;
using SnnDsl.Core.Model;
using TorchSharp;
using static TorchSharp.torch;

namespace SnnDsl.Core.Training;

/// <summary>The numbers an iteration leaves behind; no tensor survives it.</summary>
/// <summary>NonFinite names what was not finite (the loss or a parameter's gradient) when the guard skipped the optimiser step.</summary>
public sealed record StepMetrics(double Loss, long Correct, long Correct5, long Samples, IReadOnlyDictionary<string, double> FiringRates, PhaseTimes Times, double OptimiserMs,
    string? NonFinite = null);

public static class TrainingStep
{
    /// <summary>
    /// Runs one iteration in a dispose scope of its own: every tensor created here (activations, records, outputs) is
    /// freed on return; only parameters, gradients and optimiser state persist. With <paramref name="guard"/>, a
    /// non-finite loss or gradient skips the optimiser step and is named in <see cref="StepMetrics.NonFinite"/>.
    /// </summary>
    public static StepMetrics Run(SpikingNetwork network, GradientEstimator estimator, optim.Optimizer optimizer, SpikeInput input, Tensor labels,
        ICollective? collective = null, bool guard = false)
    {
        using var scope = NewDisposeScope();
        optimizer.zero_grad();
        var result = estimator.Backward(network, input, labels);
        collective?.AverageGradients([.. network.parameters()]);
        var nonFinite = guard ? NumericalGuard.FirstNonFinite(network, result.Loss) : null;
        if (nonFinite is not null)
            return new StepMetrics(result.Loss, 0, 0, labels.shape[0], result.FiringRates, result.Times, 0, nonFinite);
        long start = System.Diagnostics.Stopwatch.GetTimestamp();
        optimizer.step();
        double optimiserMs = System.Diagnostics.Stopwatch.GetElapsedTime(start).TotalMilliseconds;
        var (top1, top5) = Accuracy.Correct(result.Output, labels);
        return new StepMetrics(result.Loss, top1, top5, labels.shape[0], result.FiringRates, result.Times, optimiserMs);
    }
}

/// <summary>Top-1 and top-5 correct counts of a batch of outputs [B, K] against labels [B].</summary>
public static class Accuracy
{
    public static (long Top1, long Top5) Correct(Tensor output, Tensor labels)
    {
        using var scope = NewDisposeScope();
        int k = (int)Math.Min(5, output.shape[1]);
        var top = output.topk(k, dim: 1).indexes;            // [B, k]
        var hits = top.eq(labels.unsqueeze(1));               // [B, k]
        long top1 = hits[.., 0].sum().item<long>();
        long top5 = hits.any(dim: 1).sum().item<long>();
        return (top1, top5);
    }
}
