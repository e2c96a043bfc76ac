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

    public override Tensor MultiStep(Tensor x, PassContext ctx) => Chain(x, (layer, h) => layer.MultiStep(h, ctx));
    public override Tensor SingleStep(Tensor x, PassContext ctx) => Chain(x, (layer, h) => layer.SingleStep(h, ctx));
    public override Tensor Rate(Tensor x, PassContext ctx) => Chain(x, (layer, h) => layer.Rate(h, ctx));

    /// <summary>
    /// Applies the children in order and releases each intermediate handle once the next layer has consumed it. The
    /// autograd graph holds its own references to what backward needs, and no layer keeps its input, so only memory
    /// nobody needs is freed early (without this, every activation lives until the batch's dispose scope ends).
    /// </summary>
    Tensor Chain(Tensor x, Func<SpikingLayer, Tensor, Tensor> apply)
    {
        var h = x;
        foreach (var layer in Children)
        {
            var next = apply(layer, h);
            if (!ReferenceEquals(h, x) && !ReferenceEquals(next, h)) h.Dispose();
            h = next;
        }
        return h;
    }
}

/// <summary>
/// merge(body(x), shortcut(x)) with shortcut = identity when absent. Add is linear, so the rate pass is exact;
/// and / iand are products of spikes, so the spike pass records their mean output and the rate pass uses it in value
/// with the gradient of the merge applied to the rates (as <see cref="NonlinearLayer"/>).
/// </summary>
public sealed class ResidualLayer : SpikingLayer
{
    readonly MergeKind _merge;
    // Field names are the registered names: TorchSharp's reflection over module fields must find "body" and "shortcut".
    readonly SequenceLayer body;
    readonly SequenceLayer? shortcut;

    public SequenceLayer Body => body;
    public SequenceLayer? Shortcut => shortcut;

    sealed class MeanOutput : IPassState { public Tensor? Sum; public IEnumerable<Tensor?> Tensors => [Sum]; }

    public ResidualLayer(string name, string path, SequenceLayer body, SequenceLayer? shortcut, MergeKind merge) : base(name, path)
    {
        _merge = merge;
        this.body = body;
        this.shortcut = shortcut;
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

    /// <summary>The merge of the two branch outputs; the branch handles are released (see <see cref="SequenceLayer"/>).</summary>
    static Tensor MergeBranches(MergeKind kind, Tensor x, Tensor body, Tensor? shortcut)
    {
        var y = Merge(kind, body, shortcut ?? x);
        if (!ReferenceEquals(body, x)) body.Dispose();
        if (shortcut is not null && !ReferenceEquals(shortcut, x)) shortcut.Dispose();
        return y;
    }

    public override Tensor MultiStep(Tensor x, PassContext ctx)
    {
        var y = MergeBranches(_merge, x, Body.MultiStep(x, ctx), Shortcut?.MultiStep(x, ctx));
        if (ctx.Record && _merge != MergeKind.Add)
            ctx.State(this, () => new MeanOutput()).Sum = SumOverTime(y, ctx.TimeSteps);
        return y;
    }

    public override Tensor SingleStep(Tensor x, PassContext ctx)
    {
        var (bodyOut, shortcutOut) = (Body.SingleStep(x, ctx), Shortcut?.SingleStep(x, ctx));
        var y = MergeBranches(_merge, x, bodyOut, shortcutOut); // releases the branch handles; the objects still key their companions
        if (_merge == MergeKind.Add) ctx.Online?.CarryAdd(bodyOut, shortcutOut ?? x, y);
        if (ctx.Record && _merge != MergeKind.Add)
        {
            var mean = ctx.State(this, () => new MeanOutput());
            mean.Sum = mean.Sum is null ? y.detach() : mean.Sum + y; // a handle of its own: the caller releases y
        }
        return y;
    }

    public override Tensor Rate(Tensor x, PassContext ctx)
    {
        var y = MergeBranches(_merge, x, Body.Rate(x, ctx), Shortcut?.Rate(x, ctx));
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
        using var xt = SplitTime(x, ctx.TimeSteps);
        using var first = xt[0];
        using var masked = xt * MaskFor(first, ctx);
        return masked.view(x.shape);
    }

    public override Tensor SingleStep(Tensor x, PassContext ctx)
    {
        if (!training || spec.P == 0) return x.alias();
        var mask = MaskFor(x, ctx);
        var y = x * mask;
        ctx.Online?.Carry(x, y, companion => companion * mask);
        return y;
    }

    public override Tensor Rate(Tensor x, PassContext ctx) => SingleStep(x, ctx);
}
