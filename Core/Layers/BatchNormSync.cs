// Synchronised BatchNorm statistics: the reducer a data-parallel job injects, and its differentiable all-reduce.
using static TorchSharp.torch;

namespace SnnDsl.Core.Layers;

/// <summary>
/// Sums small tensors over the ranks of a data-parallel job. Given to BatchNorm (through <see cref="PassContext"/>),
/// it makes batch statistics those of the global batch (SyncBN). Every rank must call it in the same order.
/// </summary>
public interface IBatchNormSync
{
    /// <summary>The element-wise sum over ranks of <paramref name="local"/>, as a new tensor; no graph.</summary>
    Tensor SumOverRanks(Tensor local);
}

/// <summary>Channel means over the global batch, differentiable: the gradient of a sum over ranks is the sum over ranks of the gradients.</summary>
public static class SyncedStatistics
{
    /// <summary>Biased mean and variance [C] of x over <paramref name="dims"/> on every rank together, and the global count per channel.</summary>
    public static (Tensor Mean, Tensor Variance, long Count) Moments(Tensor x, long[] dims, long[] shape, IBatchNormSync sync)
    {
        var (mean, count) = MeanAndCount(x, dims, sync);
        var (variance, _) = MeanAndCount((x - mean.view(shape)).square(), dims, sync);
        return (mean, variance, count);
    }

    /// <summary>Mean over <paramref name="dims"/> of x on every rank together: [C]; and the number of elements per channel.</summary>
    public static (Tensor Mean, long Count) MeanAndCount(Tensor x, long[] dims, IBatchNormSync sync)
    {
        long channels = x.shape[1];
        var count = full(1, (double)(x.numel() / channels), dtype: x.dtype, device: x.device);
        var local = cat([x.sum(dims), count], 0);                    // [C + 1]
        var total = AllReduceSum.Apply(local, sync);                  // [C + 1]
        var n = total[channels].detach();
        return (total.narrow(0, 0, channels) / n, (long)Math.Round(n.to(float64).item<double>()));
    }
}

/// <summary>
/// y = Σ_ranks x. Backward: every rank's loss depends on y, so ∂(Σ_r L_r)/∂x on this rank is Σ_ranks ∂L_r/∂y, which
/// is again an all-reduce; with gradients averaged afterwards this gives exactly the one-process gradient.
/// </summary>
public sealed class AllReduceSum : TorchSharp.torch.autograd.SingleTensorFunction<AllReduceSum>
{
    const string SyncKey = "sync";

    public override string Name => "AllReduceSum";

    /// <summary>The sum over ranks of <paramref name="local"/>, with a graph when <paramref name="local"/> requires grad.</summary>
    public static Tensor Apply(Tensor local, IBatchNormSync sync) =>
        local.requires_grad ? apply(local, sync) : sync.SumOverRanks(local);

    public override Tensor forward(TorchSharp.torch.autograd.AutogradContext ctx, params object[] vars)
    {
        var sync = (IBatchNormSync)vars[1];
        ctx.save_data(SyncKey, sync);
        return sync.SumOverRanks((Tensor)vars[0]);
    }

    public override List<Tensor> backward(TorchSharp.torch.autograd.AutogradContext ctx, Tensor gradOutput)
    {
        var sync = (IBatchNormSync)ctx.get_data(SyncKey);
        return [sync.SumOverRanks(gradOutput), null!]; // one entry per input of apply(local, sync); the reducer has none
    }
}
