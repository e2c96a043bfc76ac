// A layer of spiking neurons (any model of the neuron catalog) in the three modes, recording what rate-BP's rate pass needs.
using SnnDsl.Core.Neurons;
using SnnDsl.Dsl.Model;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace SnnDsl.Core.Layers;

/// <summary>
/// Spiking neurons. Multi-step and single-step both run the model's step (<see cref="NeuronModel.Step"/>); multi-step
/// calls without a graph on contiguous float32 CPU tensors run the fused kernel instead when the model is one it
/// covers (<see cref="FusedLif.Applies(Tensor, NeuronModel)"/>). The spike pass also accumulates the firing rate
/// r = (1/T)Σ s_t and the eligibilities; the rate pass returns r in value with the gradient the model defines
/// (<see cref="NeuronModel.Rate"/>). Learnable neuron parameters (PLIF's w) are registered on this module.
/// </summary>
public sealed class NeuronLayer : SpikingLayer, INeuronParameters
{
    public NeuronLayer(NeuronLayerSpec spec, string path) : base(spec.Name, path)
    {
        Neuron = NeuronModel.Create(spec.Neuron);
        foreach (var (name, initial) in Neuron.Learnable) register_parameter(name, new Parameter(tensor(initial, float32)));
    }

    /// <summary>The neuron's equations.</summary>
    public NeuronModel Neuron { get; }

    /// <summary>Decay (PLIF: initial), threshold, reset and surrogate.</summary>
    public LifParameters Parameters => Neuron.Constants;

    /// <summary>The learnable parameters of the neuron, read from the module's registry (moves replace them).</summary>
    public IReadOnlyList<Parameter> LearnableParameters => Neuron.Learnable.Select(l => Registry.Parameter(this, l.Name)).ToList();

    public Tensor Parameter(string name) => Registry.Parameter(this, name);

    /// <summary>Per-pass neuron state and record.</summary>
    sealed class Trace : IPassState
    {
        public readonly NeuronState State = new();
        public IEnumerable<Tensor?> Tensors => State.Tensors;
    }

    /// <summary>
    /// Use <see cref="FusedLif"/> where it applies (the default); false keeps the tensor-operation path everywhere
    /// (tests compare the two).
    /// </summary>
    public bool Fused { get; set; } = true;

    // x: [T·B, ...] -> spikes [T·B, ...]
    public override Tensor MultiStep(Tensor x, PassContext ctx)
    {
        var output = Fused && FusedLif.Applies(x, Neuron) ? FusedMultiStep(x, ctx) : TensorMultiStep(x, ctx);
        ctx.ReportFiringRate(Path, output.mean());
        return output;
    }

    // one kernel call: the record holds the means already (Steps = 1), no membrane is kept
    Tensor FusedMultiStep(Tensor x, PassContext ctx)
    {
        var (spikes, rate, eligibility) = FusedLif.Run(x, ctx.TimeSteps, Neuron, ctx.Record);
        if (ctx.Record)
        {
            var state = ctx.State(this, () => new Trace()).State;
            (state.SpikeSum, state.EligibilitySum, state.Steps) = (rate, eligibility, 1);
        }
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
            spikes[t] = Neuron.Step(trace.State, input, this, ctx.GradientForm, ctx.Record);
        }
        trace.State.DropCarried(); // multi-step calls do not carry the membrane; the record keeps only the sums
        if (ctx.Record) ctx.State(this, () => trace);
        var output = stack(spikes).view(x.shape);
        foreach (var s in spikes) s.Dispose(); // the stacked copy is what the next layer and the graph use
        return output;
    }

    // x: [B, ...] -> spikes [B, ...]; the membrane carries over to the next call of this pass
    public override Tensor SingleStep(Tensor x, PassContext ctx)
    {
        var state = ctx.State(this, () => new Trace()).State;
        var s = Neuron.Step(state, x, this, ctx.GradientForm, ctx.Record);
        if (ctx.Online is { } online)
        {
            state.DetachCarried(); // online training: no gradient through time
            online.Fired(this, s, trace => Neuron.DecayTrace(trace, this));
        }
        ctx.ReportFiringRate(Path, s.mean());
        return s;
    }

    // x̄: [B, ...] -> r [B, ...], gradient as the model defines
    public override Tensor Rate(Tensor x, PassContext ctx)
    {
        var state = Recorded(ctx);
        return Neuron.Rate(state, x, this);
    }

    NeuronState Recorded(PassContext ctx)
    {
        var state = ctx.Recorded<Trace>(this, Path).State;
        state.ToMeans();
        return state;
    }

    /// <summary>
    /// The recorded firing rate r and eligibility e of the last spike pass in this context. The first call turns the
    /// recorded sums into means in place and drops the membrane, which no pass needs any more.
    /// </summary>
    public (Tensor Rate, Tensor Eligibility) RateAndEligibility(PassContext ctx)
    {
        var state = Recorded(ctx);
        return (state.SpikeSum!, state.EligibilitySum!);
    }

    /// <summary>PLIF: the recorded decay eligibility e_λ = (1/T)·Σ sg_t·∂u_t/∂λ (null for models without a learnable decay).</summary>
    public Tensor? DecayEligibility(PassContext ctx) => Recorded(ctx).DecayEligibilitySum;
}
