// A layer of LIF/IF neurons in the three modes, recording the rate and eligibility for rate-BP in the spike pass.
using SnnDsl.Core.Neurons;
using SnnDsl.Dsl.Model;
using static TorchSharp.torch;

namespace SnnDsl.Core.Layers;

/// <summary>
/// Spiking neurons. Multi-step and single-step both run <see cref="LifDynamics.Step"/>; the spike pass also
/// accumulates the firing rate r = (1/T)Σ s_t and the eligibility e = (1/T)Σ sg_t·ρ_t. The rate pass returns r in
/// value with gradient e: y = r + (e⊙x̄ − stopgrad(e⊙x̄)).
/// </summary>
public sealed class NeuronLayer(NeuronLayerSpec spec, string path) : SpikingLayer(spec.Name, path)
{
    public LifParameters Parameters { get; } = LifParameters.From(spec.Neuron);

    /// <summary>Per-pass neuron state: membrane after reset, and the spike-pass sums of spikes and sg·ρ.</summary>
    sealed class Trace
    {
        public Tensor? V, SpikeSum, EligibilitySum;
        public Sensitivity Rho = Sensitivity.Initial;
        public int Steps;
    }

    // x: [T·B, ...] -> spikes [T·B, ...]
    public override Tensor MultiStep(Tensor x, PassContext ctx)
    {
        var xt = SplitTime(x, ctx.TimeSteps);
        var trace = new Trace();
        var spikes = new Tensor[ctx.TimeSteps];
        for (int t = 0; t < ctx.TimeSteps; t++) spikes[t] = Advance(xt[t], trace, ctx);
        if (ctx.Record) ctx.State(this, () => trace);
        var output = stack(spikes).view(x.shape);
        ctx.ReportFiringRate(Path, output.mean());
        return output;
    }

    // x: [B, ...] -> spikes [B, ...]; the membrane carries over to the next call of this pass
    public override Tensor SingleStep(Tensor x, PassContext ctx)
    {
        var s = Advance(x, ctx.State(this, () => new Trace()), ctx);
        ctx.ReportFiringRate(Path, s.mean());
        return s;
    }

    Tensor Advance(Tensor x, Trace trace, PassContext ctx)
    {
        var (u, s, v) = LifDynamics.Step(trace.V, x, Parameters, ctx.GradientForm);
        if (ctx.Record) Accumulate(trace, u, s);
        trace.V = v;
        trace.Steps++;
        return s;
    }

    void Accumulate(Trace trace, Tensor u, Tensor s)
    {
        var sg = LifDynamics.SurrogateDerivative(u, Parameters);
        var contribution = trace.Rho.Times(sg);
        trace.EligibilitySum = trace.EligibilitySum is null ? contribution : trace.EligibilitySum.add_(contribution);
        trace.SpikeSum = trace.SpikeSum is null ? s.clone() : trace.SpikeSum.add_(s);
        trace.Rho = Eligibility.Next(trace.Rho, u, s, sg, Parameters);
    }

    // x̄: [B, ...] -> r [B, ...], gradient e⊙∂L/∂y
    public override Tensor Rate(Tensor x, PassContext ctx)
    {
        var (rate, eligibility) = RateAndEligibility(ctx);
        var ex = eligibility * x;
        return rate + (ex - ex.detach());
    }

    /// <summary>The recorded firing rate r and eligibility e of the last spike pass in this context.</summary>
    public (Tensor Rate, Tensor Eligibility) RateAndEligibility(PassContext ctx)
    {
        var trace = ctx.Recorded<Trace>(this, Path);
        return (trace.SpikeSum! / trace.Steps, trace.EligibilitySum! / trace.Steps);
    }
}
