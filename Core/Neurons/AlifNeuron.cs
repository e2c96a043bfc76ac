// The adaptive-threshold LIF neuron (LSNN, Bellec et al. 2018): θ_t = V_th + β·a_t with a spike-driven adaptation a_t.
using SnnDsl.Core.Surrogates;
using SnnDsl.Dsl.Model;
using static TorchSharp.torch;

namespace SnnDsl.Core.Neurons;

/// <summary>
/// u_t = λ·v_{t−1} + x_t; θ_t = V_th + β·a_t with a_t = λ_a·a_{t−1} + s_{t−1} (a_0 = 0, λ_a = 1 − 1/tau_adapt);
/// s_t = H(u_t − θ_t); soft reset v_t = u_t − θ_t·s_t (LSNN subtracts the adaptive threshold), hard reset as LIF.
/// With detach_reset the spikes enter the reset and the adaptation without a gradient. The rate-BP eligibility uses the
/// adaptive threshold: e = (1/T)·Σ sg_t·m_t with sg_t = surrogate'(u_t − θ_t) and m_t = ρ_t − β·α_t the sensitivity of
/// u_t − θ_t to a constant input, where α_t = ∂a_t/∂x̄ (0 with a detached reset), α_{t+1} = λ_a·α_t + sg_t·m_t, and
/// ρ_{t+1} = 1 + λ·∂v_t/∂x̄ (docs/rate-bp.md §3, "adaptive threshold").
/// </summary>
public sealed class AlifNeuron(NeuronSpec spec) : NeuronModel(spec)
{
    double Beta => Spec.Beta;
    double AdaptationDecay => Spec.AdaptationDecay;

    public override Tensor Step(NeuronState state, Tensor x, INeuronParameters parameters, SpikeGradientForm form, bool record)
    {
        var p = Constants;
        var u = LifDynamics.Charge(state.V, x, p);
        using var theta = state.Adaptation is null ? full_like(u, p.Threshold) : state.Adaptation * Beta + p.Threshold;
        var s = Fire(u, theta, form);
        var resetSpikes = p.DetachReset ? s.detach() : s;
        var v = p.Reset == ResetMode.Soft ? u - theta * resetSpikes : LifDynamics.Reset(u, s, p);
        if (record) Record(state, u, s, theta);
        var adaptation = state.Adaptation is null ? resetSpikes.clone() : state.Adaptation * AdaptationDecay + resetSpikes;
        state.Adaptation?.Dispose();
        state.Adaptation = adaptation;
        state.V?.Dispose();
        if (!ReferenceEquals(u, x)) u.Dispose();
        state.V = v;
        state.Steps++;
        return s;
    }

    // s = H(u − θ); with a graph ∂s/∂u = −∂s/∂θ = the surrogate at u − θ
    Tensor Fire(Tensor u, Tensor theta, SpikeGradientForm form)
    {
        if (!u.requires_grad && !theta.requires_grad)
        {
            using var fired = u.ge(theta);
            return fired.to_type(u.dtype);
        }
        using var gap = u - theta;
        return SpikeFunction.Apply(gap, Constants.Surrogate, form);
    }

    void Record(NeuronState state, Tensor u, Tensor s, Tensor theta)
    {
        var p = Constants;
        using var sg = SurrogateDerivative(u, theta);
        bool attached = !p.DetachReset;
        // m_t = ρ_t − β·α_t: the sensitivity of u_t − θ_t
        using var m = attached && state.AdaptationSensitivity is { } alpha ? state.Rho.Times(one(sg)).sub_(alpha * Beta) : null;
        var sensitivity = m is null ? state.Rho : Sensitivity.Of(m.alias());
        RecordSpikes(state, s, sg, sensitivity);
        using var ds = sensitivity.Times(sg); // ∂s_t/∂x̄
        Tensor dv = (p.Reset, attached) switch // ∂v_t/∂x̄
        {
            (ResetMode.Soft, false) => state.Rho.Times(one(sg)),
            (ResetMode.Soft, true) => SoftAttached(state, s, theta, ds),
            (ResetMode.Hard, false) => state.Rho.Times(1.0 - s),
            (ResetMode.Hard, true) => state.Rho.Times(1.0 - s).sub_((u - p.ResetValue).mul_(ds)),
            _ => throw new ArgumentOutOfRangeException(nameof(state), p.Reset, "unknown reset mode"),
        };
        if (attached)
        {
            var nextAlpha = state.AdaptationSensitivity is { } a ? (a * AdaptationDecay).add_(ds) : ds.clone();
            state.AdaptationSensitivity?.Dispose();
            state.AdaptationSensitivity = nextAlpha;
        }
        if (m is not null) sensitivity.PerNeuron?.Dispose();
        var previous = state.Rho.PerNeuron;
        state.Rho = Sensitivity.Of(dv.mul_(p.Decay).add_(1.0));
        previous?.Dispose();
    }

    // ∂(u − θ·s)/∂x̄ = ρ − β·α·s − θ·∂s/∂x̄
    Tensor SoftAttached(NeuronState state, Tensor s, Tensor theta, Tensor ds)
    {
        var dv = state.Rho.Times(one(s)).sub_(theta * ds);
        if (state.AdaptationSensitivity is { } alpha) dv.sub_(alpha * s * Beta);
        return dv;
    }

    static Tensor one(Tensor like) => ones_like(like);

    public override Tensor DecayTrace(Tensor trace, INeuronParameters parameters) => trace.mul(Constants.Decay);
}
