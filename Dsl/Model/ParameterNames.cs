// The stable names and shapes of a network's parameters and buffers, as Core registers them and checkpoints store them.
namespace SnnDsl.Dsl.Model;

/// <summary>One tensor of the built network: its dotted name (e.g. "stage1.0.body.0.weight"), shape, and whether it is a buffer.</summary>
public sealed record ParameterName(string Name, Shape Shape, bool IsBuffer);

public static class ParameterNames
{
    /// <summary>Every parameter and buffer in module registration order (depth-first, as the layer table).</summary>
    public static IReadOnlyList<ParameterName> Of(NetworkSpec network)
    {
        var result = new List<ParameterName>();
        foreach (var row in ShapeInference.Analyse(network))
            result.AddRange(Tensors(row, Find(network, row.Path)));
        return result;
    }

    static LayerSpec? Find(NetworkSpec network, string path)
    {
        LayerSpec? current = network.Root;
        foreach (var segment in path.Split('.'))
        {
            current = current switch
            {
                SequenceSpec s => s.Layers.FirstOrDefault(l => l.Name == segment),
                ResidualSpec r => segment == "body" ? r.Body : segment == "shortcut" ? r.Shortcut : null,
                _ => null,
            };
        }
        return current;
    }

    static IEnumerable<ParameterName> Tensors(LayerInfo row, LayerSpec? layer)
    {
        string Name(string tensor) => row.Path + "." + tensor;
        switch (layer)
        {
            case ConvSpec c:
                yield return new(Name("weight"), Shape.Of(c.OutChannels, row.Input[0] / c.Groups, c.Kernel, c.Kernel), false);
                if (c.Bias) yield return new(Name("bias"), Shape.Of(c.OutChannels), false);
                break;
            case LinearSpec l:
                yield return new(Name("weight"), Shape.Of(l.OutFeatures, row.Input[0]), false);
                if (l.Bias) yield return new(Name("bias"), Shape.Of(l.OutFeatures), false);
                break;
            case NeuronLayerSpec n:
                foreach (var learnable in n.Neuron.Info.Learnable) yield return new(Name(learnable), Shape.Of(), false);
                break;
            case BatchNormSpec:
                long channels = row.Input[0];
                yield return new(Name("weight"), Shape.Of(channels), false);
                yield return new(Name("bias"), Shape.Of(channels), false);
                yield return new(Name("running_mean"), Shape.Of(channels), true);
                yield return new(Name("running_var"), Shape.Of(channels), true);
                yield return new(Name("num_batches_tracked"), Shape.Of(), true);
                break;
        }
    }
}
