// Evaluation: the plain spiking forward (multi-step, BN running statistics) over a test loader, without a graph.
using SnnDsl.Core.Data;
using SnnDsl.Core.Layers;
using SnnDsl.Core.Model;
using TorchSharp;
using static TorchSharp.torch;
using F = TorchSharp.torch.nn.functional;
using SnnDsl.Core.Metrics;
using SnnDsl.Core.Distributed;
using SnnDsl.Core.Data.Sources;

namespace SnnDsl.Core.Training;

/// <summary>Loss and top-1/top-5 accuracy (percent) over a split, and the synaptic operations per sample of its forward passes.</summary>
public sealed record EvaluationResult(double Loss, double Top1, double Top5, long Samples, SynapticOperations? Operations = null, double PreciseBnSeconds = 0);

public static class Evaluator
{
    /// <summary>Evaluates at T steps in <paramref name="precision"/>; batch sums are combined over ranks by <paramref name="collective"/>.</summary>
    public static EvaluationResult Run(SpikingNetwork network, BatchLoader loader, int timeSteps, bool sequenceInput,
        ICollective collective, int limitBatches = 0, Precision precision = Precision.Float32)
    {
        network.eval();
        // [loss sum, top-1, top-5] on the network's device: the loop never waits for the device, one read at the end
        Tensor? sums = null;
        double samples = 0;
        int done = 0;
        using var counter = new OperationCounter();
        foreach (var batch in loader.Epoch(0))
        {
            using var scope = NewDisposeScope();
            batch.AttachTo(scope);
            using (no_grad())
            {
                var input = TrainingData.ToSpikeInput(batch.Inputs, sequenceInput);
                var (output, _) = network.MultiStep(input, new PassContext(timeSteps, record: false) { Operations = counter, Precision = precision });
                var (c1, c5) = Accuracy.Correct(output, batch.Labels);
                var loss = F.cross_entropy(output, batch.Labels, reduction: nn.Reduction.Sum);
                var batchSums = stack([loss.to(float64), c1.to(float64), c5.to(float64)]);
                if (sums is null) sums = batchSums.DetachFromDisposeScope();
                else sums.add_(batchSums);
                samples += batch.Labels.shape[0];
            }
            counter.EndPass();
            Runtime.NativeMemory.CollectFinalizable(); // as after every training step: freed handles do not split the heap
            if (limitBatches > 0 && ++done >= limitBatches) break;
        }
        var host = sums is null ? new double[3] : sums.cpu().data<double>().ToArray();
        sums?.Dispose();
        double lossSum = host[0], top1 = host[1], top5 = host[2];
        var total = collective.Sum([lossSum, top1, top5, samples]);
        network.train();
        double n = Math.Max(total[3], 1);
        var operations = counter.Result(total[3], collective.Sum);
        return new EvaluationResult(total[0] / n, 100 * total[1] / n, 100 * total[2] / n, (long)total[3], operations);
    }
}
