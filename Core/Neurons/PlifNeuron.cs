// The parametric LIF neuron (Fang et al. 2021): LIF with one learnable decay per layer, λ = 1 − sigmoid(w), trained by every estimator.
using SnnDsl.Core.Surrogates;
using SnnDsl.Dsl.Model;
using static TorchSharp.torch;

namespace SnnDsl.Core.Neurons;

/// <summary>
/// SpikingJelly's ParametricLIFNode with decay_input = false, in SnnDsl's LIF form: u_t = λ·v_{t−1} + x_t with
/// λ = 1 − 1/τ = 1 − sigmoid(w), w a learnable scalar initialised to −ln(τ₀ − 1); fire and reset as LIF. With a graph
/// the gradient reaches w through every charge. In the rate-BP spike pass the record adds the decay's eligibility
/// e_λ = (1/T)·Σ sg_t·q_t, q_t = ∂u_t/∂λ for a constant input under the same detach rules as ρ:
/// q_0 = 0, q_{t+1} = v_t + λ·(∂v_t/∂u_t)·q_t (docs/rate-bp.md §3, "learnable decay"); the rate pass adds
/// e_λ·λ − stopgrad(e_λ·λ), so w's gradient is Σ ∂L/∂y·e_λ·∂λ/∂w.
/// </summary>
public sealed class PlifNeuron(NeuronSpec spec) : NeuronModel(spec)
{
    public const string Weight = "w";

    /// <summary>w₀ = −ln(τ₀ − 1), so that sigmoid(w₀) = 1/τ₀ (SpikingJelly's init).</summary>
    public override IReadOnlyList<(string Name, double Initial)> Learnable => [(Weight, -Math.Log(Spec.Tau - 1.0))];

    /// <summary>λ = 1 − sigmoid(w), a 0-d tensor (with a graph to w when one is built).</summary>
    public static Tensor DecayOf(INeuronParameters parameters)
    {
        using var rate = parameters.Parameter(Weight).sigmoid();
        return 1.0 - rate;
    }

    public override Tensor Step(NeuronState state, Tensor x, INeuronParameters parameters, SpikeGradientForm form, bool record)
    {
        using var decay = DecayOf(parameters);
        var u = state.V is null ? x : state.V * decay + x;
        var s = LifDynamics.Fire(u, Constants, form);
        var v = LifDynamics.Reset(u, s, Constants);
        if (record) Record(state, u, s, v, decay.to(float64).item<double>());
        state.V?.Dispose();
        if (!ReferenceEquals(u, x)) u.Dispose();
        state.V = v;
        state.Steps++;
        return s;
    }

    // e += sg·ρ, e_λ += sg·q; ρ and q advance with the same reset derivative ∂v/∂u
    void Record(NeuronState state, Tensor u, Tensor s, Tensor v, double decay)
    {
        var p = Constants with { Decay = decay };
        using var sg = LifDynamics.SurrogateDerivative(u, p);
        RecordSpikes(state, s, sg, state.Rho);
        if (state.DecaySensitivity is { } q)
        {
            if (state.DecayEligibilitySum is null) state.DecayEligibilitySum = sg * q;
            else state.DecayEligibilitySum.addcmul_(sg, q, 1.0);
        }
        else state.DecayEligibilitySum ??= zeros_like(sg); // q_0 = 0
        using var dv = Eligibility.ResetDerivative(u, s, sg, p);
        var next = dv is null ? v.detach().clone() : v.detach() + 0.0;
        if (state.DecaySensitivity is { } previousQ)
        {
            using var carried = dv is null ? previousQ * decay : previousQ * dv * decay;
            next.add_(carried);
            previousQ.Dispose();
        }
        state.DecaySensitivity = next;
        var previousRho = state.Rho.PerNeuron;
        state.Rho = Eligibility.Next(state.Rho, u, s, sg, p);
        previousRho?.Dispose();
    }

    public override Tensor DecayTrace(Tensor trace, INeuronParameters parameters)
    {
        using var _ = no_grad();
        using var decay = DecayOf(parameters);
        return trace.mul(decay);
    }

    /// <summary>y = r + (e⊙x̄ − stopgrad) + (e_λ·λ − stopgrad(e_λ·λ)): the gradient reaches x̄ through e and w through e_λ.</summary>
    public override Tensor Rate(NeuronState record, Tensor x, INeuronParameters parameters)
    {
        var y = base.Rate(record, x, parameters);
        using var decay = DecayOf(parameters);
        using var term = record.DecayEligibilitySum! * decay;
        using var detached = term.detach();
        using var straightThrough = term - detached;
        using (y) return y + straightThrough;
    }
}
