// BPTT's multi-step LIF on the CPU as one autograd node: the fused forward saves the membranes, a reverse-time kernel is its backward.
using System.Runtime.CompilerServices;
using TorchSharp;
using static TorchSharp.torch;

namespace SnnDsl.Core.Neurons;

/// <summary>
/// The multi-step LIF layer inside a graph (BPTT-M) without the tensor path's per-step autograd nodes (about ten per
/// step: charge, the straight-through spike, reset): the forward is <see cref="FusedLif"/>'s kernel (so the spikes are
/// the spike pass's bit for bit) and also stores the membrane before reset u_t; the backward runs the recursion of
/// docs/rate-bp.md §2 backwards over t with the gradient of the membrane in registers:
/// ∂L/∂u_t = ∂L/∂s_t·sg_t + λ·∂L/∂u_{t+1}·∂v_t/∂u_t, ∂L/∂x_t = ∂L/∂u_t, with ∂v/∂u of the reset form as in
/// <see cref="Eligibility.ResetDerivative"/>. SpikingJelly's multi-step CUDA neurons do the same on the GPU.
/// </summary>
public static class FusedLifGraph
{
    /// <summary>True for inputs this path handles: contiguous float32 CPU tensors that need a gradient, with autograd on.</summary>
    public static bool Applies(Tensor x) =>
        x.device_type == DeviceType.CPU && x.dtype == ScalarType.Float32 && x.requires_grad && is_grad_enabled() && x.is_contiguous();

    /// <summary>x: [T·B, ...] time-major → spikes of x's shape, differentiable with the surrogate gradient.</summary>
    public static Tensor Run(Tensor x, int timeSteps, LifParameters p)
    {
        if (!Applies(x)) throw new ArgumentException("the fused LIF graph takes contiguous float32 CPU tensors that need a gradient", nameof(x));
        if (x.shape[0] % timeSteps != 0) throw new ArgumentException($"expected [T·B, ...] with T = {timeSteps}, got leading size {x.shape[0]}", nameof(x));
        return FusedLifFunction.Apply(x, timeSteps, p);
    }
}

/// <summary>The autograd function behind <see cref="FusedLifGraph"/>: one node per layer and pass.</summary>
sealed class FusedLifFunction : torch.autograd.SingleTensorFunction<FusedLifFunction>
{
    const string StepsKey = "steps", ParametersKey = "parameters";

    public override string Name => "FusedLif";

    public static Tensor Apply(Tensor x, int steps, LifParameters p) => apply(x, steps, p);

    public override Tensor forward(torch.autograd.AutogradContext ctx, params object[] vars)
    {
        var (x, steps, p) = ((Tensor)vars[0], (int)vars[1], (LifParameters)vars[2]);
        using var _ = no_grad();
        long neurons = x.numel() / steps;
        var spikes = empty_like(x);
        var membrane = empty_like(x);
        var job = new LifJob(FusedLif.Data(x), FusedLif.Data(spikes), 0, 0, neurons, steps, LifConstants.From(p, steps), FusedLif.Data(membrane));
        FusedLif.RunBlocks(neurons, (start, end) => LifKernel.Block(job, start, end));
        ctx.save_for_backward([membrane]);
        ctx.save_data(StepsKey, steps);
        ctx.save_data(ParametersKey, p);
        return spikes;
    }

    public override List<Tensor> backward(torch.autograd.AutogradContext ctx, Tensor gradOutput)
    {
        var membrane = ctx.get_saved_variables()[0];
        var (steps, p) = ((int)ctx.get_data(StepsKey), (LifParameters)ctx.get_data(ParametersKey));
        using var _ = no_grad();
        using var gradSpikes = gradOutput.to_type(ScalarType.Float32).contiguous();
        var gradInput = empty_like(membrane);
        long neurons = membrane.numel() / steps;
        var job = new LifBackwardJob(FusedLif.Data(membrane), FusedLif.Data(gradSpikes), FusedLif.Data(gradInput), neurons, steps, LifConstants.From(p, steps));
        FusedLif.RunBlocks(neurons, (start, end) => LifBackwardKernel.Block(job, start, end));
        return [gradInput, null!, null!]; // one entry per input of apply(x, steps, p)
    }
}

/// <summary>Pointers and sizes of one backward call: u (membranes before reset), ∂L/∂s and ∂L/∂x, all [T, N].</summary>
readonly record struct LifBackwardJob(nint Membrane, nint GradSpikes, nint GradInput, long Neurons, int Steps, LifConstants C);

/// <summary>The reverse-time recursion per neuron, over <see cref="ILanes{TV}"/> as the forward kernel.</summary>
readonly struct LifBackwardKernel : INeuronKernel<LifBackwardJob>
{
    /// <summary>Neurons [start, end) of a job.</summary>
    public static void Block(LifBackwardJob job, long start, long end) => LaneDispatch.Block<LifBackwardKernel, LifBackwardJob>(job, start, end);

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static unsafe void Neurons<L, TV>(LifBackwardJob job, long i) where L : struct, ILanes<TV> where TV : struct
    {
        var c = job.C;
        float* u = (float*)job.Membrane + i, gs = (float*)job.GradSpikes + i, gx = (float*)job.GradInput + i;
        TV decay = L.Splat(c.Decay), threshold = L.Splat(c.Threshold), one = L.Splat(1f);
        TV carry = default; // ∂L/∂v_t = λ·∂L/∂u_{t+1}; nothing flows back from after the last step
        for (int t = job.Steps - 1; t >= 0; t--)
        {
            long offset = t * job.Neurons;
            TV membrane = L.Load(u + offset);
            TV sg = LifKernel.Derivative<L, TV>(L.Sub(membrane, threshold), c);
            TV gradU = L.Add(L.Mul(L.Load(gs + offset), sg), L.Mul(carry, ResetDerivative<L, TV>(membrane, sg, c, threshold, one)));
            L.Store(gradU, gx + offset);
            carry = L.Mul(gradU, decay);
        }
    }

    // ∂v_t/∂u_t: 1 (soft, detached), 1 − V_th·sg (soft), 1 − s (hard, detached), (1 − s) + (V_reset − u)·sg (hard)
    static TV ResetDerivative<L, TV>(TV u, TV sg, LifConstants c, TV threshold, TV one) where L : struct, ILanes<TV> where TV : struct
    {
        switch (c.Reset, c.Detach)
        {
            case (Dsl.Model.ResetMode.Soft, true): return one;
            case (Dsl.Model.ResetMode.Soft, false): return L.Sub(one, L.Mul(sg, threshold));
            case (Dsl.Model.ResetMode.Hard, true): return L.Sub(one, L.AtLeast(u, threshold));
            default: return L.Add(L.Sub(one, L.AtLeast(u, threshold)), L.Mul(L.Sub(L.Splat(c.ResetValue), u), sg));
        }
    }
}
