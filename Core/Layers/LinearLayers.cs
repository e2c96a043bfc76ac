// Stateless layers with weights (convolution, linear) and without (pooling, flatten, identity).
using SnnDsl.Dsl.Model;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;
using F = TorchSharp.torch.nn.functional;

namespace SnnDsl.Core.Layers;

/// <summary>
/// A stateless layer with a weight and an optional bias [out], initialised as its description says (PyTorch's default
/// unless an `init` scheme is given). The tensors are read back from the module's registry on every use:
/// <c>Module.to(device | dtype)</c> replaces registered parameters with new ones, so a reference kept in a field or
/// property of another name would hold a freed tensor.
/// </summary>
public abstract class WeightedLayer : StatelessLayer
{
    /// <param name="weightShape">[out, ...]; the bias has weightShape[0] elements.</param>
    /// <param name="fans">Inputs feeding one output (fan_in) and outputs fed by one input (fan_out), for the initialisation.</param>
    protected WeightedLayer(string name, string path, long[] weightShape, bool bias, (long In, long Out) fans, InitSpec? init,
        Generator? generator) : base(name, path)
    {
        FanIn = fans.In;
        var weight = new Parameter(empty(weightShape));
        var biasTensor = bias ? new Parameter(empty(weightShape[0])) : null;
        Init.Apply(init ?? InitSpec.Default, weight, biasTensor, fans, generator);
        register_parameter("weight", weight);
        if (biasTensor is not null) register_parameter("bias", biasTensor);
    }

    public Parameter Weight => Registry.Parameter(this, "weight");
    public Parameter? Bias => Registry.OptionalParameter(this, "bias");

    /// <summary>Inputs feeding one output: the MACs of one output element.</summary>
    public long FanIn { get; }

    /// <summary>The layer on its float32 parameters (or whatever dtype they were moved to).</summary>
    public sealed override Tensor Apply(Tensor x) => Compute(x, Weight, Bias);

    /// <summary>
    /// The layer in the pass's precision: with weights of another dtype (bf16), x is cast to it, the layer computes in
    /// it, and the output is cast back to x's dtype, so every other layer sees float32.
    /// </summary>
    public sealed override Tensor Apply(Tensor x, PassContext ctx)
    {
        var (weight, bias) = ctx.ComputeWeights(this);
        if (weight.dtype == x.dtype) return Compute(x, weight, bias);
        using var input = x.to(weight.dtype);
        using var output = Compute(input, weight, bias);
        return output.to(x.dtype);
    }

    /// <summary>The function on an input, weight and bias of one dtype.</summary>
    protected abstract Tensor Compute(Tensor x, Tensor weight, Tensor? bias);
}

