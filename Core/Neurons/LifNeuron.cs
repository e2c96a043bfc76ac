// The LIF and IF neurons (IF: λ = 1) as a neuron model: LifDynamics' step and the eligibility recursion; the fused kernel covers them.
using SnnDsl.Core.Surrogates;
using SnnDsl.Dsl.Model;
using static TorchSharp.torch;

namespace SnnDsl.Core.Neurons;

/// <summary>
/// u_t = λ·v_{t−1} + x_t, s_t = H(u_t − V_th), soft or hard reset (docs/rate-bp.md §1); IF is λ = 1. The rate-BP
/// eligibility is e = (1/T)·Σ sg_t·ρ_t with <see cref="Eligibility"/>'s recursion. Without a graph, multi-step calls on
/// float32 CPU tensors run the same equations in <see cref="FusedLif"/>.
/// </summary>
public sealed class LifNeuron(NeuronSpec spec) : NeuronModel(spec)
{
    public override Tensor Step(NeuronState state, Tensor x, INeuronParameters parameters, SpikeGradientForm form, bool record)
    {
        var (u, s, v) = LifDynamics.Step(state.V, x, Constants, form);
        if (record)
        {
            using var sg = LifDynamics.SurrogateDerivative(u, Constants);
            RecordSpikes(state, s, sg, state.Rho);
            var previous = state.Rho.PerNeuron;
            state.Rho = Eligibility.Next(state.Rho, u, s, sg, Constants);
            previous?.Dispose();
        }
        state.V?.Dispose(); // the graph keeps what backward needs; these handles would only hold memory to the scope's end
        if (!ReferenceEquals(u, x)) u.Dispose();
        state.V = v;
        state.Steps++;
        return s;
    }

    public override Tensor DecayTrace(Tensor trace, INeuronParameters parameters) => trace.mul(Constants.Decay);
}
