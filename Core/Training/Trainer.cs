// The training loop: epochs of training steps, evaluation, metrics, checkpoints, and exact resume.
using System.Diagnostics;
using SnnDsl.Core.Estimators;
using SnnDsl.Core.Model;
using SnnDsl.Core.Training.Runs;
using SnnDsl.Core.Training.Settings;
using SnnDsl.Dsl.Model;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace SnnDsl.Core.Training;

/// <summary>What a trainer reports while it runs (progress bars, logs). Called on the training thread.</summary>
public interface ITrainingObserver
{
    void EpochStarted(int epoch, int epochs, int batches, double learningRate);
    void BatchFinished(int epoch, int batch, int batches, double loss, double top1, double samplesPerSecond);
    void EpochFinished(EpochMetrics metrics, bool best);
}

/// <summary>The final numbers of a run.</summary>
public sealed record TrainingSummary(IReadOnlyList<EpochMetrics> Epochs, double BestTop1, int BestEpoch);

/// <summary>
/// Trains a network per a <see cref="TrainingConfig"/>. Everything random is seeded from the config (initial weights,
/// data order and augmentation, dropout), and a checkpoint holds all the state that changes (weights, BN buffers,
/// momentum, epoch, torch's generator), so resuming after epoch k gives the same final weights as never stopping.
/// </summary>
public sealed class Trainer
{
    readonly TrainingConfig _config;
    readonly ICollective _collective;
    readonly ITrainingObserver _observer;

    public Trainer(NetworkSpec spec, TrainingConfig config, Device device, ICollective collective, ITrainingObserver observer)
    {
        _config = config.Validated();
        _collective = collective;
        _observer = observer;
        var runtime = config.Runtime;
        if (runtime.Threads > 0) set_num_threads(runtime.Threads);
        manual_seed(runtime.Seed);
        Network = NetworkBuilder.Build(spec, runtime.Seed, device);
        if (runtime.Weights is not null) LoadWeights(Network, runtime.Weights, runtime.WeightsMap);
        collective.Broadcast([.. Network.state_dict().Values]);
        Optimizer = ParameterGroups.Create(Network, config.Optimizer);
        var estimator = config.Estimator;
        Estimator = GradientEstimator.Create(estimator.Kind,
            new EstimatorOptions(estimator.TimeSteps, estimator.RateGradientScale, LabelSmoothing: estimator.LabelSmoothing,
                BatchNormSync: runtime.SyncBatchNorm ? collective.BatchNormSync : null));
        Data = TrainingData.Open(config, spec, device, collective);
    }

    /// <summary>Loads initial weights; a file that does not fit is a settings error naming the tensor.</summary>
    public static void LoadWeights(SpikingNetwork network, string path, WeightMapping mapping)
    {
        try { WeightIO.Load(network, path, mapping); }
        catch (WeightsException e) { throw new ConfigException($"weights {path}: {e.Message}"); }
    }

    public SpikingNetwork Network { get; }
    public OptimizerHelper Optimizer { get; }
    public GradientEstimator Estimator { get; }
    public TrainingData Data { get; }

    /// <summary>
    /// Runs the remaining epochs. With a run directory (rank 0), writes metrics and checkpoints; resumes from its last
    /// checkpoint when asked (other ranks, which have no run directory, receive rank 0's checkpoint). Divergence stops
    /// the run (status "diverged") before anything non-finite is saved.
    /// </summary>
    public TrainingSummary Run(RunDirectory? run, bool resume)
    {
        try { return RunEpochs(run, resume); }
        catch (DivergedException)
        {
            run?.SetStatus("diverged");
            throw;
        }
        catch
        {
            run?.SetStatus("failed");
            throw;
        }
    }

    TrainingSummary RunEpochs(RunDirectory? run, bool resume)
    {
        var state = new CheckpointState(0, double.NegativeInfinity, -1, 0);
        var history = new List<EpochMetrics>();
        if (resume)
        {
            state = SharedCheckpoint.Load(run?.LastCheckpoint, Network, Optimizer, _collective);
            run?.KeepMetricsBefore(state.EpochsDone);
            if (run is not null) history.AddRange(run.ReadMetrics());
        }
        run?.SetStatus("running");
        for (int epoch = state.EpochsDone; epoch < _config.Schedule.Epochs; epoch++)
        {
            var metrics = RunEpoch(epoch, ref state);
            RefuseNonFiniteState(epoch);
            bool best = metrics.TestTop1 > state.BestTop1;
            state = state with { EpochsDone = epoch + 1, BestTop1 = best ? metrics.TestTop1 : state.BestTop1, BestEpoch = best ? epoch : state.BestEpoch };
            run?.RecordEpoch(metrics, Network, Optimizer, state, best);
            history.Add(metrics);
            _observer.EpochFinished(metrics, best);
        }
        var summary = new TrainingSummary(history, state.BestTop1, state.BestEpoch);
        run?.WriteSummary(summary);
        run?.SetStatus("finished");
        return summary;
    }

