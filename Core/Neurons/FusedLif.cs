// The fused CPU LIF kernel: one pass over a layer's [T, N] input gives the spikes and, for rate-BP, the rate and eligibility.
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;
using SnnDsl.Core.Surrogates;
using SnnDsl.Dsl.Model;
using SnnDsl.Dsl.Model.Surrogates;
using TorchSharp;
using static TorchSharp.torch;

namespace SnnDsl.Core.Neurons;

/// <summary>
/// The multi-step LIF layer without a graph (the rate-BP spike pass, evaluation, inference) as one kernel: each
/// neuron's membrane, sensitivity ρ and sums stay in registers over the T steps, so the only memory traffic is the
/// input read once and the spikes written once (the tensor path makes about ten [N] temporaries per step). The
/// arithmetic is that of <see cref="LifDynamics"/> and <see cref="Eligibility"/> (docs/rate-bp.md §1 and §3):
/// charge u = λ·v + x as libtorch's vectorised add-with-alpha computes it (one fused multiply-add), fire at
/// u ≥ V_th, the same reset expressions; so spikes equal the tensor path's bit for bit (tests check every reset form
/// and surrogate) and the spike pass stays BPTT's forward. Vectorised with AVX-512 or AVX2 where the CPU has them
/// (detected at run time), parallel over neuron blocks with libtorch's thread count.
/// </summary>
public static class FusedLif
{
    /// <summary>What one call produced: spikes [T·B, ...]; with recording, r and e [B, ...] (means over T).</summary>
    public readonly record struct Output(Tensor Spikes, Tensor? Rate, Tensor? Eligibility);

    /// <summary>True when the kernel runs this layer: a model it covers (LIF, IF) on an input it handles.</summary>
    public static bool Applies(Tensor x, NeuronModel neuron) => neuron.Fused && Applies(x);

    /// <summary>True for inputs the kernel handles: contiguous float32 CPU tensors outside any autograd graph.</summary>
    public static bool Applies(Tensor x) =>
        x.device_type == DeviceType.CPU && x.dtype == ScalarType.Float32 && !(x.requires_grad && is_grad_enabled()) && x.is_contiguous();

    /// <summary>The widest SIMD register the kernel uses on this machine: 512, 256 or 32 (scalar) bits.</summary>
    public static int VectorBits => Vector512.IsHardwareAccelerated ? 512 : Vector256.IsHardwareAccelerated ? 256 : 32;

    /// <summary>x: [T·B, ...] time-major → spikes of x's shape; <paramref name="record"/> also gives r and e [B, ...].</summary>
    public static Output Run(Tensor x, int timeSteps, NeuronModel neuron, bool record)
    {
        if (!neuron.Fused) throw new ArgumentException($"the fused kernel runs LIF and IF neurons, not '{neuron.Spec.Kind}'", nameof(neuron));
        var p = neuron.Constants;
        if (!Applies(x)) throw new ArgumentException("the fused LIF kernel takes contiguous float32 CPU tensors without a graph", nameof(x));
        if (x.shape[0] % timeSteps != 0) throw new ArgumentException($"expected [T·B, ...] with T = {timeSteps}, got leading size {x.shape[0]}", nameof(x));
        long neurons = x.numel() / timeSteps;
        long[] perStep = [x.shape[0] / timeSteps, .. x.shape.Skip(1)];
        var spikes = empty_like(x);
        var rate = record ? empty(perStep, dtype: float32) : null;
        var eligibility = record ? empty(perStep, dtype: float32) : null;
        var job = new LifJob(Data(x), Data(spikes), rate is null ? 0 : Data(rate), eligibility is null ? 0 : Data(eligibility),
            neurons, timeSteps, LifConstants.From(p, timeSteps));
        RunBlocks(job, p.Surrogate.Spec.Definition);
        return new Output(spikes, rate, eligibility);
    }

    static void RunBlocks(LifJob job, SurrogateDefinition surrogate)
    {
        var run = surrogate.Accept(KernelOf.Instance); // the kernel specialised for this surrogate's struct
        int threads = Math.Max(1, torch.get_num_threads());
        long block = BlockSize(job.Neurons, threads);
        long blocks = (job.Neurons + block - 1) / block;
        if (blocks == 1) { run(job, 0, job.Neurons); return; }
        Parallel.For(0L, blocks, new ParallelOptions { MaxDegreeOfParallelism = threads },
            b => run(job, b * block, Math.Min(job.Neurons, (b + 1) * block)));
    }

    sealed class KernelOf : ISurrogateVisitor<Action<LifJob, long, long>>
    {
        public static readonly KernelOf Instance = new();
        public Action<LifJob, long, long> Visit<S>() where S : struct, ISurrogate => LifKernel.Block<S>;
    }

    // about four blocks per thread (load balance on a shared machine), at least 4096 neurons, a multiple of 64
    static long BlockSize(long neurons, int threads)
    {
        long target = Math.Max(4096, neurons / (threads * 4L));
        return (target + 63) / 64 * 64;
    }

    [DllImport("LibTorchSharp")]
    static extern IntPtr THSTensor_data(IntPtr handle);

    static nint Data(Tensor t) => THSTensor_data(t.Handle);
}

/// <summary>Pointers and sizes of one kernel call: x and s are [T, N], r and e [N] (0 when not recording).</summary>
readonly record struct LifJob(nint X, nint Spikes, nint Rate, nint Eligibility, long Neurons, int Steps, LifConstants C)
{
    public bool Record => Rate != 0;
}

