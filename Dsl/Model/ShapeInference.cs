// Shape inference and cost accounting over a network description: output shapes, parameters, MACs, neurons per layer.
namespace SnnDsl.Dsl.Model;

/// <summary>A layer whose input shape does not fit it. Path is the dotted layer path ("features.3").</summary>
public sealed class ShapeException(string path, string message) : Exception(message)
{
    public string Path { get; } = path;
}

/// <summary>
/// One row of the layer table: where it is, what it is, and what it costs per sample and time step. Init is the
/// initialisation of a conv or linear layer as the language writes it ("normal(mean = 0, std = 0.5)"); null for others.
/// </summary>
public sealed record LayerInfo(string Path, string Kind, Shape Input, Shape Output, long Parameters, long Macs, long Neurons, int Depth,
    string? Init = null);

/// <summary>Computes every layer's output shape from the input shape; the single source of shapes for the checker and the builder.</summary>
public static class ShapeInference
{
    /// <summary>Largest tensor (elements per sample) or parameter count the inference accepts before refusing.</summary>
    public const long MaxElements = 1L << 36;

    public static string Join(string prefix, string name) =>
        prefix.Length == 0 ? name : name.Length == 0 ? prefix : prefix + "." + name;

    /// <summary>The layer table of a network, depth-first in execution order (containers before their children).</summary>
    public static IReadOnlyList<LayerInfo> Analyse(NetworkSpec network)
    {
        var rows = new List<LayerInfo>();
        Walk(network.Root, "", network.Input, rows, 0);
        return rows;
    }

    /// <summary>Output shape of a whole network (per sample).</summary>
    public static Shape OutputShape(NetworkSpec network) => Walk(network.Root, "", network.Input, null, 0);

    /// <summary>Output shape of one layer for a given input shape; throws ShapeException when it does not fit.</summary>
    public static Shape OutputShape(LayerSpec layer, Shape input, string path = "") => Walk(layer, path, input, null, 0);

    static Shape Walk(LayerSpec layer, string prefix, Shape input, List<LayerInfo>? rows, int depth)
    {
        var path = Join(prefix, layer.Name);
        switch (layer)
        {
            case SequenceSpec seq:
            {
                int at = rows?.Count ?? 0;
                var shape = input;
                foreach (var child in seq.Layers) shape = Walk(child, path, shape, rows, depth + 1);
                if (rows is not null && path.Length > 0)
                    rows.Insert(at, Container(path, "sequence", input, shape, rows.Skip(at), depth));
                return shape;
            }
            case ResidualSpec res:
            {
                int at = rows?.Count ?? 0;
                var body = Walk(res.Body with { Name = ResidualSpec.BodyName }, path, input, rows, depth + 1);
                var shortcut = res.Shortcut is null ? input : Walk(res.Shortcut with { Name = ResidualSpec.ShortcutName }, path, input, rows, depth + 1);
                if (!body.Equals(shortcut))
                    throw new ShapeException(path,
                        $"residual '{path}': body gives {body} but the shortcut gives {shortcut}; they must match to {res.Merge.ToString().ToLowerInvariant()}");
                rows?.Insert(at, Container(path, "residual " + res.Merge.ToString().ToLowerInvariant(), input, body, rows.Skip(at), depth));
                return body;
            }
            default:
            {
                var (output, parameters, macs, neurons) = Leaf(layer, path, input);
                var init = layer is IWeightedSpec weighted ? (weighted.Init ?? InitSpec.Default).ToString() : null;
                rows?.Add(new LayerInfo(path, KindName(layer), input, output, parameters, macs, neurons, depth, init));
                return output;
            }
        }
    }

    static LayerInfo Container(string path, string kind, Shape input, Shape output, IEnumerable<LayerInfo> children, int depth)
    {
        var leaves = children.Where(r => !r.Kind.StartsWith("sequence") && !r.Kind.StartsWith("residual")).ToList();
        return new LayerInfo(path, kind, input, output, leaves.Sum(r => r.Parameters), leaves.Sum(r => r.Macs), leaves.Sum(r => r.Neurons), depth);
    }

    public static string KindName(LayerSpec layer) => layer switch
    {
        ConvSpec => "conv",
        LinearSpec => "linear",
        BatchNormSpec => "bn",
        NeuronLayerSpec n => n.Neuron.Kind,
        AvgPoolSpec => "avgpool",
        MaxPoolSpec => "maxpool",
        AdaptiveAvgPoolSpec => "adaptive_avgpool",
        FlattenSpec => "flatten",
        DropoutSpec => "dropout",
        IdentitySpec => "identity",
        SequenceSpec => "sequence",
        ResidualSpec => "residual",
        _ => layer.GetType().Name,
    };

