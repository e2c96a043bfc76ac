// PreciseBN: BatchNorm's running statistics recomputed with the current weights before an evaluation.
using SnnDsl.Core.Data;
using SnnDsl.Core.Data.Sources;
using SnnDsl.Core.Distributed;
using SnnDsl.Core.Estimators;
using SnnDsl.Core.Layers;
using SnnDsl.Core.Model;
using TorchSharp;
using static TorchSharp.torch;

namespace SnnDsl.Core.Training;

/// <summary>
/// Replaces every BatchNorm layer's running mean and variance by their plain mean over a number of training batches,
/// run through the network's training-mode forward with the current weights (fvcore/pycls PreciseBN,
/// <c>torch.optim.swa_utils.update_bn</c>). The exponential running average that training leaves lags the weights:
/// in deep spiking networks a small shift of a BN input in evaluation flips spikes, and the flips compound layer by
/// layer (docs/results.md measured eval-mode top-1 falling from 75 % to 41 % on weights that are fine). The statistics
/// are those of the estimator's own forward: over T·B per batch for the multi-step estimators, per step for the
/// single-step ones, in the run's precision; under <c>mpirun</c> those of the global batch. Parameters, <c>num_batches_tracked</c> and torch's
/// generator (which dropout draws from) are left as they were, so training after a recomputation is the training
/// without it.
/// </summary>
public static class PreciseBatchNorm
{
    /// <summary>True when the estimator's forward runs the time loop inside each layer (BN statistics over T·B).</summary>
    public static bool IsMultiStep(EstimatorKind kind) => kind is EstimatorKind.BpttM or EstimatorKind.RateM;

    /// <summary>
    /// Recomputes the running statistics over the first <paramref name="batches"/> batches of <paramref name="epoch"/>
    /// of <paramref name="loader"/> (fewer if the epoch has fewer; the same number on every rank); returns how many
    /// batches it used (0: nothing to do, the network has no BatchNorm layer or batches is 0).
    /// </summary>
    public static int Recompute(SpikingNetwork network, BatchLoader loader, int epoch, int batches, int timeSteps,
        EstimatorKind kind, bool sequenceInput, ICollective collective, Precision precision = Precision.Float32)
    {
        var layers = network.modules().OfType<BatchNormLayer>().ToList();
        int count = collective.Min(Math.Min(batches, loader.BatchesPerEpoch));
        if (layers.Count == 0 || count <= 0) return 0;
        var average = new CumulativeStatistics();
        using var generator = get_rng_state();
        bool wasTraining = network.training;
        network.train();
        try
        {
            int done = 0;
            foreach (var batch in loader.Epoch(epoch))
            {
                Forward(network, batch, timeSteps, IsMultiStep(kind), sequenceInput, collective, average, precision);
                if (++done >= count) break;
            }
            return done;
        }
        finally
        {
            set_rng_state(generator);
            network.train(wasTraining);
        }
    }

    // one batch's training-mode forward without a graph, in its own dispose scope
    static void Forward(SpikingNetwork network, Batch batch, int timeSteps, bool multiStep, bool sequenceInput,
        ICollective collective, CumulativeStatistics average, Precision precision)
    {
        using (var scope = NewDisposeScope())
        using (no_grad())
        {
            batch.AttachTo(scope);
            var input = TrainingData.ToSpikeInput(batch.Inputs, sequenceInput);
            var ctx = new PassContext(timeSteps, record: false) { BatchNormSync = collective.BatchNormSync, CumulativeStatistics = average, Precision = precision };
            _ = multiStep ? network.MultiStep(input, ctx) : network.SingleStep(input, ctx);
        }
        Runtime.NativeMemory.CollectFinalizable(); // as after every training step: freed handles do not split the heap
    }
}
