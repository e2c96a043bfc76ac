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
}

/// <summary>2-D convolution; weight [out, in/groups, k, k], optional bias [out].</summary>
public sealed class ConvLayer(ConvSpec spec, string path, long inChannels, Generator? generator = null)
    : WeightedLayer(spec.Name, path, [spec.OutChannels, inChannels / spec.Groups, spec.Kernel, spec.Kernel], spec.Bias,
        (inChannels / spec.Groups * spec.Kernel * spec.Kernel, spec.OutChannels * spec.Kernel * spec.Kernel), spec.Init, generator)
{
    readonly ConvSpec _spec = spec;

    public ConvSpec Spec => _spec;

    // x: [N, C_in, H, W] -> [N, C_out, H', W']
    public override Tensor Apply(Tensor x) =>
        x.requires_grad && OutputChannelsNeedPadding(_spec.OutChannels) ? PaddedConv(x) : Conv(x, Weight, Bias);

    Tensor Conv(Tensor x, Tensor weight, Tensor? bias) =>
        F.conv2d(x, weight, bias, strides: [_spec.Stride], padding: [_spec.Padding], dilation: [_spec.Dilation], groups: _spec.Groups);

    /// <summary>
    /// libtorch 2.10's oneDNN (3.7.1) computes the gradient with respect to a convolution's INPUT wrongly when the
    /// output channels are not a multiple of 16 and the stride is 1 (measured on AVX-512 x86: relative error ≈ 0.8,
    /// values depending on uninitialised memory, sometimes NaN; forward and weight gradients are right). Padding the
    /// output channels with zero filters to a multiple of 16 and slicing them off gives identical values and correct
    /// gradients. Only taken when a gradient flows to the input (never in the spike pass or for the first layer).
    /// </summary>
    public static bool OutputChannelsNeedPadding(long outChannels) => outChannels % PaddedChannelBlock != 0;

    const int PaddedChannelBlock = 16;

    Tensor PaddedConv(Tensor x)
    {
        long groups = _spec.Groups, perGroup = _spec.OutChannels / groups;
        long pad = Enumerable.Range(0, PaddedChannelBlock).First(p => groups * (perGroup + p) % PaddedChannelBlock == 0);
        // filters [g, C_out/g, ...] padded to [g, C_out/g + pad, ...] so that the total is a multiple of 16
        var weight = F.pad(Weight.view([groups, perGroup, .. Weight.shape.Skip(1)]), [0, 0, 0, 0, 0, 0, 0, pad, 0, 0])
            .view([groups * (perGroup + pad), .. Weight.shape.Skip(1)]);
        var bias = Bias is null ? null : F.pad(Bias.view(groups, perGroup), [0, pad]).view(groups * (perGroup + pad));
        var y = Conv(x, weight, bias);                                            // [N, g·(C_out/g + pad), H', W']
        var (n, h, w) = (y.shape[0], y.shape[2], y.shape[3]);
        return y.view(n, groups, perGroup + pad, h, w).narrow(2, 0, perGroup).reshape(n, _spec.OutChannels, h, w);
    }
}

/// <summary>Fully connected layer; weight [out, in], optional bias [out].</summary>
public sealed class LinearLayer(LinearSpec spec, string path, long inFeatures, Generator? generator = null)
    : WeightedLayer(spec.Name, path, [spec.OutFeatures, inFeatures], spec.Bias, (inFeatures, spec.OutFeatures), spec.Init, generator)
{
    // x: [N, in] -> [N, out]
    public override Tensor Apply(Tensor x) => F.linear(x, Weight, Bias);
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
