// The training loop: epochs of training steps, evaluation, metrics, checkpoints, and exact resume.
using System.Diagnostics;
using SnnDsl.Core.Data;
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

    /// <summary>Opens the run (<see cref="Run.Open"/>), refusing first a CPU run whose activations cannot fit in memory.</summary>
    public Trainer(NetworkSpec spec, TrainingConfig config, Device device, ICollective collective, ITrainingObserver observer)
        : this(Runs.Run.Open(config, spec, device, collective, RefuseActivationMemory(spec, device)), collective, observer) { }

    /// <summary>Trains an opened run: its initial weights (when set) on every rank as rank 0's, the optimiser and the estimator.</summary>
    public Trainer(Run run, ICollective collective, ITrainingObserver observer)
    {
        _config = run.Config;
        _collective = collective;
        _observer = observer;
        _device = run.Device;
        Network = run.Network;
        Data = run.Data;
        var runtime = _config.Runtime;
        if (runtime.Weights is not null) run.LoadWeights(runtime.Weights, runtime.WeightsMap);
        collective.Broadcast([.. Network.state_dict().Values]);
        Optimizer = ParameterGroups.Create(Network, _config.Optimizer);
        var estimator = _config.Estimator;
        Estimator = GradientEstimator.Create(estimator.Kind,
            new EstimatorOptions(estimator.TimeSteps, estimator.RateGradientScale, LabelSmoothing: estimator.LabelSmoothing,
                BatchNormSync: runtime.SyncBatchNorm ? collective.BatchNormSync : null, SlttK: estimator.SlttK, Seed: runtime.Seed,
                Precision: runtime.Precision, SlttKWeight: estimator.SlttKWeight));
    }

    static Action<TrainingConfig>? RefuseActivationMemory(NetworkSpec spec, Device device) =>
        device.type == DeviceType.CPU ? config => ActivationMemory.Check(spec, config, ActivationMemory.AvailableBytes()) : null;

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
        // rank 0's run says whether there is a checkpoint; a run killed before its first one resumes from its start
        if (resume && _collective.Sum([run is { HasCheckpoint: true } ? 1 : 0])[0] > 0)
            state = SharedCheckpoint.Load(run?.LastCheckpoint, Network, Optimizer, _collective);
        if (resume)
        {
            run?.KeepMetricsBefore(state.EpochsDone);
            if (run is not null) history.AddRange(run.ReadMetrics());
        }
        run?.SetStatus("running");
        for (int epoch = state.EpochsDone; epoch < _config.Schedule.Epochs; epoch++)
        {
            var train = TrainOneEpoch(epoch, ref state);
            var clock = Stopwatch.StartNew();
            var test = Validate(epoch);
            var metrics = train.Record(epoch, test, clock.Elapsed.TotalSeconds);
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

    /// <summary>
    /// One epoch of training steps at the schedule's learning rate, with progress and the divergence watch; advances
    /// the state's step counts. Evaluation is not part of it (<see cref="Validate"/>).
    /// </summary>
    EpochTraining TrainOneEpoch(int epoch, ref CheckpointState state)
    {
        double lr = ApplySchedule(epoch);
        int batches = BatchesThisEpoch();
        _observer.EpochStarted(epoch, _config.Schedule.Epochs, batches, lr);
        var clock = Stopwatch.StartNew();
        using var totals = new MetricTotals(_device);
        using var watch = new DivergenceWatch(Network, _config.Runtime.OnNonFinite, _device);
        var progress = new ProgressReader(totals, batches);
        int index = 0;
        foreach (var batch in Data.Train.Epoch(epoch))
        {
            TrainBatch(batch, index, totals, watch);
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
        state = state with { SkippedSteps = state.SkippedSteps + watch.Skipped };
        return EpochTraining.FromTotals(lr, totals.Read(), _collective, () => clock.Elapsed.TotalSeconds, watch.Skipped);
    }

    /// <summary>
    /// Evaluates on the test split after recomputing BN's running statistics with the current weights over
    /// --precise-bn-batches training batches of <paramref name="epoch"/> (PreciseBN; 0 = the running averages training
    /// left). Every rank evaluates rank 0's model, the one checkpointed: the per-rank BN statistics are replaced by rank
    /// 0's first (after a recomputation they are already the global batch's on every rank).
    /// </summary>
    public EvaluationResult Validate(int epoch)
    {
        var clock = Stopwatch.StartNew();
        PreciseBatchNorm.Recompute(Network, Data.Train, epoch, _config.Schedule.PreciseBnBatches, _config.Estimator.TimeSteps,
            _config.Estimator.Kind, Data.SequenceInput, _collective, _config.Runtime.Precision);
        _collective.Broadcast([.. Network.buffers()]);
        double preciseBnSeconds = _config.Schedule.PreciseBnBatches > 0 ? clock.Elapsed.TotalSeconds : 0;
        return Evaluator.Run(Network, Data.Test, _config.Estimator.TimeSteps, Data.SequenceInput, _collective, _config.Schedule.LimitTestBatches,
            _config.Runtime.Precision) with { PreciseBnSeconds = preciseBnSeconds };
    }

    double ApplySchedule(int epoch)
    {
        double lr = LearningRateSchedule.At(epoch, _config);
        foreach (var group in Optimizer.ParamGroups) group.LearningRate = lr;
        return lr;
    }

    /// <summary>The batches every rank trains this epoch: the batch limit, and ranks whose shard has one batch more skip it, so no rank waits alone in an all-reduce.</summary>
    int BatchesThisEpoch()
    {
        int all = Data.Train.BatchesPerEpoch, limit = _config.Schedule.LimitTrainBatches;
        return _collective.Min(limit > 0 ? Math.Min(limit, all) : all);
    }

    /// <summary>One training step in its own dispose scope; a skipped step leaves no BN statistics of its forward pass behind.</summary>
    void TrainBatch(Batch batch, int index, MetricTotals totals, DivergenceWatch watch)
    {
        using var scope = NewDisposeScope();
        batch.AttachTo(scope);
        var buffers = watch.Skips ? Network.buffers().Select(b => b.clone()).ToList() : null;
        var step = TrainingStep.Run(Network, Estimator, Optimizer, TrainingData.ToSpikeInput(batch.Inputs, Data.SequenceInput), batch.Labels, _collective, totals,
            result => watch.Accept(result, index));
        if (step.Skipped && buffers is not null) Restore(buffers);
    }

    void Restore(List<Tensor> saved)
    {
        using var _ = no_grad();
        foreach (var (buffer, copy) in Network.buffers().Zip(saved)) buffer.copy_(copy);
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
