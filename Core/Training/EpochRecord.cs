// One epoch's training numbers (summed over ranks) and how they join the evaluation into the epoch's metrics row.
using SnnDsl.Core.Distributed;
using SnnDsl.Core.Metrics;
using SnnDsl.Core.Runs;

namespace SnnDsl.Core.Training;

/// <summary>
/// What the trainer's epoch of training steps returns: the epoch's learning rate, mean loss and top-1 over every rank's
/// samples, its training seconds, the mean firing rate per layer (this rank's) and the steps skipped as non-finite.
/// </summary>
public sealed record EpochTraining(double LearningRate, double Loss, double Top1, double Samples, double Seconds,
    IReadOnlyDictionary<string, double> FiringRates, int SkippedSteps)
{
    /// <summary>The epoch's numbers from this rank's running sums, summed over the ranks of <paramref name="collective"/>.</summary>
    public static EpochTraining FromTotals(double learningRate, MetricSnapshot local, ICollective collective, Func<double> seconds, int skipped)
    {
        var sums = collective.Sum([local.LossSum, local.Correct, local.Samples]);
        double loss = sums[0] / sums[2], top1 = 100 * sums[1] / sums[2];
        var rates = local.FiringRateSums.ToDictionary(kv => kv.Key, kv => kv.Value / Math.Max(local.Batches, 1));
        return new EpochTraining(learningRate, loss, top1, sums[2], seconds(), rates, skipped);
    }

    /// <summary>The epoch's metrics row: this training joined with the evaluation that followed it.</summary>
    public EpochMetrics Record(int epoch, EvaluationResult test, double evalSeconds) =>
        new(epoch, LearningRate, Loss, Top1, test.Loss, test.Top1, test.Top5, Seconds, evalSeconds, Samples / Seconds,
            FiringRates, test.Operations, SkippedSteps, test.PreciseBnSeconds);
}