    static (Shape Output, long Params, long Macs, long Neurons) Leaf(LayerSpec layer, string path, Shape input)
    {
        switch (layer)
        {
            case ConvSpec c:
            {
                RequireRank(path, "conv", input, 3);
                long cin = input[0];
                if (c.OutChannels <= 0 || c.Kernel <= 0 || c.Stride <= 0 || c.Padding < 0 || c.Groups <= 0 || c.Dilation <= 0)
                    throw new ShapeException(path, $"conv '{path}': channels, kernel, stride, groups and dilation must be positive and padding non-negative");
                if (cin % c.Groups != 0 || c.OutChannels % c.Groups != 0)
                    throw new ShapeException(path, $"conv '{path}': groups = {c.Groups} must divide both input channels ({cin}) and output channels ({c.OutChannels})");
                long h = Spatial(path, "conv", input[1], c.Kernel, c.Stride, c.Padding, c.Dilation);
                long w = Spatial(path, "conv", input[2], c.Kernel, c.Stride, c.Padding, c.Dilation);
                long weights = Checked(path, () => checked(c.OutChannels * (cin / c.Groups) * c.Kernel * c.Kernel));
                var output = Bounded(path, Shape.Of(c.OutChannels, h, w));
                return (output, weights + (c.Bias ? c.OutChannels : 0), Checked(path, () => checked(weights * h * w)), 0);
            }
            case LinearSpec l:
            {
                RequireRank(path, "linear", input, 1);
                if (l.OutFeatures <= 0) throw new ShapeException(path, $"linear '{path}': output features must be positive, got {l.OutFeatures}");
                long weights = Checked(path, () => checked(l.OutFeatures * input[0]));
                return (Bounded(path, Shape.Of(l.OutFeatures)), weights + (l.Bias ? l.OutFeatures : 0), weights, 0);
            }
            case BatchNormSpec:
                if (input.Rank != 3 && input.Rank != 1)
                    throw new ShapeException(path, $"bn '{path}' expects [C, H, W] or [C], got {input}");
                return (input, 2 * input[0], 0, 0);
            case NeuronLayerSpec n:
                return (input, n.Neuron.Info.Learnable.Count, 0, input.Elements); // one scalar per learnable parameter
            case AvgPoolSpec p:
                return (Pool(path, "avgpool", input, p.Kernel, p.Stride, p.Padding), 0, 0, 0);
            case MaxPoolSpec p:
                return (Pool(path, "maxpool", input, p.Kernel, p.Stride, p.Padding), 0, 0, 0);
            case AdaptiveAvgPoolSpec a:
                RequireRank(path, "adaptive_avgpool", input, 3);
                if (a.OutputSize <= 0) throw new ShapeException(path, $"adaptive_avgpool '{path}': output size must be positive");
                return (Shape.Of(input[0], a.OutputSize, a.OutputSize), 0, 0, 0);
            case FlattenSpec:
                return (Shape.Of(input.Elements), 0, 0, 0);
            case DropoutSpec d:
                if (d.P < 0 || d.P >= 1) throw new ShapeException(path, $"dropout '{path}': p must be in [0, 1), got {d.P}");
                return (input, 0, 0, 0);
            case IdentitySpec:
                return (input, 0, 0, 0);
            default:
                throw new ShapeException(path, $"'{path}': unknown layer kind {layer.GetType().Name}");
        }
    }

    static Shape Pool(string path, string kind, Shape input, int kernel, int stride, int padding)
    {
        RequireRank(path, kind, input, 3);
        if (kernel <= 0 || stride <= 0 || padding < 0)
            throw new ShapeException(path, $"{kind} '{path}': kernel and stride must be positive and padding non-negative");
        if (2 * padding > kernel)
            throw new ShapeException(path, $"{kind} '{path}': padding {padding} must be at most half the kernel {kernel}");
        return Shape.Of(input[0], Spatial(path, kind, input[1], kernel, stride, padding, 1), Spatial(path, kind, input[2], kernel, stride, padding, 1));
    }

    static long Spatial(string path, string kind, long size, int kernel, int stride, int padding, int dilation)
    {
        long span = (long)dilation * (kernel - 1) + 1;
        long padded = size + 2L * padding;
        if (padded < span)
            throw new ShapeException(path, $"{kind} '{path}': kernel {kernel} does not fit an input of size {size} with padding {padding}");
        return (padded - span) / stride + 1;
    }

    static void RequireRank(string path, string kind, Shape input, int rank)
    {
        if (input.Rank != rank)
            throw new ShapeException(path, rank == 3
                ? $"{kind} '{path}' expects a [C, H, W] input, got {input}"
                : $"{kind} '{path}' expects a flat [features] input, got {input}; add a flatten before it");
    }

    static Shape Bounded(string path, Shape shape)
    {
        Checked(path, () => shape.Elements);
        return shape;
    }

    static long Checked(string path, Func<long> size)
    {
        long value;
        try { value = checked(size()); }
        catch (OverflowException) { value = long.MaxValue; }
        if (value > MaxElements)
            throw new ShapeException(path, $"'{path}' would need {(value == long.MaxValue ? "more than 2^63" : value.ToString("N0"))} elements per sample, above the limit of {MaxElements:N0}");
        return value;
    }
}
