// Data-parallel collectives over MPI (Horovod style): broadcast from rank 0, bucketed gradient averaging, metric sums.
using SnnDsl.Core.Layers;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace SnnDsl.Core.Distributed;

/// <summary>
/// One rank of an mpirun job. Gradients are packed into contiguous buffers of at most <see cref="BucketBytes"/>
/// (flattened parameters in order), each all-reduced once and divided by the world size, rather than one call per
/// parameter. Tensors on a GPU travel through host memory (no CUDA-aware MPI is assumed).
/// </summary>
public sealed unsafe class MpiCollective : ICollective, IBatchNormSync, IDisposable
{
    /// <summary>Largest gradient bucket, in bytes (25 MB, Horovod's fusion threshold).</summary>
    public const long BucketBytes = 25L << 20;
    const int ChunkBytes = 1 << 30; // MPI counts are ints: move larger buffers in pieces

    MpiCollective(int rank, int worldSize) { Rank = rank; WorldSize = worldSize; }

    /// <summary>Initialises MPI (MPI_Init_thread) and joins the world communicator.</summary>
    public static MpiCollective Start()
    {
        MpiNative.Init();
        return new MpiCollective(MpiNative.Rank(), MpiNative.Size());
    }

    public int Rank { get; }
    public int WorldSize { get; }
    public IBatchNormSync BatchNormSync => this;

    public void Broadcast(IReadOnlyList<Tensor> tensors)
    {
        using var _ = no_grad();
        foreach (var t in tensors)
        {
            using var host = t.detach().cpu().contiguous().clone();
            OnHost(host, (p, bytes) => BroadcastChunks(p, bytes));
            t.copy_(host);
        }
    }

    public void AverageGradients(IReadOnlyList<Parameter> parameters)
    {
        using var _ = no_grad();
        var grads = parameters.Select(p => p.grad).OfType<Tensor>().ToList();
        foreach (var bucket in Buckets(grads)) AverageBucket(bucket);
    }

    /// <summary>Consecutive gradients of one dtype and device, up to <see cref="BucketBytes"/> each (a larger one alone).</summary>
    public static IEnumerable<List<Tensor>> Buckets(IReadOnlyList<Tensor> grads)
    {
        var bucket = new List<Tensor>();
        long bytes = 0;
        foreach (var g in grads)
        {
            long size = g.numel() * g.ElementSize;
            bool full = bucket.Count > 0 && (bytes + size > BucketBytes || g.dtype != bucket[0].dtype || g.device_type != bucket[0].device_type || g.device_index != bucket[0].device_index);
            if (full) { yield return bucket; bucket = []; bytes = 0; }
            bucket.Add(g);
            bytes += size;
        }
        if (bucket.Count > 0) yield return bucket;
    }

    void AverageBucket(List<Tensor> grads) =>
        HostStaging.AverageBucket(grads, WorldSize, host => OnHost(host, (p, bytes) => AllReduceChunks(p, bytes, TypeOf(host.dtype), MpiOp.Sum)));

    public double[] Sum(double[] values) => Reduce(values, MpiOp.Sum);

    public int Min(int value) => (int)Reduce([value], MpiOp.Min)[0];

    /// <summary>Element-wise maximum over ranks.</summary>
    public double[] Max(double[] values) => Reduce(values, MpiOp.Max);

    /// <summary>Element-wise minimum over ranks.</summary>
    public double[] Min(double[] values) => Reduce(values, MpiOp.Min);

    unsafe double[] Reduce(double[] values, MpiOp op)
    {
        var result = (double[])values.Clone();
        fixed (double* p = result) MpiNative.AllReduce(p, result.Length, MpiType.Double, op);
        return result;
    }

    public unsafe byte[] BroadcastBytes(byte[] bytes)
    {
        var length = new[] { (double)bytes.Length };
        fixed (double* p = length) MpiNative.Broadcast(p, 1, MpiType.Double, 0);
        var result = Rank == 0 ? bytes : new byte[(long)length[0]];
        fixed (byte* p = result) BroadcastChunks(p, result.LongLength);
        return result;
    }

    /// <summary>All-reduce sum of a (small) tensor: SyncBN statistics and their gradients.</summary>
    public Tensor SumOverRanks(Tensor local)
    {
        var host = local.detach().cpu().contiguous().clone();
        unsafe { OnHost(host, (p, bytes) => AllReduceChunks(p, bytes, TypeOf(host.dtype), MpiOp.Sum)); }
        return local.device_type == DeviceType.CPU ? host : host.to(local.device);
    }

    public static void Barrier() => MpiNative.Barrier();

    /// <summary>Ends every process of the job with exit code <paramref name="code"/>; never returns.</summary>
    public static void Abort(int code) => MpiNative.Abort(code);

    public void Dispose() => MpiNative.Shutdown();

    unsafe delegate void HostAction(byte* data, long bytes);

    static unsafe void OnHost(Tensor host, HostAction action)
    {
        fixed (byte* p = host.bytes) action(p, host.numel() * host.ElementSize);
    }

    static unsafe void BroadcastChunks(byte* data, long bytes)
    {
        for (long done = 0; done < bytes; done += ChunkBytes)
            MpiNative.Broadcast(data + done, (int)Math.Min(ChunkBytes, bytes - done), MpiType.Byte, 0);
    }

    static unsafe void AllReduceChunks(byte* data, long bytes, MpiType type, MpiOp op)
    {
        int size = type == MpiType.Float ? 4 : 8;
        for (long done = 0; done < bytes; done += ChunkBytes)
            MpiNative.AllReduce(data + done, (int)(Math.Min(ChunkBytes, bytes - done) / size), type, op);
    }

    static MpiType TypeOf(ScalarType dtype) => dtype switch
    {
        ScalarType.Float32 => MpiType.Float,
        ScalarType.Float64 => MpiType.Double,
        _ => throw new ArgumentException($"all-reduce supports float32 and float64 tensors, not {dtype}", nameof(dtype)),
    };
}