/// <summary>The neuron's constants as the kernel uses them (float32, as libtorch converts its scalars).</summary>
sealed record LifConstants(float Decay, float Threshold, float ResetValue, ResetMode Reset, bool Detach, SurrogateArgs Surrogate, float[] ScalarRho)
{
    public static LifConstants From(LifParameters p, int steps) =>
        new((float)p.Decay, (float)p.Threshold, (float)p.ResetValue, p.Reset, p.DetachReset, p.Surrogate.Spec.Arguments,
            ScalarSensitivities(p.Decay, steps));

    // ρ_t of the soft detached reset, the same for every neuron: computed in double as Eligibility.Next does
    static float[] ScalarSensitivities(double decay, int steps)
    {
        var rho = new float[steps];
        double value = 1.0;
        for (int t = 0; t < steps; t++) { rho[t] = (float)value; value = 1.0 + decay * value; }
        return rho;
    }
}

/// <summary>The per-neuron recurrence over T steps, written once over <see cref="ILanes{TV}"/> and the surrogate S.</summary>
static class LifKernel
{
    /// <summary>Neurons [start, end): the widest lanes first, then one at a time for the tail.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void Block<S>(LifJob job, long start, long end) where S : struct, ISurrogate
    {
        long i = start;
        if (Vector512.IsHardwareAccelerated) i = Run<Lanes512, Vector512<float>, S>(job, i, end);
        else if (Vector256.IsHardwareAccelerated) i = Run<Lanes256, Vector256<float>, S>(job, i, end);
        Run<Lanes1, float, S>(job, i, end);
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    static long Run<L, TV, S>(LifJob job, long i, long end) where L : struct, ILanes<TV> where TV : struct where S : struct, ISurrogate
    {
        for (; i + L.Width <= end; i += L.Width) Neurons<L, TV, S>(job, i);
        return i;
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    static unsafe void Neurons<L, TV, S>(LifJob job, long i) where L : struct, ILanes<TV> where TV : struct where S : struct, ISurrogate
    {
        var c = job.C;
        float* x = (float*)job.X + i, s = (float*)job.Spikes + i;
        TV decay = L.Splat(c.Decay), threshold = L.Splat(c.Threshold), one = L.Splat(1f);
        TV v = default, rho = one, spikeSum = default, eligibilitySum = default;
        for (int t = 0; t < job.Steps; t++)
        {
            long offset = t * job.Neurons;
            TV input = L.Load(x + offset);
            TV u = t == 0 ? input : L.MulAdd(v, decay, input);        // charge (x.add(v, alpha: λ))
            TV spike = L.AtLeast(u, threshold);                       // fire
            L.Store(spike, s + offset);
            if (job.Record)
            {
                TV sg = S.Derivative(new Real<L, TV>(L.Subtract(u, threshold)), c.Surrogate).Value;
                if (c.Reset == ResetMode.Soft && c.Detach) rho = L.Splat(c.ScalarRho[t]);
                eligibilitySum = t == 0 ? L.Multiply(rho, sg) : L.MulAdd(rho, sg, eligibilitySum);
                spikeSum = L.Add(spikeSum, spike);
                rho = NextSensitivity<L, TV>(rho, u, spike, sg, c, decay, one);
            }
            v = Reset<L, TV>(u, spike, c, threshold);                  // reset
        }
        if (!job.Record) return;
        TV steps = L.Splat(job.Steps);
        L.Store(L.Divide(spikeSum, steps), (float*)job.Rate + i);
        L.Store(L.Divide(eligibilitySum, steps), (float*)job.Eligibility + i);
    }

    // soft: u.add(s, alpha: −V_th); hard: u − s·(u − V_reset), each product and sum rounded as the tensor ops do
    [MethodImpl(MethodImplOptions.AggressiveInlining | MethodImplOptions.AggressiveOptimization)] // optimised even where the inliner's budget is spent
    static TV Reset<L, TV>(TV u, TV spike, LifConstants c, TV threshold) where L : struct, ILanes<TV> where TV : struct =>
        c.Reset == ResetMode.Soft
            ? L.MulAdd(spike, L.Subtract(default, threshold), u)
            : L.Subtract(u, L.Multiply(spike, L.Subtract(u, L.Splat(c.ResetValue))));

    // ρ_{t+1} = 1 + λ·ρ_t·∂v_t/∂u_t (the soft detached case is the precomputed scalar sequence)
    [MethodImpl(MethodImplOptions.AggressiveInlining | MethodImplOptions.AggressiveOptimization)] // optimised even where the inliner's budget is spent
    static TV NextSensitivity<L, TV>(TV rho, TV u, TV spike, TV sg, LifConstants c, TV decay, TV one) where L : struct, ILanes<TV> where TV : struct
    {
        TV dv;
        switch (c.Reset, c.Detach)
        {
            case (ResetMode.Soft, true): return rho;
            case (ResetMode.Soft, false): dv = L.Subtract(one, L.Multiply(sg, L.Splat(c.Threshold))); break;
            case (ResetMode.Hard, true): dv = L.Subtract(one, spike); break;
            case (ResetMode.Hard, false): dv = L.Add(L.Subtract(one, spike), L.Multiply(L.Subtract(L.Splat(c.ResetValue), u), sg)); break;
            default: throw new ArgumentOutOfRangeException(nameof(c), c.Reset, "unknown reset mode");
        }
        return L.Add(L.Multiply(L.Multiply(rho, dv), decay), one);
    }
}
