// The gradient estimators over one network and batch: BPTT-M, BPTT-S, Rate-M, Rate-S (docs/rate-bp.md §2–3); OTTT and SLTT in OnlineEstimators.cs.
using System.Diagnostics;
using SnnDsl.Core.Layers;
using SnnDsl.Core.Model;
using SnnDsl.Core.Runtime;
using SnnDsl.Core.Surrogates;
using TorchSharp;
using static TorchSharp.torch;
using F = TorchSharp.torch.nn.functional;

namespace SnnDsl.Core.Estimators;

public enum EstimatorKind
{
    /// <summary>BPTT, time loop inside each layer; BN statistics over T·B.</summary>
    BpttM,
    /// <summary>BPTT, time loop outside the network; BN statistics per step.</summary>
    BpttS,
    /// <summary>Rate-BP: multi-step spike pass without a graph, then one rate pass with backward.</summary>
    RateM,
    /// <summary>Rate-BP: single-step spike pass with online rates/eligibilities/BN statistics, then one rate pass.</summary>
    RateS,
    /// <summary>Online training through time (Xiao et al. 2022, OTTT_A): per-step backward, weight gradients against presynaptic traces.</summary>
    Ottt,
    /// <summary>Spatial learning through time (Meng et al. 2023): per-step backward with the temporal gradient path dropped.</summary>
    Sltt,
    /// <summary>SLTT back-propagating only K seeded-random steps of the T per iteration.</summary>
    SlttK,
}

/// <summary>Options shared by the estimators.</summary>
/// <param name="TimeSteps">T.</param>
/// <param name="RateGradientScale">
/// Rate-BP only: the factor on the gradient (not the loss value). The reference multiplies by 1/T and its published
/// learning rates assume it; <see cref="RateScaling.InverseT"/> is the default.</param>
/// <param name="GradientForm">
/// How spikes carry surrogate gradients in BPTT graphs. Straight-through is the default: measured with `snn bench
/// --spike-grad straight-through,custom` (BPTT-M, spiking ResNet-18, batch 16, T = 4, 2 threads, 5 round-robin
/// iterations, load average 4-5 on 2 cores): straight-through 5066 ms median (min 1057), held for backward 316 MB;
/// custom autograd function 5876 ms median (min 2482), 452 MB (its backward is a managed callback per LIF layer and step).</param>
/// <param name="LabelSmoothing">Cross-entropy label smoothing.</param>
/// <param name="BatchNormSync">Data-parallel SyncBN: the reducer of BatchNorm statistics over ranks; null: per-rank statistics.</param>
/// <param name="SynchronisedTiming">
/// Wait for the device before reading each phase clock, so that phase times on a GPU (whose kernels run
/// asynchronously) measure the work of the phase and not only its launch. Benchmarks set it; training leaves it off,
/// as every synchronisation stalls the host.</param>
/// <param name="SlttK">SLTT-K: steps back-propagated per iteration; 0 = ⌊T/2⌋ (at least 1). Capped at T.</param>
/// <param name="Seed">SLTT-K: the seed of the draw of steps (one draw per iteration, reproducible).</param>
/// <param name="Precision">The arithmetic of conv and linear layers (float32, or bf16 over float32 master weights).</param>
/// <param name="SlttKWeight">SLTT-K: the loss weight of a drawn step, 1/K (ours: the expected gradient is SLTT's) or 1/T (the authors' script).</param>
public sealed record EstimatorOptions(
    int TimeSteps,
    RateScaling RateGradientScale = RateScaling.InverseT,
    SpikeGradientForm GradientForm = SpikeGradientForm.StraightThrough,
    double LabelSmoothing = 0.0,
    IBatchNormSync? BatchNormSync = null,
    bool SynchronisedTiming = false,
    int SlttK = 0,
    long Seed = 0,
    Precision Precision = Precision.Float32,
    SlttKWeight SlttKWeight = SlttKWeight.InverseK)
{
    /// <summary>K of SLTT-K for this T: <see cref="SlttK"/>, or ⌊T/2⌋ (at least 1) when 0, never more than T.</summary>
    public int StepsBackpropagated => Math.Min(TimeSteps, SlttK > 0 ? SlttK : Math.Max(1, TimeSteps / 2));
}

/// <summary>SLTT-K: the loss weight of each of the K drawn steps.</summary>
public enum SlttKWeight
{
    /// <summary>1/K: the expected gradient over the draw equals SLTT's (1/T)·Σ_t (the default).</summary>
    InverseK,
    /// <summary>1/T, as the SLTT authors' train_SLTTK.py: steps T/K times smaller than 1/K's at the same learning rate.</summary>
    InverseT,
}

public enum RateScaling
{
    /// <summary>Gradients of rate-BP are multiplied by 1/T (the reference's behaviour; loss value unchanged).</summary>
    InverseT,
    /// <summary>Gradients of rate-BP are not scaled.</summary>
    None,
}

