// Turns a plain network description into TorchSharp modules, with shapes from the description's shape inference.
using SnnDsl.Core.Layers;
using SnnDsl.Core.Runtime;
using SnnDsl.Dsl.Model;
using TorchSharp;
using static TorchSharp.torch;

namespace SnnDsl.Core.Model;

/// <summary>Builds a <see cref="SpikingNetwork"/> from a <see cref="NetworkSpec"/> on a given device.</summary>
public static class NetworkBuilder
{
    /// <summary>
    /// Builds the network on the CPU, initialises it from its own generator seeded with <paramref name="seed"/>
    /// (the same weights whatever else draws random numbers), and moves it to <paramref name="device"/> (CPU when null).
    /// </summary>
    public static SpikingNetwork Build(NetworkSpec spec, long seed, Device? device = null)
    {
        NativeRuntime.EnsureLoaded();
        ShapeInference.OutputShape(spec); // refuses a description whose shapes do not fit, before any allocation
        using var generator = new Generator((ulong)seed, CPU);
        var layers = new Builder(generator).BuildAll(spec.Layers, "", spec.Input);
        var network = new SpikingNetwork(spec, layers);
        if (device is not null) network.to(device);
        return network;
    }

    sealed class Builder(Generator generator)
    {
        public List<SpikingLayer> BuildAll(IReadOnlyList<LayerSpec> specs, string prefix, Shape input)
        {
            var layers = new List<SpikingLayer>();
            var shape = input;
            foreach (var spec in specs)
            {
                layers.Add(BuildOne(spec, prefix, shape));
                shape = ShapeInference.OutputShape(spec, shape, ShapeInference.Join(prefix, spec.Name));
            }
            return layers;
        }

        SpikingLayer BuildOne(LayerSpec spec, string prefix, Shape input)
        {
            var path = ShapeInference.Join(prefix, spec.Name);
            return spec switch
            {
                ConvSpec c => new ConvLayer(c, path, input[0], generator),
                LinearSpec l => new LinearLayer(l, path, input[0], generator),
                BatchNormSpec b => new BatchNormLayer(b, path, input[0]),
                NeuronLayerSpec n => new NeuronLayer(n, path),
                AvgPoolSpec a => new AvgPoolLayer(a, path),
                AdaptiveAvgPoolSpec a => new AdaptiveAvgPoolLayer(a, path),
                MaxPoolSpec m => new MaxPoolLayer(m, path),
                FlattenSpec f => new FlattenLayer(f, path),
                DropoutSpec d => new DropoutLayer(d, path),
                IdentitySpec i => new IdentityLayer(i, path),
                SequenceSpec s => Sequence(s, path, input),
                ResidualSpec r => new ResidualLayer(r.Name, path, Branch(r.Body, path, ResidualSpec.BodyName, input),
                    r.Shortcut is null ? null : Branch(r.Shortcut, path, ResidualSpec.ShortcutName, input), r.Merge),
                _ => throw new ArgumentException($"unknown layer kind {spec.GetType().Name} at '{path}'", nameof(spec)),
            };
        }

        SequenceLayer Sequence(SequenceSpec spec, string path, Shape input) => new(spec.Name, path, BuildAll(spec.Layers, path, input));

        SequenceLayer Branch(SequenceSpec spec, string residualPath, string name, Shape input) =>
            Sequence(spec with { Name = name }, ShapeInference.Join(residualPath, name), input);
    }
}
