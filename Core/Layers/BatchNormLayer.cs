// Batch normalisation in the three modes, including rate-BP's rate pass with spike-pass statistics (docs/rate-bp.md).
using SnnDsl.Dsl.Model;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;
using F = TorchSharp.torch.nn.functional;

namespace SnnDsl.Core.Layers;

/// <summary>
/// BatchNorm over channels of [N, C, H, W] or [N, C]. Multi-step statistics are taken over T·B (tdBN-like),
/// single-step statistics per step. The spike pass records the batch mean and biased variance (rate-S: their mean
/// over steps) and updates the running statistics; the rate pass normalises with the recorded statistics in value
/// while the gradient flows through the statistics of the rate batch, and does not update running statistics again.
/// In a data-parallel job the statistics are per rank (each rank's local batch) unless the pass context carries an
/// <see cref="IBatchNormSync"/> (SyncBN): then every batch statistic above, spike pass, rate pass and BPTT graph
/// alike, is that of the global batch, and its gradient flows across ranks.
/// </summary>
public sealed class BatchNormLayer : SpikingLayer
{
    readonly BatchNormSpec _spec;
    // Read back from the registry on every use: Module.to(...) replaces registered tensors (see WeightedLayer).
    public Parameter Weight => Registry.Parameter(this, "weight");
    public Parameter Bias => Registry.Parameter(this, "bias");
    public Tensor RunningMean => Registry.Buffer(this, "running_mean");
    public Tensor RunningVar => Registry.Buffer(this, "running_var");
    public Tensor BatchesTracked => Registry.Buffer(this, "num_batches_tracked");

    sealed class Statistics : IPassState
    {
        public Tensor? MeanSum, VarSum;
        public int Steps;
        public IEnumerable<Tensor?> Tensors => [MeanSum, VarSum];
    }

    public BatchNormLayer(BatchNormSpec spec, string path, long channels) : base(spec.Name, path)
    {
        _spec = spec;
        register_parameter("weight", new Parameter(ones(channels)));
        register_parameter("bias", new Parameter(zeros(channels)));
        register_buffer("running_mean", zeros(channels));
        register_buffer("running_var", ones(channels));
        register_buffer("num_batches_tracked", zeros(1, dtype: int64).squeeze());
    }

    public override Tensor MultiStep(Tensor x, PassContext ctx) => Normalise(x, ctx);

    public override Tensor SingleStep(Tensor x, PassContext ctx) => Normalise(x, ctx);

    Tensor Normalise(Tensor x, PassContext ctx)
    {
        double momentum = training ? RunningMomentum(ctx) : 0.0;
        if (training && ctx.BatchNormSync is { } sync) return NormaliseSynced(x, ctx, sync, momentum);
        // BPTT, evaluation and the spike pass alike: one kernel, which in training also updates the running statistics
        var y = F.batch_norm(x, RunningMean, RunningVar, Weight, Bias, training, momentum, _spec.Eps);
        if (!training) return y;
        if (ctx.Record) RecordSpikePass(x, ctx);
        CountBatch(ctx);
        return y;
    }

    // the layer's momentum, or the cumulative mean's while BN statistics are being recomputed (PreciseBN)
    double RunningMomentum(PassContext ctx) => ctx.CumulativeStatistics?.NextMomentum(this) ?? _spec.Momentum;

    /// <summary>
    /// num_batches_tracked counts the calls that update the running statistics, as torch.nn.BatchNorm2d does (the
    /// functional kernel above leaves it alone): one per multi-step forward or spike pass, one per step single-step,
    /// none for the rate pass, evaluation or a recomputation of the statistics before evaluation (PreciseBN, which
    /// is not training). So the state equals the reference code's after every iteration.
    /// </summary>
    void CountBatch(PassContext ctx)
    {
        if (ctx.CumulativeStatistics is not null) return;
        using var _ = no_grad();
        BatchesTracked.add_(One);
    }

    /// <summary>
    /// Scalars handed to libtorch are held for the whole call. TorchSharp 0.107 drops its reference to an implicitly
    /// converted Scalar once it has read the handle, and leaves it to the finalizer (TorchSharp PR 1434), so a
    /// collection triggered by another thread could free it while libtorch reads it. Suspected behind the rare
    /// "Expected false to be true" in c10::Scalar::toLong from CountBatch in parallel test runs; a 300,000-call stress
    /// with a thread collecting continuously did not reproduce it, so this is a precaution, not a proven fix.
    /// </summary>
    static readonly Scalar One = 1, Zero = 0.0;

    /// <summary>
    /// The spike pass is BPTT's forward bit for bit (docs/rate-bp.md): its output comes from the training-mode kernel
    /// above, and the batch mean and biased variance the rate pass needs are computed beside it for the record only
    /// (normalising with them instead rounds differently, and a membrane on the threshold would fire in one pass only).
    /// </summary>
    void RecordSpikePass(Tensor x, PassContext ctx)
    {
        var (mean, variance) = ChannelMoments(x);
        Record(ctx, mean, variance);
    }

