// A built spiking network: the layers of a description as TorchSharp modules, run multi-step, single-step or on rates.
using SnnDsl.Core.Layers;
using SnnDsl.Dsl.Model;
using static TorchSharp.torch;

namespace SnnDsl.Core.Model;

/// <summary>
/// The modules of a <see cref="NetworkSpec"/>. Parameter names follow the description ("features.0.weight"). The output
/// of a spiking pass is the mean over time of the last (non-spiking) layer's outputs.
/// </summary>
public sealed class SpikingNetwork : nn.Module
{
    readonly SequenceLayer _root;

    public SpikingNetwork(NetworkSpec spec, IReadOnlyList<SpikingLayer> layers) : base(spec.Name.Length > 0 ? spec.Name : "network")
    {
        Spec = spec;
        _root = new SequenceLayer("", "", layers);
        foreach (var layer in layers) register_module(layer.GetName(), layer);
    }

    public NetworkSpec Spec { get; }

    /// <summary>Every layer, depth-first in execution order (containers before their children).</summary>
    public IEnumerable<SpikingLayer> Layers => Flatten(_root).Skip(1);

    static IEnumerable<SpikingLayer> Flatten(SpikingLayer layer)
    {
        yield return layer;
        var children = layer switch
        {
            SequenceLayer s => s.Children,
            ResidualLayer r => r.Shortcut is null ? [r.Body] : new SpikingLayer[] { r.Body, r.Shortcut },
            _ => [],
        };
        foreach (var child in children)
            foreach (var inner in Flatten(child)) yield return inner;
    }

    /// <summary>All T steps at once. Returns the mean output [B, K] and the per-step outputs [T, B, K].</summary>
    public (Tensor Mean, Tensor PerStep) MultiStep(SpikeInput input, PassContext ctx)
    {
        var output = _root.MultiStep(input.TimeMajor(ctx.TimeSteps), ctx); // [T·B, K]
        var perStep = output.view([ctx.TimeSteps, input.BatchSize, .. output.shape.Skip(1)]);
        return (perStep.mean([0]), perStep);
    }

    /// <summary>One step at a time (state carried in ctx). Returns the mean output [B, K] and the per-step outputs [T, B, K].</summary>
    public (Tensor Mean, Tensor PerStep) SingleStep(SpikeInput input, PassContext ctx)
    {
        var outputs = new Tensor[ctx.TimeSteps];
        for (int t = 0; t < ctx.TimeSteps; t++) outputs[t] = Step(input, ctx, t);
        var perStep = stack(outputs);
        return (perStep.mean([0]), perStep);
    }

    /// <summary>Step t of a single-step pass (state carried in ctx): the read-out [B, K] of that step.</summary>
    public Tensor Step(SpikeInput input, PassContext ctx, int t)
    {
        ctx.Step = t;
        return _root.SingleStep(input.AtStep(t, ctx.TimeSteps), ctx);
    }

    /// <summary>The rate pass on the time-averaged input, after a recording spike pass with the same ctx: [B, K].</summary>
    public Tensor Rate(SpikeInput input, PassContext ctx) => _root.Rate(input.Mean, ctx);
}
