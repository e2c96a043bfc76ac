// Gradient buckets between their device and the host buffer MPI reduces: staged when not float32/float64 on the CPU.
using TorchSharp;
using static TorchSharp.torch;

namespace SnnDsl.Core.Distributed;

/// <summary>
/// MPI here is plain host MPI (no CUDA-aware transport, no NCCL): it reduces float32 or float64 arrays in host memory.
/// A bucket of gradients is packed into one contiguous buffer; when the gradients live on a GPU (or in a dtype MPI does
/// not reduce, such as float16), that buffer is a host copy in float32 that is reduced and copied back ("staged").
/// CPU float32/float64 gradients are packed and reduced without a staging copy.
/// </summary>
public static class HostStaging
{
    /// <summary>True when a gradient of this device and dtype must go through a host float32 copy.</summary>
    public static bool NeedsStaging(Tensor gradient) =>
        gradient.device_type != DeviceType.CPU || gradient.dtype is not (ScalarType.Float32 or ScalarType.Float64);

    /// <summary>
    /// Averages one bucket over ranks: packs <paramref name="grads"/> (one device and dtype), hands the host buffer to
    /// <paramref name="sumOverRanks"/> (an in-place all-reduce sum), divides by <paramref name="worldSize"/>, and writes
    /// each gradient back in place. Returns whether the bucket was staged.
    /// </summary>
    public static bool AverageBucket(IReadOnlyList<Tensor> grads, int worldSize, Action<Tensor> sumOverRanks)
    {
        using var scope = NewDisposeScope();
        var packed = cat(grads.Select(g => g.reshape(-1)).ToList(), 0);             // [Σ numel], on the gradients' device
        bool staged = NeedsStaging(grads[0]);
        var host = staged ? packed.to(float32).cpu() : packed.contiguous();         // the buffer MPI reads and writes
        sumOverRanks(host);
        host.div_(worldSize);
        var averaged = staged ? host.to(packed.dtype).to(packed.device) : host;
        long offset = 0;
        foreach (var g in grads)
        {
            g.copy_(averaged.narrow(0, offset, g.numel()).view(g.shape));
            offset += g.numel();
        }
        return staged;
    }
}
