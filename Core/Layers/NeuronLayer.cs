// A layer of LIF/IF neurons in the three modes, recording the rate and eligibility for rate-BP in the spike pass.
using SnnDsl.Core.Neurons;
using SnnDsl.Dsl.Model;
using static TorchSharp.torch;

namespace SnnDsl.Core.Layers;

/// <summary>
/// Spiking neurons. Multi-step and single-step both run <see cref="LifDynamics.Step"/> (multi-step calls without a
/// graph on contiguous float32 CPU tensors run the same equations fused, <see cref="FusedLif"/>); the spike pass also
/// accumulates the firing rate r = (1/T)Σ s_t and the eligibility e = (1/T)Σ sg_t·ρ_t. The rate pass returns r in
/// value with gradient e: y = r + (e⊙x̄ − stopgrad(e⊙x̄)).
/// </summary>
public sealed class NeuronLayer(NeuronLayerSpec spec, string path) : SpikingLayer(spec.Name, path)
{
    public LifParameters Parameters { get; } = LifParameters.From(spec.Neuron);

    /// <summary>Per-pass neuron state: membrane after reset, and the spike-pass sums of spikes and sg·ρ.</summary>
    sealed class Trace : IPassState
    {
        public Tensor? V, SpikeSum, EligibilitySum;
        public Sensitivity Rho = Sensitivity.Initial;
        public int Steps;
        public IEnumerable<Tensor?> Tensors => [V, SpikeSum, EligibilitySum, Rho.PerNeuron];
    }

    /// <summary>
    /// Use <see cref="FusedLif"/> for multi-step calls without a graph on contiguous float32 CPU tensors (the default);
    /// false keeps the tensor-operation path everywhere (tests compare the two).
    /// </summary>
    public bool Fused { get; set; } = true;

    // x: [T·B, ...] -> spikes [T·B, ...]
    public override Tensor MultiStep(Tensor x, PassContext ctx)
    {
        var output = Fused && FusedLif.Applies(x) ? FusedMultiStep(x, ctx) : TensorMultiStep(x, ctx);
        ctx.ReportFiringRate(Path, output.mean());
        return output;
    }

    // one kernel call: the record holds the means already (Steps = 1), no membrane is kept
    Tensor FusedMultiStep(Tensor x, PassContext ctx)
    {
        var (spikes, rate, eligibility) = FusedLif.Run(x, ctx.TimeSteps, Parameters, ctx.Record);
        if (ctx.Record) ctx.State(this, () => new Trace { SpikeSum = rate, EligibilitySum = eligibility, Steps = 1 });
        return spikes;
    }

    Tensor TensorMultiStep(Tensor x, PassContext ctx)
    {
        using var xt = SplitTime(x, ctx.TimeSteps); // views of x: released so that x's storage can go once nothing needs it
        var trace = new Trace();
        var spikes = new Tensor[ctx.TimeSteps];
        for (int t = 0; t < ctx.TimeSteps; t++)
        {
            using var input = xt[t];
            spikes[t] = Advance(input, trace, ctx);
        }
        trace.V?.Dispose(); // multi-step calls do not carry the membrane; the record keeps only the sums
        trace.V = null;
        trace.Rho = Sensitivity.Initial;
        if (ctx.Record) ctx.State(this, () => trace);
        var output = stack(spikes).view(x.shape);
        foreach (var s in spikes) s.Dispose(); // the stacked copy is what the next layer and the graph use
        return output;
    }

    // x: [B, ...] -> spikes [B, ...]; the membrane carries over to the next call of this pass
    public override Tensor SingleStep(Tensor x, PassContext ctx)
    {
        var s = Advance(x, ctx.State(this, () => new Trace()), ctx);
        ctx.Online?.Fired(this, s, Parameters.Decay);
        ctx.ReportFiringRate(Path, s.mean());
        return s;
    }

    Tensor Advance(Tensor x, Trace trace, PassContext ctx)
    {
        var (u, s, v) = LifDynamics.Step(trace.V, x, Parameters, ctx.GradientForm);
        if (ctx.Record) Accumulate(trace, u, s);
        trace.V?.Dispose(); // the graph keeps what backward needs; these handles would only hold memory to the scope's end
        if (!ReferenceEquals(u, x)) u.Dispose();
        trace.V = ctx.Online is null ? v : OnlinePass.Membrane(v); // online training: no gradient through time
        trace.Steps++;
        return s;
    }

    void Accumulate(Trace trace, Tensor u, Tensor s)
    {
        using var sg = LifDynamics.SurrogateDerivative(u, Parameters);
        trace.EligibilitySum = trace.Rho.AccumulateInto(trace.EligibilitySum, sg);
        if (trace.SpikeSum is null) trace.SpikeSum = s.clone();
        else trace.SpikeSum.add_(s);
        var previous = trace.Rho.PerNeuron;
        trace.Rho = Eligibility.Next(trace.Rho, u, s, sg, Parameters);
        previous?.Dispose();
    }

    // x̄: [B, ...] -> r [B, ...], gradient e⊙∂L/∂y
    public override Tensor Rate(Tensor x, PassContext ctx)
    {
        var (rate, eligibility) = RateAndEligibility(ctx);
        using var ex = eligibility * x;
        using var detached = ex.detach();
        using var straightThrough = ex - detached;
        return rate + straightThrough;
    }

    /// <summary>
    /// The recorded firing rate r and eligibility e of the last spike pass in this context. The first call turns the
    /// recorded sums into means in place and drops the membrane, which no pass needs any more.
    /// </summary>
    public (Tensor Rate, Tensor Eligibility) RateAndEligibility(PassContext ctx)
    {
        var trace = ctx.Recorded<Trace>(this, Path);
        if (trace.Steps > 1)
        {
            trace.SpikeSum!.div_(trace.Steps);
            trace.EligibilitySum!.div_(trace.Steps);
            trace.Steps = 1;
        }
        trace.V?.Dispose();
        trace.V = null;
        return (trace.SpikeSum!, trace.EligibilitySum!);
    }
}
