// Stateless layers with weights (convolution, linear) and without (pooling, flatten, identity).
using SnnDsl.Dsl.Model;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;
using F = TorchSharp.torch.nn.functional;

namespace SnnDsl.Core.Layers;

/// <summary>2-D convolution; weight [out, in/groups, k, k], optional bias [out]. PyTorch's default initialisation.</summary>
public sealed class ConvLayer : StatelessLayer
{
    readonly ConvSpec _spec;
    public Parameter Weight { get; }
    public Parameter? Bias { get; }

    public ConvLayer(ConvSpec spec, string path, long inChannels, Generator? generator = null) : base(spec.Name, path)
    {
        _spec = spec;
        Weight = new Parameter(empty(spec.OutChannels, inChannels / spec.Groups, spec.Kernel, spec.Kernel));
        long fanIn = inChannels / spec.Groups * spec.Kernel * spec.Kernel;
        Init.KaimingUniform(Weight, fanIn, generator);
        register_parameter("weight", Weight);
        if (spec.Bias)
        {
            Bias = new Parameter(empty(spec.OutChannels));
            Init.FanInUniform(Bias, fanIn, generator);
            register_parameter("bias", Bias);
        }
    }

    // x: [N, C_in, H, W] -> [N, C_out, H', W']
    public override Tensor Apply(Tensor x) =>
        F.conv2d(x, Weight, Bias, strides: [_spec.Stride], padding: [_spec.Padding], dilation: [_spec.Dilation], groups: _spec.Groups);
}

/// <summary>Fully connected layer; weight [out, in], optional bias [out].</summary>
public sealed class LinearLayer : StatelessLayer
{
    public Parameter Weight { get; }
    public Parameter? Bias { get; }

    public LinearLayer(LinearSpec spec, string path, long inFeatures, Generator? generator = null) : base(spec.Name, path)
    {
        Weight = new Parameter(empty(spec.OutFeatures, inFeatures));
        Init.KaimingUniform(Weight, inFeatures, generator);
        register_parameter("weight", Weight);
        if (spec.Bias)
        {
            Bias = new Parameter(empty(spec.OutFeatures));
            Init.FanInUniform(Bias, inFeatures, generator);
            register_parameter("bias", Bias);
        }
    }

    // x: [N, in] -> [N, out]
    public override Tensor Apply(Tensor x) => F.linear(x, Weight, Bias);
}

public sealed class AvgPoolLayer(AvgPoolSpec spec, string path) : StatelessLayer(spec.Name, path)
{
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

/// <summary>PyTorch's default initialisation of conv and linear layers.</summary>
public static class Init
{
    /// <summary>kaiming_uniform(a = √5): U(−b, b) with b = √(6 / ((1 + a²)·fan_in)) = 1/√fan_in.</summary>
    public static void KaimingUniform(Tensor weight, long fanIn, Generator? generator) => FanInUniform(weight, fanIn, generator);

    /// <summary>U(−1/√fan_in, 1/√fan_in), PyTorch's bias initialisation.</summary>
    public static void FanInUniform(Tensor t, long fanIn, Generator? generator)
    {
        double bound = fanIn > 0 ? 1.0 / Math.Sqrt(fanIn) : 0.0;
        using var _ = no_grad();
        t.uniform_(-bound, bound, generator);
    }
}
