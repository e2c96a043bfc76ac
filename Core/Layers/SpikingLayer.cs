// The base of every network layer: one module, three ways to run it (multi-step, single-step, rate).
using TorchSharp;
using static TorchSharp.torch;

namespace SnnDsl.Core.Layers;

/// <summary>
/// A layer of a spiking network. Tensors are time-major: a multi-step input is [T·B, ...] with time outermost.
/// <list type="bullet">
/// <item><see cref="MultiStep"/>: all T steps at once (BPTT-M, the rate-M spike pass, evaluation).</item>
/// <item><see cref="SingleStep"/>: one step of [B, ...]; state between steps lives in the <see cref="PassContext"/> (BPTT-S, the rate-S spike pass).</item>
/// <item><see cref="Rate"/>: the rate-BP rate pass on the time-averaged input [B, ...], using what the spike pass recorded.</item>
/// </list>
/// </summary>
public abstract class SpikingLayer : nn.Module
{
    protected SpikingLayer(string name, string path) : base(name) => Path = path;

    /// <summary>Dotted path of this layer in the network ("features.3"): the prefix of its parameter names.</summary>
    public string Path { get; }

    public abstract Tensor MultiStep(Tensor x, PassContext ctx);

    public abstract Tensor SingleStep(Tensor x, PassContext ctx);

    public abstract Tensor Rate(Tensor x, PassContext ctx);

    /// <summary>Σ_t of a [T·B, ...] tensor: [B, ...] (the temporary time-major view is released).</summary>
    protected static Tensor SumOverTime(Tensor x, int timeSteps)
    {
        using var xt = SplitTime(x, timeSteps);
        return xt.sum(dim: 0);
    }

    /// <summary>Time-major view [T, B, ...] of a [T·B, ...] tensor.</summary>
    protected static Tensor SplitTime(Tensor x, int timeSteps)
    {
        if (x.shape[0] % timeSteps != 0)
            throw new ArgumentException($"expected a time-major [T·B, ...] tensor with T = {timeSteps}, got leading size {x.shape[0]}", nameof(x));
        var shape = x.shape.ToList();
        shape[0] = x.shape[0] / timeSteps;
        shape.Insert(0, timeSteps);
        return x.view([.. shape]);
    }
}

/// <summary>A layer that is the same function of its input at every step and in every mode (conv, linear, avg pooling, flatten...).</summary>
public abstract class StatelessLayer(string name, string path) : SpikingLayer(name, path)
{
    /// <summary>The function, for any leading batch dimension.</summary>
    public abstract Tensor Apply(Tensor x);

    /// <summary>The function in a pass: its precision (<see cref="PassContext.ComputeWeights"/>) where the layer has weights.</summary>
    public virtual Tensor Apply(Tensor x, PassContext ctx) => Apply(x);

    public sealed override Tensor MultiStep(Tensor x, PassContext ctx)
    {
        var y = Apply(x, ctx);
        ctx.Operations?.Observe(this, x, y);
        return y;
    }

    public sealed override Tensor SingleStep(Tensor x, PassContext ctx) => ctx.Online is { } online ? online.Apply(this, x, ctx) : Apply(x, ctx);
    public sealed override Tensor Rate(Tensor x, PassContext ctx) => Apply(x, ctx);
}

/// <summary>
/// A stateless but non-linear function (max pooling): on rates it does not reproduce the mean of its spike-pass outputs.
/// The spike pass records that mean; the rate pass returns it in value and takes the gradient of the function applied
/// to the averaged input: y = mean_t f(x_t) + (f(x̄) − stopgrad(f(x̄))).
/// </summary>
public abstract class NonlinearLayer(string name, string path) : SpikingLayer(name, path)
{
    public abstract Tensor Apply(Tensor x);

    sealed class MeanOutput : IPassState { public Tensor? Sum; public IEnumerable<Tensor?> Tensors => [Sum]; }

    public sealed override Tensor MultiStep(Tensor x, PassContext ctx)
    {
        var y = Apply(x);
        if (ctx.Record) ctx.State(this, () => new MeanOutput()).Sum = SumOverTime(y, ctx.TimeSteps);
        return y;
    }

    public sealed override Tensor SingleStep(Tensor x, PassContext ctx)
    {
        var y = Apply(x);
        if (ctx.Record)
        {
            var mean = ctx.State(this, () => new MeanOutput());
            mean.Sum = mean.Sum is null ? y.detach() : mean.Sum + y; // a handle of its own: the caller releases y
        }
        return y;
    }

    public sealed override Tensor Rate(Tensor x, PassContext ctx)
    {
        var recorded = ctx.Recorded<MeanOutput>(this, Path).Sum! / ctx.TimeSteps;
        var y = Apply(x);
        return recorded + (y - y.detach());
    }
}
