// OTTT and SLTT / SLTT-K: single-step passes back-propagated step by step, with per-step losses (docs/online-methods.md).
using SnnDsl.Core.Layers;
using SnnDsl.Core.Model;
using TorchSharp;
using static TorchSharp.torch;

namespace SnnDsl.Core.Estimators;

/// <summary>
/// The online estimators. Every step runs single-step forward with a graph of that step only (membranes enter each
/// step detached), computes that step's loss ℓ_t = CE(o_t, y) and back-propagates it at once, so gradients accumulate
/// in .grad over the steps and at most one step's graph is alive: memory does not grow with T.
/// <list type="bullet">
/// <item>SLTT (Meng et al., ICCV 2023): L = (1/T)·Σ_t ℓ_t; the gradient is that of a BPTT whose membrane recurrence is cut.</item>
/// <item>SLTT-K: only K steps drawn per iteration (seeded, without replacement) build a graph; L = (1/K)·Σ_{t∈S} ℓ_t,
/// an unbiased estimate of SLTT's gradient over the draw. The other steps run without a graph.</item>
/// <item>OTTT (Xiao et al., NeurIPS 2022, OTTT_A): SLTT's graph plus presynaptic traces: each conv/linear layer fed by
/// spikes takes its weight gradient against â_t = λ·â_{t−1} + s_t, so Σ_t δ_t·â_tᵀ accumulates over the steps.</item>
/// </list>
/// The reported loss is (1/T)·Σ_t ℓ_t over all T steps, and the output is the mean read-out, as for the other estimators.
/// BN runs per step, as in BPTT-S.
/// </summary>
public sealed class OnlineEstimator : GradientEstimator
{
    readonly Random _draws;

    public OnlineEstimator(EstimatorOptions options, EstimatorKind kind) : base(options)
    {
        if (kind is not (EstimatorKind.Ottt or EstimatorKind.Sltt or EstimatorKind.SlttK))
            throw new ArgumentOutOfRangeException(nameof(kind), kind, "not an online estimator");
        Kind = kind;
        _draws = new Random(unchecked((int)options.Seed ^ (int)(options.Seed >> 32)));
    }

    public override EstimatorKind Kind { get; }

    /// <summary>The steps this iteration back-propagates: all T, or for SLTT-K a fresh seeded draw of K of them.</summary>
    public IReadOnlySet<int> DrawSteps()
    {
        int steps = Options.TimeSteps;
        if (Kind != EstimatorKind.SlttK) return Enumerable.Range(0, steps).ToHashSet();
        var order = Enumerable.Range(0, steps).ToArray();
        _draws.Shuffle(order);
        return order.Take(Options.StepsBackpropagated).ToHashSet();
    }

    public override GradientResult Backward(SpikingNetwork network, SpikeInput input, Tensor labels)
    {
        network.train();
        var learned = DrawSteps();
        var ctx = NewContext(record: false, new OnlinePass(presynapticTraces: Kind == EstimatorKind.Ottt));
        var run = new Totals(1.0 / (Options.SlttKWeight == SlttKWeight.InverseT ? Options.TimeSteps : learned.Count));
        for (int t = 0; t < ctx.TimeSteps; t++) ScopedStep(network, input, labels, ctx, t, learned.Contains(t), run);
        var output = run.OutputSum!.div_(ctx.TimeSteps);
        var loss = run.LossSum!.div_(ctx.TimeSteps);
        return new GradientResult(loss, output, ctx.FiringRates(), new PhaseTimes(run.ForwardMs, 0, run.BackwardMs));
    }

    /// <summary>What the steps accumulate: detached read-out and loss sums, phase times, the loss weight of a learned step.</summary>
    sealed class Totals(double weight)
    {
        public double Weight { get; } = weight;
        public Tensor? OutputSum, LossSum;
        public double ForwardMs, BackwardMs;

        public void Add(Tensor output, Tensor loss)
        {
            if (OutputSum is null) (OutputSum, LossSum) = (output, loss);
            else
            {
                OutputSum.add_(output);
                LossSum!.add_(loss);
                output.Dispose();
                loss.Dispose();
            }
        }
    }

    /// <summary>
    /// Step t in a dispose scope of its own: forward, loss, and (for a learned step) backward. Only the state the pass
    /// context keeps (detached membranes, traces, firing-rate sums) and the detached read-out and loss leave the scope;
    /// the state it replaced is freed, so nothing of earlier steps stays alive.
    /// </summary>
    void ScopedStep(SpikingNetwork network, SpikeInput input, Tensor labels, PassContext ctx, int t, bool learn, Totals run)
    {
        var before = ctx.Tensors();
        using var step = NewDisposeScope();
        var (output, loss) = learn ? LearnedStep(network, input, labels, ctx, t, run, step) : ForwardStep(network, input, labels, ctx, t, run);
        ctx.Online!.EndStep();
        var after = ctx.Tensors();
        step.MoveToOuter([.. after.Where(step.Contains), output, loss]);
        var kept = new HashSet<Tensor>(after, ReferenceEqualityComparer.Instance);
        foreach (var old in before.Where(old => !kept.Contains(old))) old.Dispose();
        run.Add(output, loss);
    }

    (Tensor Output, Tensor Loss) LearnedStep(SpikingNetwork network, SpikeInput input, Tensor labels, PassContext ctx, int t, Totals run, DisposeScope step)
    {
        var device = input.Data.device;
        long clock = StartClock(device);
        var output = network.Step(input, ctx, t);
        var loss = Loss(output, labels);
        run.ForwardMs += Elapsed(ref clock, device);
        Probe?.Invoke(EstimatorPhase.ForwardDone, [step]);
        Probe?.Invoke(EstimatorPhase.BeforeBackward, [step]);
        (run.Weight == 1.0 ? loss : loss * run.Weight).backward();
        run.BackwardMs += Elapsed(ref clock, device);
        return (output.detach(), loss.detach());
    }

    (Tensor Output, Tensor Loss) ForwardStep(SpikingNetwork network, SpikeInput input, Tensor labels, PassContext ctx, int t, Totals run)
    {
        var device = input.Data.device;
        long clock = StartClock(device);
        using var _ = no_grad();
        var output = network.Step(input, ctx, t);
        var loss = Loss(output, labels);
        run.ForwardMs += Elapsed(ref clock, device);
        return (output, loss);
    }
}