/// <summary>
/// What one forward+backward produced, as tensors on the network's device (nothing here has waited for the device):
/// the loss (0-d, detached), the mean over time of the read-out [B, K] (detached), and each neuron layer's mean firing
/// rate (0-d). <see cref="ReadLoss"/> and <see cref="ReadFiringRates"/> copy them to the host, a synchronisation on a GPU.
/// </summary>
public sealed record GradientResult(Tensor Loss, Tensor Output, IReadOnlyDictionary<string, Tensor> FiringRates, PhaseTimes Times)
{
    public double ReadLoss() => Loss.to(float64).item<double>();

    public IReadOnlyDictionary<string, double> ReadFiringRates() =>
        FiringRates.ToDictionary(kv => kv.Key, kv => kv.Value.to(float64).item<double>());
}

/// <summary>Points of an iteration where a <see cref="GradientEstimator.Probe"/> is called.</summary>
public enum EstimatorPhase
{
    /// <summary>The forward pass (BPTT) or spike pass (rate-BP) has run; its intermediates are still alive.</summary>
    ForwardDone,
    /// <summary>The loss is computed and backward is about to run: what is alive now is held for backward.</summary>
    BeforeBackward,
}

/// <summary>Wall time of the phases of one iteration, in milliseconds.</summary>
public sealed record PhaseTimes(double ForwardMs, double RatePassMs, double BackwardMs);

/// <summary>
/// Computes the loss on one batch and accumulates parameter gradients (in .grad) with one estimator. The caller owns
/// the dispose scope around the call, zeroes gradients, and steps the optimiser.
/// </summary>
public abstract class GradientEstimator(EstimatorOptions options)
{
    public EstimatorOptions Options { get; } = options;
    public abstract EstimatorKind Kind { get; }

    /// <summary>
    /// Called at each <see cref="EstimatorPhase"/> with the dispose scopes the estimator itself has open (benchmarks read
    /// memory there); null in training. Its time falls in the phase times.
    /// </summary>
    public Action<EstimatorPhase, IReadOnlyList<DisposeScope>>? Probe { get; set; }

    public static GradientEstimator Create(EstimatorKind kind, EstimatorOptions options) => kind switch
    {
        EstimatorKind.BpttM => new BpttEstimator(options, multiStep: true),
        EstimatorKind.BpttS => new BpttEstimator(options, multiStep: false),
        EstimatorKind.RateM => new RateEstimator(options, multiStep: true),
        EstimatorKind.RateS => new RateEstimator(options, multiStep: false),
        EstimatorKind.Ottt => new OnlineEstimator(options, EstimatorKind.Ottt),
        EstimatorKind.Sltt => new OnlineEstimator(options, EstimatorKind.Sltt),
        EstimatorKind.SlttK => new OnlineEstimator(options, EstimatorKind.SlttK),
        _ => throw new ArgumentOutOfRangeException(nameof(kind)),
    };

    /// <summary>Runs forward and backward for one batch in training mode; labels: [B] int64.</summary>
    public abstract GradientResult Backward(SpikingNetwork network, SpikeInput input, Tensor labels);

    /// <summary>The context of one training pass over a batch.</summary>
    protected PassContext NewContext(bool record, OnlinePass? online = null) =>
        new(Options.TimeSteps, record, Options.GradientForm) { BatchNormSync = Options.BatchNormSync, Online = online, Precision = Options.Precision };

    protected Tensor Loss(Tensor output, Tensor labels) =>
        F.cross_entropy(output, labels, label_smoothing: Options.LabelSmoothing);

    /// <summary>The phase clock's start, after the device has finished earlier work when timing is synchronised.</summary>
    protected long StartClock(Device device)
    {
        if (Options.SynchronisedTiming) Devices.Synchronise(device);
        return Stopwatch.GetTimestamp();
    }

    /// <summary>Milliseconds since <paramref name="since"/> (then reset to now), after waiting for <paramref name="device"/> when timing is synchronised.</summary>
    protected double Elapsed(ref long since, Device device)
    {
        if (Options.SynchronisedTiming) Devices.Synchronise(device);
        long now = Stopwatch.GetTimestamp();
        double ms = Stopwatch.GetElapsedTime(since, now).TotalMilliseconds;
        since = now;
        return ms;
    }
}

/// <summary>Backpropagation through time: one graph over all T steps (docs/rate-bp.md §2).</summary>
public sealed class BpttEstimator(EstimatorOptions options, bool multiStep) : GradientEstimator(options)
{
    public override EstimatorKind Kind => multiStep ? EstimatorKind.BpttM : EstimatorKind.BpttS;

