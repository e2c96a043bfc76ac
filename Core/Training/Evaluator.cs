// Evaluation: the plain spiking forward (multi-step, BN running statistics) over a test loader, without a graph.
using SnnDsl.Core.Benchmarks;
using SnnDsl.Core.Data;
using SnnDsl.Core.Layers;
using SnnDsl.Core.Model;
using TorchSharp;
using static TorchSharp.torch;
using F = TorchSharp.torch.nn.functional;

namespace SnnDsl.Core.Training;

/// <summary>Loss and top-1/top-5 accuracy (percent) over a split, and the synaptic operations per sample of its forward passes.</summary>
public sealed record EvaluationResult(double Loss, double Top1, double Top5, long Samples, SynapticOperations? Operations = null);

public static class Evaluator
{
    /// <summary>Evaluates at T steps; batch sums are combined over ranks by <paramref name="collective"/>.</summary>
    public static EvaluationResult Run(SpikingNetwork network, BatchLoader loader, int timeSteps, bool sequenceInput,
        ICollective collective, int limitBatches = 0)
    {
        network.eval();
        double lossSum = 0, top1 = 0, top5 = 0, samples = 0;
        int done = 0;
        using var counter = new OperationCounter();
        foreach (var batch in loader.Epoch(0))
        {
            using var scope = NewDisposeScope();
            batch.AttachTo(scope);
            using (no_grad())
            {
                var input = TrainingData.ToSpikeInput(batch.Inputs, sequenceInput);
                var (output, _) = network.MultiStep(input, new PassContext(timeSteps, record: false) { Operations = counter });
                var (c1, c5) = Accuracy.Correct(output, batch.Labels);
                lossSum += F.cross_entropy(output, batch.Labels, reduction: nn.Reduction.Sum).item<float>();
                top1 += c1;
                top5 += c5;
                samples += batch.Labels.shape[0];
            }
            counter.EndPass();
            if (limitBatches > 0 && ++done >= limitBatches) break;
        }
        var total = collective.Sum([lossSum, top1, top5, samples]);
        network.train();
        double n = Math.Max(total[3], 1);
        var operations = counter.Result(total[3], collective.Sum);
        return new EvaluationResult(total[0] / n, 100 * total[1] / n, 100 * total[2] / n, (long)total[3], operations);
    }
}