    void RefuseNonFiniteState(int epoch)
    {
        var name = NumericalGuard.FirstNonFiniteState(Network);
        if (name is not null)
            throw new DivergedException($"training diverged in epoch {epoch + 1}: '{name}' holds NaN or infinity at the end of the epoch; " +
                "it was not saved, the last checkpoint is the previous epoch's; try a smaller --learning-rate");
    }

    void Restore(List<Tensor> saved)
    {
        using var _ = no_grad();
        foreach (var (buffer, copy) in Network.buffers().Zip(saved)) buffer.copy_(copy);
    }

    /// <summary>Stops (or, with on-non-finite skip, counts) a step whose loss or gradient was not finite.</summary>
    void OnNonFinite(StepMetrics step, int epoch, int batch, ref int skipped)
    {
        if (_config.Runtime.OnNonFinite == NonFiniteAction.Skip) { skipped++; return; }
        var loss = step.NonFinite == "loss" ? "" : $" (loss {step.Loss})";
        throw new DivergedException($"training diverged in epoch {epoch + 1}, batch {batch}: the {step.NonFinite} is NaN or infinite{loss}; " +
            "nothing of this epoch was saved; try a smaller --learning-rate, or --on-non-finite skip to drop such steps");
    }

    EpochMetrics RunEpoch(int epoch, ref CheckpointState state)
    {
        double lr = LearningRateSchedule.At(epoch, _config);
        foreach (var group in Optimizer.ParamGroups) group.LearningRate = lr;
        int batches = _config.Schedule.LimitTrainBatches > 0 ? Math.Min(_config.Schedule.LimitTrainBatches, Data.Train.BatchesPerEpoch) : Data.Train.BatchesPerEpoch;
        batches = _collective.Min(batches); // ranks whose shard has one batch more skip it, so no rank waits alone in an all-reduce
        _observer.EpochStarted(epoch, _config.Schedule.Epochs, batches, lr);
        var clock = Stopwatch.StartNew();
        double lossSum = 0, correct = 0, seen = 0;
        var rates = new Dictionary<string, double>();
        int index = 0, skipped = 0;
        foreach (var batch in Data.Train.Epoch(epoch))
        {
            StepMetrics step;
            using (var scope = NewDisposeScope())
            {
                batch.AttachTo(scope);
                // a skipped step must not leave its forward pass's BN statistics behind
                var buffers = _config.Runtime.OnNonFinite == NonFiniteAction.Skip ? Network.buffers().Select(b => b.clone()).ToList() : null;
                step = TrainingStep.Run(Network, Estimator, Optimizer, TrainingData.ToSpikeInput(batch.Inputs, Data.SequenceInput), batch.Labels, _collective, guard: true);
                if (step.NonFinite is not null && buffers is not null) Restore(buffers);
            }
            index++;
            if (step.NonFinite is not null)
            {
                OnNonFinite(step, epoch, index, ref skipped);
                state = state with { SkippedSteps = state.SkippedSteps + 1 };
                if (index >= batches) break;
                continue;
            }
            lossSum += step.Loss * step.Samples;
            correct += step.Correct;
            seen += step.Samples;
            foreach (var (layer, rate) in step.FiringRates) rates[layer] = rates.GetValueOrDefault(layer) + rate;
            state = state with { GlobalStep = state.GlobalStep + 1 };
            _observer.BatchFinished(epoch, index, batches, lossSum / seen, 100 * correct / seen, seen / clock.Elapsed.TotalSeconds);
            if (index >= batches) break;
        }
        var train = _collective.Sum([lossSum, correct, seen]);
        double trainSeconds = clock.Elapsed.TotalSeconds;
        _collective.Broadcast([.. Network.buffers()]); // per-rank BN statistics: every rank evaluates rank 0's model, the one checkpointed
        var test = Evaluator.Run(Network, Data.Test, _config.Estimator.TimeSteps, Data.SequenceInput, _collective, _config.Schedule.LimitTestBatches);
        return new EpochMetrics(epoch, lr, train[0] / train[2], 100 * train[1] / train[2], test.Loss, test.Top1, test.Top5,
            trainSeconds, clock.Elapsed.TotalSeconds - trainSeconds, train[2] / trainSeconds, rates.ToDictionary(kv => kv.Key, kv => kv.Value / Math.Max(index - skipped, 1)), skipped);
    }
}