/// <summary>2-D convolution; weight [out, in/groups, k, k], optional bias [out].</summary>
public sealed class ConvLayer(ConvSpec spec, string path, long inChannels, Generator? generator = null)
    : WeightedLayer(spec.Name, path, [spec.OutChannels, inChannels / spec.Groups, spec.Kernel, spec.Kernel], spec.Bias,
        (inChannels / spec.Groups * spec.Kernel * spec.Kernel, spec.OutChannels * spec.Kernel * spec.Kernel), spec.Init, generator)
{
    readonly ConvSpec _spec = spec;

    public ConvSpec Spec => _spec;

    // x: [N, C_in, H, W] -> [N, C_out, H', W']
    protected override Tensor Compute(Tensor x, Tensor weight, Tensor? bias)
    {
        var (padIn, padOut) = ChannelPadding(x);
        return padIn == 0 && padOut == 0 ? Conv(x, weight, bias) : PaddedConv(x, weight, bias, padIn, padOut);
    }

    Tensor Conv(Tensor x, Tensor weight, Tensor? bias) =>
        F.conv2d(x, weight, bias, strides: [_spec.Stride], padding: [_spec.Padding], dilation: [_spec.Dilation], groups: _spec.Groups);

    /// <summary>
    /// libtorch 2.10's oneDNN (3.7.1) gets some channel counts wrong (measured on AVX-512 x86 against float64, relative
    /// error 0.1-0.8, values depending on uninitialised memory, sometimes NaN), and zero channels added to a multiple
    /// of 16 and sliced off again give exact values and correct gradients:
    /// <list type="bullet">
    /// <item>float32: the gradient with respect to the INPUT when the output channels are not a multiple of 16 (stride 1;
    /// forward and weight gradients are right). Padded only when a gradient flows to the input (never in the spike pass
    /// or for the first layer).</item>
    /// <item>bf16: the output itself when the output channels are not a multiple of 16, or the input channels are
    /// neither a multiple of 16 nor at most 16; the input gradient when either count is not a multiple of 16. Output
    /// channels are padded always, input channels when there are more than 16 or a gradient flows to the input (so a
    /// first layer's 1 or 3 image channels are not). Weight gradients are right in every case.</item>
    /// </list>
    /// Tests/Core/ConvLayerTests.fs checks values and all gradients of both dtypes against float64; the zoo's layers
    /// are multiples of 16 (the first layers' image channels aside) and never pay for it.
    /// </summary>
    public (long Input, long Output) ChannelPadding(Tensor x)
    {
        bool bf16 = x.dtype == ScalarType.BFloat16;
        long groups = _spec.Groups, inputs = x.shape[1];
        long output = bf16 || x.requires_grad ? PaddingPerGroup(groups, _spec.OutChannels / groups) : 0;
        long input = bf16 && (x.requires_grad || inputs > PaddedChannelBlock) ? PaddingPerGroup(groups, inputs / groups) : 0;
        return (input, output);
    }

    const int PaddedChannelBlock = 16;

    // channels to add to each group so that the total is a multiple of 16
    static long PaddingPerGroup(long groups, long perGroup) =>
        Enumerable.Range(0, PaddedChannelBlock).First(p => groups * (perGroup + p) % PaddedChannelBlock == 0);

    Tensor PaddedConv(Tensor x, Tensor filters, Tensor? biases, long padIn, long padOut)
    {
        long groups = _spec.Groups, outPerGroup = _spec.OutChannels / groups, inPerGroup = filters.shape[1];
        var kernel = filters.shape.Skip(2).ToArray();
        // filters [g, C_out/g, C_in/g, k, k] padded to [g·(C_out/g + padOut), C_in/g + padIn, k, k]
        var weight = F.pad(filters.view([groups, outPerGroup, inPerGroup, .. kernel]), [0, 0, 0, 0, 0, padIn, 0, padOut, 0, 0])
            .view([groups * (outPerGroup + padOut), inPerGroup + padIn, .. kernel]);
        var bias = biases is null || padOut == 0 ? biases : F.pad(biases.view(groups, outPerGroup), [0, padOut]).view(groups * (outPerGroup + padOut));
        var (n, h, w) = (x.shape[0], x.shape[2], x.shape[3]);
        // x [N, g·C_in/g, H, W] with zero channels: [N, g·(C_in/g + padIn), H, W]
        var input = padIn == 0 ? x : F.pad(x.reshape(n, groups, inPerGroup, h, w), [0, 0, 0, 0, 0, padIn]).view(n, groups * (inPerGroup + padIn), h, w);
        var y = Conv(input, weight, bias);                                       // [N, g·(C_out/g + padOut), H', W']
        if (padOut == 0) return y;
        var (ho, wo) = (y.shape[2], y.shape[3]);
        return y.view(n, groups, outPerGroup + padOut, ho, wo).narrow(2, 0, outPerGroup).reshape(n, _spec.OutChannels, ho, wo);
    }
}

/// <summary>Fully connected layer; weight [out, in], optional bias [out].</summary>
public sealed class LinearLayer(LinearSpec spec, string path, long inFeatures, Generator? generator = null)
    : WeightedLayer(spec.Name, path, [spec.OutFeatures, inFeatures], spec.Bias, (inFeatures, spec.OutFeatures), spec.Init, generator)
{
    // x: [N, in] -> [N, out]
    protected override Tensor Compute(Tensor x, Tensor weight, Tensor? bias) => F.linear(x, weight, bias);
}

public sealed class AvgPoolLayer(AvgPoolSpec spec, string path) : StatelessLayer(spec.Name, path)
{
    /// <summary>Inputs averaged into one output (k²): a sum of spikes is the output times this.</summary>
    public long WindowArea => (long)spec.Kernel * spec.Kernel;

    // x: [N, C, H, W] -> [N, C, H', W']; padding is counted in the average, as PyTorch's default
    public override Tensor Apply(Tensor x) =>
        F.avg_pool2d(x, kernel_size: spec.Kernel, stride: spec.Stride, padding: spec.Padding);
}

public sealed class AdaptiveAvgPoolLayer(AdaptiveAvgPoolSpec spec, string path) : StatelessLayer(spec.Name, path)
{
    // x: [N, C, H, W] -> [N, C, s, s]
    public override Tensor Apply(Tensor x) => F.adaptive_avg_pool2d(x, [spec.OutputSize, spec.OutputSize]);
}

public sealed class FlattenLayer(FlattenSpec spec, string path) : StatelessLayer(spec.Name, path)
{
    // x: [N, ...] -> [N, prod(...)]
    public override Tensor Apply(Tensor x) => x.flatten(1);
}

public sealed class IdentityLayer(IdentitySpec spec, string path) : StatelessLayer(spec.Name, path)
{
    public override Tensor Apply(Tensor x) => x.alias();
}

/// <summary>Max pooling: non-linear on spikes, so the rate pass uses the recorded mean output in value.</summary>
public sealed class MaxPoolLayer(MaxPoolSpec spec, string path) : NonlinearLayer(spec.Name, path)
{
    // x: [N, C, H, W] -> [N, C, H', W']
    public override Tensor Apply(Tensor x) =>
        F.max_pool2d(x, kernel_size: spec.Kernel, stride: spec.Stride, padding: spec.Padding);
}