    /// <summary>
    /// Channel mean and biased variance [C] of a spike-pass input, two-pass: mean, then the mean of squared deviations
    /// in one temporary. libtorch 2.10's <c>var_mean</c> over [0, 2, 3] is a slow strided reduction on the CPU (10.0 ms
    /// for [64, 64, 32, 32] on 2 threads against 1.4 ms for this and 3.0 ms for the whole training-mode batch norm);
    /// the two-pass variance is within 3e-7 (relative) of a float64 reference.
    /// </summary>
    public static (Tensor Mean, Tensor Variance) ChannelMoments(Tensor x)
    {
        using var _ = no_grad();
        var dims = ReducedDims(x);
        using var mean = x.mean(dims, keepdim: true);
        using var deviation = x - mean;
        deviation.mul_(deviation);
        return (mean.flatten(), deviation.mean(dims));
    }

    // SyncBN, training: global statistics (differentiable when x needs a graph), recorded in the spike pass
    Tensor NormaliseSynced(Tensor x, PassContext ctx, IBatchNormSync sync, double momentum)
    {
        var shape = BroadcastShape(x);
        var (mean, variance, count) = SyncedStatistics.Moments(x, ReducedDims(x), shape, sync);
        if (ctx.Record) Record(ctx, mean, variance);
        UpdateRunning(mean.detach(), variance.detach(), count, momentum);
        CountBatch(ctx);
        using Scalar eps = _spec.Eps;
        var normalised = (x - mean.view(shape)) * (variance.view(shape) + eps).rsqrt();
        return normalised * Weight.view(shape) + Bias.view(shape);
    }

    void Record(PassContext ctx, Tensor mean, Tensor variance)
    {
        var stats = ctx.State(this, () => new Statistics());
        stats.MeanSum = stats.MeanSum is null ? mean : stats.MeanSum + mean;
        stats.VarSum = stats.VarSum is null ? variance : stats.VarSum + variance;
        stats.Steps++;
    }

    void UpdateRunning(Tensor mean, Tensor variance, long n, double m)
    {
        using var _ = no_grad();
        using Scalar keep = 1 - m, weight = m, unbias = n / Math.Max(n - 1.0, 1.0);
        RunningMean.mul_(keep).add_(mean, alpha: weight);
        RunningVar.mul_(keep).add_(variance * unbias, alpha: weight);
    }

    // x̄: [B, C, ...]; μ = μ_s + (μ_r − sg(μ_r)), σ² = σ²_s + (σ²_r − sg(σ²_r))
    public override Tensor Rate(Tensor x, PassContext ctx)
    {
        if (!training) return F.batch_norm(x, RunningMean, RunningVar, Weight, Bias, false, 0.0, _spec.Eps);
        var (spikeMean, spikeVariance) = RecordedStatistics(ctx);
        var dims = ReducedDims(x);
        var shape = BroadcastShape(x);
        var meanRate = BatchMean(x, dims, shape, ctx.BatchNormSync);
        var mean = spikeMean.view(shape) + (meanRate - meanRate.detach());
        // [B, C, ...] intermediates: handles released here, the graph keeps what backward needs
        using var centred = x - mean;
        using var squared = centred.square();
        var varRate = BatchMean(squared, dims, shape, ctx.BatchNormSync);
        var variance = spikeVariance.view(shape) + (varRate - varRate.detach());
        using Scalar eps = _spec.Eps;
        using var normalised = centred * (variance.clamp_min(Zero) + eps).rsqrt();
        using var scaled = normalised * Weight.view(shape);
        return scaled + Bias.view(shape);
    }

    // channel mean, keeping dims: of this rank's batch, or of the global batch under SyncBN
    static Tensor BatchMean(Tensor x, long[] dims, long[] shape, IBatchNormSync? sync) =>
        sync is null ? x.mean(dims, keepdim: true) : SyncedStatistics.MeanAndCount(x, dims, sync).Mean.view(shape);

    /// <summary>The batch mean and biased variance [C] that the spike pass recorded in ctx (rate-S: averaged over steps).</summary>
    public (Tensor Mean, Tensor Variance) RecordedStatistics(PassContext ctx)
    {
        var stats = ctx.Recorded<Statistics>(this, Path);
        return (stats.MeanSum! / stats.Steps, stats.VarSum! / stats.Steps);
    }

    static long[] ReducedDims(Tensor x) => x.dim() == 4 ? [0, 2, 3] : x.dim() == 2 ? [0]
        : throw new ArgumentException($"batch norm expects [N, C, H, W] or [N, C], got [{string.Join(", ", x.shape)}]", nameof(x));

    static long[] BroadcastShape(Tensor x) => x.dim() == 4 ? [1, x.shape[1], 1, 1] : [1, x.shape[1]];
}
