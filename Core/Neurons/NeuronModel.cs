// What a neuron model is on tensors: one time step with or without a graph, its rate-BP record and rate pass, its parameters.
using SnnDsl.Core.Surrogates;
using SnnDsl.Dsl.Model;
using SnnDsl.Dsl.Model.Neurons;
using static TorchSharp.torch;

namespace SnnDsl.Core.Neurons;

/// <summary>The current tensors of a neuron layer's learnable parameters (registered on the layer's module).</summary>
public interface INeuronParameters
{
    Tensor Parameter(string name);
}

/// <summary>
/// The equations of one neuron model (docs/rate-bp.md §1 and §3): charge, fire and reset as one step on tensors (the
/// same code with a graph, BPTT and online training, and without, the rate-BP spike pass and evaluation), the
/// rate-BP record of that step (firing rate, the eligibility e = ∂r/∂x̄ and one for each learnable parameter), the
/// rate pass, and the decay of OTTT's presynaptic trace. One subclass per name of <see cref="NeuronCatalog"/>, listed
/// in <see cref="Implementations"/>.
/// </summary>
public abstract class NeuronModel
{
    protected NeuronModel(NeuronSpec spec)
    {
        Spec = spec;
        Constants = LifParameters.From(spec);
    }

    /// <summary>Every neuron of the catalog by name (a test checks that each catalog name has one).</summary>
    public static IReadOnlyDictionary<string, Func<NeuronSpec, NeuronModel>> Implementations { get; } = new Dictionary<string, Func<NeuronSpec, NeuronModel>>
    {
        [NeuronCatalog.Lif.Name] = spec => new LifNeuron(spec),
        [NeuronCatalog.If.Name] = spec => new LifNeuron(spec),
        [NeuronCatalog.Plif.Name] = spec => new PlifNeuron(spec),
        [NeuronCatalog.Alif.Name] = spec => new AlifNeuron(spec),
    };

    /// <summary>The model of a neuron description; a kind without an implementation is an error naming it.</summary>
    public static NeuronModel Create(NeuronSpec spec) =>
        Implementations.TryGetValue(spec.Kind, out var create) ? create(spec)
            : throw new ArgumentException($"neuron '{spec.Kind}' has no implementation; implemented: {string.Join(", ", Implementations.Keys)}", nameof(spec));

    public NeuronSpec Spec { get; }

    /// <summary>Decay (for PLIF: its initial value), threshold, reset and surrogate.</summary>
    public LifParameters Constants { get; }

    /// <summary>The catalog entry: name, arguments, learnable parameters, fused-kernel flag.</summary>
    public NeuronInfo Info => Spec.Info;

    /// <summary>True when <see cref="FusedLif"/> runs this model's own equations (opt-in, from the catalog entry).</summary>
    public bool Fused => Info.Fused;

    /// <summary>The learnable parameters' initial values (0-d tensors), in the order of <see cref="NeuronInfo.Learnable"/>.</summary>
    public virtual IReadOnlyList<(string Name, double Initial)> Learnable => [];

    /// <summary>
    /// One time step on input x: charge, fire, reset, updating the state; with <paramref name="record"/> (no graph) it
    /// also accumulates the spikes and the eligibilities. Returns the spikes s_t (with a graph, ∂s/∂u is the surrogate).
    /// </summary>
    public abstract Tensor Step(NeuronState state, Tensor x, INeuronParameters parameters, SpikeGradientForm form, bool record);

    /// <summary>λ·â for OTTT's presynaptic trace â_t = λ·â_{t−1} + s_t, with the membrane's decay λ (no graph).</summary>
    public abstract Tensor DecayTrace(Tensor trace, INeuronParameters parameters);

    /// <summary>
    /// The rate pass on the time-averaged input x̄: the recorded rate r in value, gradient e⊙∂L/∂y to x̄:
    /// y = r + (e⊙x̄ − stopgrad(e⊙x̄)). Models with learnable parameters add their own straight-through terms.
    /// </summary>
    public virtual Tensor Rate(NeuronState record, Tensor x, INeuronParameters parameters)
    {
        using var ex = record.EligibilitySum! * x;
        using var detached = ex.detach();
        using var straightThrough = ex - detached;
        return record.SpikeSum! + straightThrough;
    }

    /// <summary>sum += ρ·sg and the spike count += s: the record every model keeps.</summary>
    protected static void RecordSpikes(NeuronState state, Tensor s, Tensor sg, Sensitivity sensitivity)
    {
        state.EligibilitySum = sensitivity.AccumulateInto(state.EligibilitySum, sg);
        if (state.SpikeSum is null) state.SpikeSum = s.clone();
        else state.SpikeSum.add_(s);
    }

    /// <summary>sg_t = surrogate'(u_t − θ_t) for a per-neuron threshold.</summary>
    protected Tensor SurrogateDerivative(Tensor u, Tensor threshold)
    {
        using var x = u - threshold;
        return Constants.Surrogate.Derivative(x);
    }
}

/// <summary>
/// One neuron layer's state for one pass: the membrane and adaptation carried from step to step, the sensitivities of
/// the eligibility recursions, and the sums the spike pass records (turned into means by <see cref="ToMeans"/>).
/// </summary>
public sealed class NeuronState
{
    /// <summary>Membrane after reset v_{t−1}; null before the first step (v_{−1} = 0).</summary>
    public Tensor? V;
    /// <summary>ALIF's adaptation a_t for the coming step; null while it is 0.</summary>
    public Tensor? Adaptation;
    /// <summary>Σ_t s_t, Σ_t sg_t·ρ_t (then the means r and e).</summary>
    public Tensor? SpikeSum, EligibilitySum;
    /// <summary>PLIF: Σ_t sg_t·q_t with q_t = ∂u_t/∂λ (then its mean).</summary>
    public Tensor? DecayEligibilitySum;
    /// <summary>ρ_t = ∂u_t/∂x̄ for a constant input.</summary>
    public Sensitivity Rho = Sensitivity.Initial;
    /// <summary>ALIF with an attached reset: ∂a_t/∂x̄. PLIF: q_t = ∂u_t/∂λ.</summary>
    public Tensor? AdaptationSensitivity, DecaySensitivity;
    public int Steps;

    public IEnumerable<Tensor?> Tensors => [V, Adaptation, SpikeSum, EligibilitySum, DecayEligibilitySum, Rho.PerNeuron, AdaptationSensitivity, DecaySensitivity];

    /// <summary>Online training: the carried state enters the next step without its graph (the old handles are released).</summary>
    public void DetachCarried()
    {
        V = Detached(V);
        Adaptation = Detached(Adaptation);
    }

    static Tensor? Detached(Tensor? t)
    {
        if (t is null || !t.requires_grad) return t;
        var detached = t.detach();
        t.Dispose();
        return detached;
    }

    /// <summary>Drops what only the step-to-step recurrence needs (a multi-step record keeps the sums only).</summary>
    public void DropCarried()
    {
        foreach (var t in new[] { V, Adaptation, Rho.PerNeuron, AdaptationSensitivity, DecaySensitivity }) t?.Dispose();
        (V, Adaptation, AdaptationSensitivity, DecaySensitivity, Rho) = (null, null, null, null, Sensitivity.Initial);
    }

    /// <summary>Turns the recorded sums into means over the steps, once.</summary>
    public void ToMeans()
    {
        if (Steps > 1)
        {
            SpikeSum!.div_(Steps);
            EligibilitySum!.div_(Steps);
            DecayEligibilitySum?.div_(Steps);
            Steps = 1;
        }
        DropCarried();
    }
}
