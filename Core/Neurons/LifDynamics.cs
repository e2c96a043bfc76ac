// The discrete-time LIF neuron (docs/rate-bp.md §1) as small pure functions: charge, fire, reset, and the eligibility trace.
using SnnDsl.Core.Surrogates;
using SnnDsl.Dsl.Model;
using static TorchSharp.torch;

namespace SnnDsl.Core.Neurons;

/// <summary>Resolved neuron constants: decay λ, threshold, reset, and the surrogate gradient.</summary>
public sealed record LifParameters(double Decay, double Threshold, ResetMode Reset, double ResetValue, bool DetachReset, Surrogate Surrogate)
{
    public static LifParameters From(NeuronSpec spec) =>
        new(spec.Decay, spec.Threshold, spec.Reset, spec.ResetValue, spec.DetachReset, Surrogate.From(spec.SurrogateOrDefault));
}

/// <summary>
/// One time step of a LIF neuron: the equations of <see cref="LifNeuron"/> (lif, if), and the fire and reset that PLIF
/// shares. On tensors every mode (BPTT-M/S, online training, the rate-BP spike pass) runs them through the neuron
/// model; <see cref="FusedLif"/> runs the same arithmetic for LIF and IF only.
/// </summary>
public static class LifDynamics
{
    /// <summary>charge: u_t = λ·v_{t−1} + x_t (v_{−1} = 0, passed as null; then u_0 is x itself).</summary>
    public static Tensor Charge(Tensor? v, Tensor x, LifParameters p) => v is null ? x : x.add(v, alpha: p.Decay);

    /// <summary>fire: s_t = H(u_t − V_th); with a graph, ∂s/∂u is the surrogate derivative.</summary>
    public static Tensor Fire(Tensor u, LifParameters p, SpikeGradientForm form)
    {
        if (!u.requires_grad) return Surrogate.Heaviside(u, p.Threshold); // no graph: [u ≥ V_th] directly, one pass
        using var x = u - p.Threshold; // the handle only: a graph that needs x keeps its own reference
        return SpikeFunction.Apply(x, p.Surrogate, form);
    }

    /// <summary>reset: soft v_t = u_t − V_th·s_t; hard v_t = (1 − s_t)·u_t + s_t·V_reset. A detached reset treats s_t as a constant.</summary>
    public static Tensor Reset(Tensor u, Tensor s, LifParameters p)
    {
        var spike = p.DetachReset ? s.detach() : s;
        if (p.Reset == ResetMode.Soft) return u.add(spike, alpha: -p.Threshold);
        using var gap = u - p.ResetValue;
        using var jump = spike * gap;
        return u - jump;
    }

    /// <summary>One full step: returns the membrane before reset u_t, the spikes s_t, and the membrane after reset v_t.</summary>
    public static (Tensor U, Tensor S, Tensor V) Step(Tensor? v, Tensor x, LifParameters p, SpikeGradientForm form)
    {
        var u = Charge(v, x, p);
        var s = Fire(u, p, form);
        return (u, s, Reset(u, s, p));
    }

    /// <summary>The surrogate derivative sg_t = ∂s_t/∂u_t at the membrane u_t.</summary>
    public static Tensor SurrogateDerivative(Tensor u, LifParameters p)
    {
        using var x = u - p.Threshold;
        return p.Surrogate.Derivative(x);
    }
}

/// <summary>
/// The eligibility recursion of rate-BP (docs/rate-bp.md §3): ρ_t = ∂u_t/∂x̄ for a constant input x̄, starting at ρ_0 = 1:
/// ρ_{t+1} = 1 + λ·ρ_t·∂v_t/∂u_t, with ∂v/∂u = 1 (soft, detached), 1 − V_th·sg (soft), 1 − s (hard, detached),
/// (1 − s) + (V_reset − u)·sg (hard). The eligibility is e = (1/T)·Σ_t sg_t·ρ_t.
/// </summary>
public static class Eligibility
{
    /// <summary>∂v_t/∂u_t through the reset; null when it is 1 for every neuron.</summary>
    public static Tensor? ResetDerivative(Tensor u, Tensor s, Tensor sg, LifParameters p) => (p.Reset, p.DetachReset) switch
    {
        (ResetMode.Soft, true) => null,
        (ResetMode.Soft, false) => 1.0 - sg * p.Threshold,
        (ResetMode.Hard, true) => 1.0 - s,
        (ResetMode.Hard, false) => (1.0 - s) + (p.ResetValue - u) * sg,
        _ => throw new ArgumentOutOfRangeException(nameof(p), p.Reset, "unknown reset mode"),
    };

    /// <summary>ρ_{t+1} from ρ_t: a number when the reset derivative is 1 for all neurons, a tensor otherwise.</summary>
    public static Sensitivity Next(Sensitivity rho, Tensor u, Tensor s, Tensor sg, LifParameters p)
    {
        var dv = ResetDerivative(u, s, sg, p);
        if (dv is null) return Sensitivity.Scalar(1.0 + p.Decay * rho.Value);
        using (dv) return Sensitivity.Of(rho.Times(dv).mul_(p.Decay).add_(1.0));
    }
}

/// <summary>ρ_t: one number shared by every neuron (soft detached reset) or a tensor of the membrane's shape.</summary>
public readonly record struct Sensitivity(double Value, Tensor? PerNeuron)
{
    public static Sensitivity Initial => new(1.0, null);
    public static Sensitivity Scalar(double value) => new(value, null);
    public static Sensitivity Of(Tensor rho) => new(double.NaN, rho);

    /// <summary>sum + ρ·t, in place when sum exists (a new tensor otherwise).</summary>
    public Tensor AccumulateInto(Tensor? sum, Tensor t)
    {
        if (sum is null) return Times(t);
        return PerNeuron is null ? sum.add_(t, alpha: Value) : sum.addcmul_(PerNeuron, t, 1.0);
    }

    /// <summary>ρ·t as a new tensor.</summary>
    public Tensor Times(Tensor t) => PerNeuron is null ? t * Value : PerNeuron * t;
}
