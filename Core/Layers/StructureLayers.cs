// Layers that compose others (sequences, residual blocks with add/and/iand merges) and dropout.
using SnnDsl.Dsl.Model;
using static TorchSharp.torch;

namespace SnnDsl.Core.Layers;

/// <summary>Children applied in order; each registered under its name, so parameter names follow the description.</summary>
public sealed class SequenceLayer : SpikingLayer
{
    public IReadOnlyList<SpikingLayer> Children { get; }

    public SequenceLayer(string name, string path, IReadOnlyList<SpikingLayer> children) : base(name, path)
    {
        Children = children;
        foreach (var child in children) register_module(child.GetName(), child);
    }

    public override Tensor MultiStep(Tensor x, PassContext ctx) => Children.Aggregate(x, (h, layer) => layer.MultiStep(h, ctx));
    public override Tensor SingleStep(Tensor x, PassContext ctx) => Children.Aggregate(x, (h, layer) => layer.SingleStep(h, ctx));
    public override Tensor Rate(Tensor x, PassContext ctx) => Children.Aggregate(x, (h, layer) => layer.Rate(h, ctx));
}

/// <summary>
/// merge(body(x), shortcut(x)) with shortcut = identity when absent. Add is linear, so the rate pass is exact;
/// and / iand are products of spikes, so the spike pass records their mean output and the rate pass uses it in value
/// with the gradient of the merge applied to the rates (as <see cref="NonlinearLayer"/>).
/// </summary>
public sealed class ResidualLayer : SpikingLayer
{
    readonly MergeKind _merge;
    public SequenceLayer Body { get; }
    public SequenceLayer? Shortcut { get; }

    sealed class MeanOutput : IPassState { public Tensor? Sum; public IEnumerable<Tensor?> Tensors => [Sum]; }

    public ResidualLayer(string name, string path, SequenceLayer body, SequenceLayer? shortcut, MergeKind merge) : base(name, path)
    {
        _merge = merge;
        Body = body;
        Shortcut = shortcut;
        register_module("body", body);
        if (shortcut is not null) register_module("shortcut", shortcut);
    }

    public static Tensor Merge(MergeKind kind, Tensor body, Tensor shortcut) => kind switch
    {
        MergeKind.Add => body + shortcut,
        MergeKind.And => body * shortcut,
        MergeKind.IAnd => (1.0 - body) * shortcut,
        _ => throw new ArgumentOutOfRangeException(nameof(kind)),
    };

    public override Tensor MultiStep(Tensor x, PassContext ctx)
    {
        var y = Merge(_merge, Body.MultiStep(x, ctx), Shortcut?.MultiStep(x, ctx) ?? x);
        if (ctx.Record && _merge != MergeKind.Add)
            ctx.State(this, () => new MeanOutput()).Sum = SplitTime(y, ctx.TimeSteps).sum(dim: 0);
        return y;
    }

    public override Tensor SingleStep(Tensor x, PassContext ctx)
    {
        var y = Merge(_merge, Body.SingleStep(x, ctx), Shortcut?.SingleStep(x, ctx) ?? x);
        if (ctx.Record && _merge != MergeKind.Add)
        {
            var mean = ctx.State(this, () => new MeanOutput());
            mean.Sum = mean.Sum is null ? y : mean.Sum + y;
        }
        return y;
    }

    public override Tensor Rate(Tensor x, PassContext ctx)
    {
        var y = Merge(_merge, Body.Rate(x, ctx), Shortcut?.Rate(x, ctx) ?? x);
        if (_merge == MergeKind.Add) return y;
        var recorded = ctx.Recorded<MeanOutput>(this, Path).Sum! / ctx.TimeSteps;
        return recorded + (y - y.detach());
    }
}

/// <summary>Dropout with one mask per sample for the whole pass (shared by all time steps and by the rate pass).</summary>
public sealed class DropoutLayer(DropoutSpec spec, string path) : SpikingLayer(spec.Name, path)
{
    sealed class Mask : IPassState { public Tensor? Value; public IEnumerable<Tensor?> Tensors => [Value]; }

    // mask: [B, ...] of 0 and 1/(1−p)
    Tensor MaskFor(Tensor sample, PassContext ctx)
    {
        var mask = ctx.State(this, () => new Mask());
        mask.Value ??= bernoulli(full_like(sample, 1.0 - spec.P)).div_(1.0 - spec.P);
        return mask.Value;
    }

    public override Tensor MultiStep(Tensor x, PassContext ctx)
    {
        if (!training || spec.P == 0) return x.alias();
        var xt = SplitTime(x, ctx.TimeSteps);
        return (xt * MaskFor(xt[0], ctx)).view(x.shape);
    }

    public override Tensor SingleStep(Tensor x, PassContext ctx) =>
        !training || spec.P == 0 ? x.alias() : x * MaskFor(x, ctx);

    public override Tensor Rate(Tensor x, PassContext ctx) => SingleStep(x, ctx);
}
