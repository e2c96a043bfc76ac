// The seam for multi-process training: what the trainer needs from a group of processes (one process: nothing to do).
using TorchSharp.Modules;

namespace SnnDsl.Core.Distributed;

/// <summary>
/// Operations across the processes of a data-parallel job. The trainer calls them at fixed points: broadcast the
/// initial state from rank 0, average gradients after backward, and sum metrics.
/// </summary>
public interface ICollective
{
    int Rank { get; }
    int WorldSize { get; }
    /// <summary>Makes every rank's parameters and buffers equal to rank 0's.</summary>
    void Broadcast(IReadOnlyList<TorchSharp.torch.Tensor> tensors);
    /// <summary>Replaces each parameter's gradient by its mean over ranks.</summary>
    void AverageGradients(IReadOnlyList<Parameter> parameters);
    /// <summary>Sums numbers over ranks.</summary>
    double[] Sum(double[] values);
    /// <summary>The smallest of the ranks' values (e.g. batches per epoch, so that every rank steps in lockstep).</summary>
    int Min(int value) => value;
    /// <summary>Rank 0's bytes on every rank (other ranks' arguments are ignored): files only rank 0 can read.</summary>
    byte[] BroadcastBytes(byte[] bytes) => bytes;
    /// <summary>The reducer SyncBN uses (BatchNorm statistics over ranks); null when there is one process.</summary>
    SnnDsl.Core.Layers.IBatchNormSync? BatchNormSync => null;
}

/// <summary>A job of one process.</summary>
public sealed class SingleProcess : ICollective
{
    public static readonly SingleProcess Instance = new();
    public int Rank => 0;
    public int WorldSize => 1;
    public void Broadcast(IReadOnlyList<TorchSharp.torch.Tensor> tensors) { }
    public void AverageGradients(IReadOnlyList<Parameter> parameters) { }
    public double[] Sum(double[] values) => values;
}