    public override GradientResult Backward(SpikingNetwork network, SpikeInput input, Tensor labels)
    {
        network.train();
        long clock = StartClock(input.Data.device);
        var ctx = NewContext(record: false);
        var (output, _) = multiStep ? network.MultiStep(input, ctx) : network.SingleStep(input, ctx);
        var loss = Loss(output, labels);
        double forward = Elapsed(ref clock, input.Data.device);
        Probe?.Invoke(EstimatorPhase.ForwardDone, []);
        Probe?.Invoke(EstimatorPhase.BeforeBackward, []);
        loss.backward();
        double backward = Elapsed(ref clock, input.Data.device);
        return new GradientResult(loss.detach(), output.detach(), ctx.FiringRates(), new PhaseTimes(forward, 0, backward));
    }
}

/// <summary>
/// Rate-based backpropagation (docs/rate-bp.md §3): a spike pass over T steps without a graph records rates, eligibilities
/// and BN statistics; one rate pass on the time-averaged input builds a graph the size of one step; backward once.
/// The output (and so the loss) equals the spike pass's mean output; gradients are scaled per <see cref="RateScaling"/>.
/// </summary>
public sealed class RateEstimator(EstimatorOptions options, bool multiStep) : GradientEstimator(options)
{
    public override EstimatorKind Kind => multiStep ? EstimatorKind.RateM : EstimatorKind.RateS;

    public override GradientResult Backward(SpikingNetwork network, SpikeInput input, Tensor labels)
    {
        network.train();
        long clock = StartClock(input.Data.device);
        var ctx = NewContext(record: true);
        var spikeOutput = SpikePass(network, input, ctx);
        double spikePass = Elapsed(ref clock, input.Data.device);
        var output = SpikeValueRateGradient(spikeOutput, network.Rate(input, ctx));
        var loss = Loss(output, labels);
        double ratePass = Elapsed(ref clock, input.Data.device);
        double scale = Options.RateGradientScale == RateScaling.InverseT ? 1.0 / Options.TimeSteps : 1.0;
        Probe?.Invoke(EstimatorPhase.BeforeBackward, []);
        (scale == 1.0 ? loss : loss * scale).backward();
        double backward = Elapsed(ref clock, input.Data.device);
        return new GradientResult(loss.detach(), output.detach(), ctx.FiringRates(), new PhaseTimes(spikePass, ratePass, backward));
    }

    /// <summary>
    /// The spike pass without a graph, in a dispose scope of its own: only what the pass context holds (records, and in
    /// rate-S the membranes) survives it, so nothing of the T steps' activations is alive during the rate pass and backward.
    /// Rate-S also frees each step's intermediates before the next step: its peak does not grow with T.
    /// </summary>
    Tensor SpikePass(SpikingNetwork network, SpikeInput input, PassContext ctx)
    {
        using var _ = no_grad();
        using var scope = NewDisposeScope();
        Tensor mean;
        if (multiStep)
        {
            mean = network.MultiStep(input, ctx).Mean;
            Probe?.Invoke(EstimatorPhase.ForwardDone, [scope]);
        }
        else
        {
            var outputs = new Tensor[ctx.TimeSteps];
            for (int t = 0; t < ctx.TimeSteps; t++) outputs[t] = ScopedStep(network, input, ctx, t, scope);
            mean = stack(outputs).mean([0]); // as SpikingNetwork.SingleStep, so that the value is BPTT-S's bit for bit
        }
        scope.MoveToOuter([.. ctx.Tensors().Where(scope.Contains), mean]);
        return mean;
    }

    /// <summary>
    /// The network's output: the spike pass's mean read-out [B, K] in value (BPTT's forward, so the loss equals BPTT's
    /// bit for bit), the rate pass's graph for the gradient: y = y_spike + (y_rate − stopgrad(y_rate)).
    /// </summary>
    static Tensor SpikeValueRateGradient(Tensor spikeOutput, Tensor rateOutput) =>
        spikeOutput + (rateOutput - rateOutput.detach());

    /// <summary>
    /// One single step in its own scope: the state it leaves in ctx and the step's read-out [B, K] move to
    /// <paramref name="pass"/>, the state it replaced is freed.
    /// </summary>
    Tensor ScopedStep(SpikingNetwork network, SpikeInput input, PassContext ctx, int t, DisposeScope pass)
    {
        var before = ctx.Tensors();
        using var step = NewDisposeScope();
        var output = network.Step(input, ctx, t);
        if (t == ctx.TimeSteps - 1) Probe?.Invoke(EstimatorPhase.ForwardDone, [pass, step]);
        var after = ctx.Tensors();
        step.MoveToOuter([.. after.Where(step.Contains), output]);
        var kept = new HashSet<Tensor>(after, ReferenceEqualityComparer.Instance);
        foreach (var old in before.Where(old => !kept.Contains(old))) old.Dispose();
        return output;
    }
}
