// The training loop: epochs of training steps, evaluation, metrics, checkpoints, and exact resume.
using System.Diagnostics;
using SnnDsl.Core.Estimators;
using SnnDsl.Core.Model;
using SnnDsl.Dsl.Model;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;
using SnnDsl.Core.Settings;
using SnnDsl.Core.Runs;
using SnnDsl.Core.Metrics;
using SnnDsl.Core.Distributed;
using SnnDsl.Core.Data.Sources;

namespace SnnDsl.Core.Training;

/// <summary>What a trainer reports while it runs (progress bars, logs). Called on the training thread.</summary>
public interface ITrainingObserver
{
    void EpochStarted(int epoch, int epochs, int batches, double learningRate);
    void BatchFinished(int epoch, int batch, int batches, double loss, double top1, double samplesPerSecond);
    void EpochFinished(EpochMetrics metrics, bool best);
}

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
    readonly Device _device;

    public Trainer(NetworkSpec spec, TrainingConfig config, Device device, ICollective collective, ITrainingObserver observer)
    {
        _config = config.Validated();
        if (device.type == DeviceType.CPU) ActivationMemory.Check(spec, _config, ActivationMemory.AvailableBytes());
        _collective = collective;
        _observer = observer;
        _device = device;
        var runtime = config.Runtime;
        if (runtime.Threads > 0) set_num_threads(runtime.Threads);
        manual_seed(runtime.Seed);
        Network = NetworkBuilder.Build(spec, runtime.Seed, device);
        if (runtime.Weights is not null) LoadWeights(Network, runtime.Weights, runtime.WeightsMap, config.Network);
        collective.Broadcast([.. Network.state_dict().Values]);
        Optimizer = ParameterGroups.Create(Network, config.Optimizer);
        var estimator = config.Estimator;
        Estimator = GradientEstimator.Create(estimator.Kind,
            new EstimatorOptions(estimator.TimeSteps, estimator.RateGradientScale, LabelSmoothing: estimator.LabelSmoothing,
                BatchNormSync: runtime.SyncBatchNorm ? collective.BatchNormSync : null, SlttK: estimator.SlttK, Seed: runtime.Seed,
                Precision: runtime.Precision));
        Data = TrainingData.Open(config, spec, device, collective);
    }

    /// <summary>Loads initial weights; a file that does not fit is a settings error naming the tensor.</summary>
    /// <param name="mapping">name | order | reference | a .names.tsv file (<see cref="WeightMap.Parse"/>).</param>
    /// <param name="networkFile">The network's file: "reference" reads the name map beside it.</param>
    public static void LoadWeights(SpikingNetwork network, string path, string mapping, string networkFile)
    {
        try { WeightIO.Load(network, path, WeightMap.Parse(mapping, networkFile)); }
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

    EpochMetrics RunEpoch(int epoch, ref CheckpointState state)
    {
        double lr = LearningRateSchedule.At(epoch, _config);
        foreach (var group in Optimizer.ParamGroups) group.LearningRate = lr;
        int batches = _config.Schedule.LimitTrainBatches > 0 ? Math.Min(_config.Schedule.LimitTrainBatches, Data.Train.BatchesPerEpoch) : Data.Train.BatchesPerEpoch;
        batches = _collective.Min(batches); // ranks whose shard has one batch more skip it, so no rank waits alone in an all-reduce
        _observer.EpochStarted(epoch, _config.Schedule.Epochs, batches, lr);
        var clock = Stopwatch.StartNew();
        using var totals = new MetricTotals(_device);
        using var watch = new DivergenceWatch(Network, _config.Runtime.OnNonFinite, _device);
        var progress = new ProgressReader(totals, batches);
        int index = 0;
        foreach (var batch in Data.Train.Epoch(epoch))
        {
            StepMetrics step;
            using (var scope = NewDisposeScope())
            {
                batch.AttachTo(scope);
                // a skipped step must not leave its forward pass's BN statistics behind
                var buffers = watch.Skips ? Network.buffers().Select(b => b.clone()).ToList() : null;
                int current = index;
                step = TrainingStep.Run(Network, Estimator, Optimizer, TrainingData.ToSpikeInput(batch.Inputs, Data.SequenceInput), batch.Labels, _collective, totals,
                    result => watch.Accept(result, current));
                if (step.Skipped && buffers is not null) Restore(buffers);
            }
            state = state with { GlobalStep = state.GlobalStep + 1 };
            index++;
            if (progress.Due(index) is { } seen)
            {
                watch.ThrowIfDiverged(epoch);
                _observer.BatchFinished(epoch, index, batches, seen.MeanLoss, seen.Top1, seen.Samples / clock.Elapsed.TotalSeconds);
            }
            if (index >= batches) break;
        }
        watch.ThrowIfDiverged(epoch);
        int skipped = watch.Skipped;
        state = state with { SkippedSteps = state.SkippedSteps + skipped };
        var local = totals.Read();
        var train = _collective.Sum([local.LossSum, local.Correct, local.Samples]);
        var rates = local.FiringRateSums;
        double trainSeconds = clock.Elapsed.TotalSeconds;
        _collective.Broadcast([.. Network.buffers()]); // per-rank BN statistics: every rank evaluates rank 0's model, the one checkpointed
        var test = Evaluator.Run(Network, Data.Test, _config.Estimator.TimeSteps, Data.SequenceInput, _collective,
            _config.Schedule.LimitTestBatches, _config.Runtime.Precision);
        return new EpochMetrics(epoch, lr, train[0] / train[2], 100 * train[1] / train[2], test.Loss, test.Top1, test.Top5,
            trainSeconds, clock.Elapsed.TotalSeconds - trainSeconds, train[2] / trainSeconds, rates.ToDictionary(kv => kv.Key, kv => kv.Value / Math.Max(local.Batches, 1)),
            test.Operations, skipped);
    }

    /// <summary>
    /// When to copy the running totals to the host for the progress display: at most once per
    /// <see cref="Interval"/> and after the last batch. Every read waits for the device; the batches in between do not.
    /// </summary>
    sealed class ProgressReader(MetricTotals totals, int batches)
    {
        public static readonly TimeSpan Interval = TimeSpan.FromSeconds(1);
        readonly Stopwatch _sinceRead = Stopwatch.StartNew();

        public MetricSnapshot? Due(int batch)
        {
            if (batch < batches && _sinceRead.Elapsed < Interval) return null;
            _sinceRead.Restart();
            return totals.Read();
        }
    }
}
