// `snn doctor`'s self-check: one iteration of every estimator, the LIF kernel and the conv gradients on a device, against float64 on the CPU.
using System.Runtime.InteropServices;
using SnnDsl.Core.Estimators;
using SnnDsl.Core.Settings;
using SnnDsl.Core.Layers;
using SnnDsl.Core.Model;
using SnnDsl.Dsl.Model;
using TorchSharp;
using static TorchSharp.torch;
using F = TorchSharp.torch.nn.functional;

namespace SnnDsl.Core.Doctor;

/// <summary>The outcome of one check: its name, whether it held, and a sentence saying what was compared or what differed.</summary>
public sealed record CheckResult(string Name, bool Passed, string Detail);

/// <summary>
/// Computations on the chosen device compared with the same computations in float64 on the CPU: the reference is
/// exact enough that any difference beyond float32 rounding is a fault of the device, the libtorch in use, or SnnDsl.
/// Every input is seeded, so a failure repeats.
/// </summary>
public static class SelfCheck
{
    const long Batch = 4;
    const int Steps = 3;

    public static IReadOnlyList<CheckResult> Run(Device device)
    {
        var results = new List<CheckResult>();
        foreach (var kind in Enum.GetValues<EstimatorKind>()) results.Add(Guarded($"estimator {EstimatorNames.Of(kind)}", () => Estimator(kind, device)));
        foreach (var (reset, detach) in new[] { (ResetMode.Soft, true), (ResetMode.Soft, false), (ResetMode.Hard, true), (ResetMode.Hard, false) })
            results.Add(Guarded($"LIF spike pass ({reset.ToString().ToLowerInvariant()} reset{(detach ? ", detached" : "")})", () => Lif(reset, detach, device)));
        results.Add(Guarded("conv gradients (10 output channels, stride 1)", () => ConvGradients(device)));
        return results;
    }

    static CheckResult Guarded(string name, Func<string?> check)
    {
        using var scope = NewDisposeScope();
        try
        {
            var failure = check();
            return new CheckResult(name, failure is null, failure ?? "matches float64 on the CPU");
        }
        catch (Exception e) when (e is ExternalException or InvalidOperationException or ArgumentException)
        {
            return new CheckResult(name, false, $"failed to run: {e.Message.Split('\n')[0]}");
        }
    }

    /// <summary>conv(6, padding 1) - BN - LIF - avgpool - conv(10) - BN - LIF - global pool - linear(3), on [2, 8, 8] inputs.</summary>
    public static NetworkSpec Network()
    {
        var lif = NeuronSpec.Paper;
        return new NetworkSpec("doctor", Shape.Of(2L, 8L, 8L), [
            new ConvSpec("conv1", 6, 3, Padding: 1), new BatchNormSpec("bn1"), new NeuronLayerSpec("lif1", lif), new AvgPoolSpec("pool", 2, 2),
            new ConvSpec("conv2", 10, 3, Padding: 1), new BatchNormSpec("bn2"), new NeuronLayerSpec("lif2", lif),
            new AdaptiveAvgPoolSpec("gap", 1), new FlattenSpec("flat"), new LinearSpec("fc", 3)]);
    }

    static string? Estimator(EstimatorKind kind, Device device)
    {
        var spec = Network();
        using var generator = new Generator(7, CPU);
        var input = rand([Batch, 2, 8, 8], generator: generator) * 2.0;
        var labels = randint(3, [Batch], generator: generator);
        var (loss, grads) = Iterate(spec, kind, input, labels, device, float32);
        var (referenceLoss, referenceGrads) = Iterate(spec, kind, input, labels, CPU, float64);
        if (Math.Abs(loss - referenceLoss) > 1e-4 * Math.Abs(referenceLoss) + 1e-5)
            return $"loss {loss:R} on {device}, {referenceLoss:R} in float64 on the CPU";
        return CompareGradients(grads, referenceGrads);
    }

    /// <summary>
    /// Null when every gradient is within float32 tolerance of its float64 reference: 1e-3 of the tensor's own scale plus
    /// 1e-5 of the largest gradient (conv biases feeding BN have zero gradient in exact arithmetic, rounding noise in both).
    /// Otherwise a sentence naming the first tensor that differs.
    /// </summary>
    public static string? CompareGradients(IReadOnlyDictionary<string, Tensor> actual, IReadOnlyDictionary<string, Tensor> reference)
    {
        double overall = reference.Values.Max(g => g.abs().max().to(float64).item<double>());
        foreach (var (name, expected) in reference)
        {
            if (!actual.TryGetValue(name, out var got)) return $"no gradient reached {name}";
            double difference = (got.to(float64) - expected.to(float64)).abs().max().item<double>();
            double tolerance = 1e-3 * expected.abs().max().to(float64).item<double>() + 1e-5 * overall;
            if (!(difference <= tolerance)) return $"gradient of {name} differs by {difference:G3} (tolerance {tolerance:G3})";
        }
        return null;
    }

    /// <summary>One iteration on a network built with seed 1 and moved to (device, dtype): loss and gradients as float64 on the CPU.</summary>
    static (double Loss, Dictionary<string, Tensor> Grads) Iterate(NetworkSpec spec, EstimatorKind kind, Tensor input, Tensor labels, Device device, ScalarType dtype)
    {
        using var network = NetworkBuilder.Build(spec, 1, device);
        network.to(dtype);
        var result = GradientEstimator.Create(kind, new EstimatorOptions(Steps)).Backward(network, SpikeInput.Static(input.to(dtype).to(device)), labels.to(device));
        var grads = network.named_parameters().ToDictionary(p => p.name, p => p.parameter.grad!.detach().to(float64).cpu());
        return (result.ReadLoss(), grads);
    }

    /// <summary>
    /// The recording spike pass of one neuron layer: inputs are multiples of 1/64 and λ = 1/4, so every membrane is exact
    /// in float32 and float64 alike and the spikes must agree exactly; the eligibility within float32 rounding.
    /// </summary>
    static string? Lif(ResetMode reset, bool detach, Device device)
    {
        var neuron = new NeuronSpec(Tau: 4.0 / 3.0, Reset: reset, ResetValue: 0.0, DetachReset: detach);
        using var generator = new Generator(11, CPU);
        var x = randint(-64, 160, [Steps * Batch, 257], generator: generator).to(float64) / 64.0; // [T·B, N], in [-1, 2.5)
        var (spikes, rate, eligibility) = SpikePass(neuron, x.to(float32).to(device));
        var (refSpikes, refRate, refEligibility) = SpikePass(neuron, x);
        long mismatched = spikes.to(float64).cpu().ne(refSpikes).sum().item<long>();
        if (mismatched > 0) return $"{mismatched} of {refSpikes.numel()} spikes differ from float64";
        if (!rate.to(float64).cpu().allclose(refRate, rtol: 0, atol: 1e-6)) return "firing rates differ from float64";
        double difference = (eligibility.to(float64).cpu() - refEligibility).abs().max().item<double>();
        return difference > 1e-5 ? $"eligibilities differ from float64 by {difference:G3}" : null;
    }

    static (Tensor Spikes, Tensor Rate, Tensor Eligibility) SpikePass(NeuronSpec neuron, Tensor x)
    {
        using var layer = new NeuronLayer(new NeuronLayerSpec("lif", neuron), "lif");
        var ctx = new PassContext(Steps, record: true);
        using var _ = no_grad();
        var spikes = layer.MultiStep(x, ctx);
        var (rate, eligibility) = layer.RateAndEligibility(ctx);
        return (spikes, rate, eligibility);
    }

    /// <summary>Input, weight and bias gradients of SnnDsl's conv layer with 10 output channels (libtorch 2.10's oneDNN computes the input gradient wrongly there without the layer's padding).</summary>
    static string? ConvGradients(Device device)
    {
        var spec = new ConvSpec("conv", 10, 3, Padding: 1);
        using var generator = new Generator(13, CPU);
        using var layer = new ConvLayer(spec, "conv", 6, generator);
        var x = randn([2, 6, 8, 8], generator: generator);
        var upstream = randn([2, 10, 8, 8], generator: generator);
        var (gx, gw, gb) = ConvGrads(layer.Weight, layer.Bias!, x, upstream, device, float32, layer);
        var (rx, rw, rb) = ConvGrads(layer.Weight, layer.Bias!, x, upstream, CPU, float64, null);
        foreach (var (what, g, r) in new[] { ("input", gx, rx), ("weight", gw, rw), ("bias", gb, rb) })
        {
            double relative = (g - r).abs().max().item<double>() / (r.abs().max().item<double>() + 1e-300);
            if (relative > 1e-4) return $"{what} gradient differs from float64 autograd by {relative:G3} (relative)";
        }
        return null;
    }

    /// <summary>Gradients of Σ upstream·conv(x); through <paramref name="layer"/> moved to (device, dtype), or plain F.conv2d when null.</summary>
    static (Tensor X, Tensor W, Tensor B) ConvGrads(Tensor weight, Tensor bias, Tensor x, Tensor upstream, Device device, ScalarType dtype, ConvLayer? layer)
    {
        var input = x.to(dtype).to(device).detach().requires_grad_(true);
        Tensor w, b, y;
        if (layer is not null)
        {
            layer.to(dtype).to(device);
            (w, b) = (layer.Weight, layer.Bias!);
            y = layer.Apply(input);
        }
        else
        {
            w = weight.to(dtype).to(device).detach().requires_grad_(true);
            b = bias.to(dtype).to(device).detach().requires_grad_(true);
            y = F.conv2d(input, w, b, padding: [1]);
        }
        (y * upstream.to(dtype).to(device)).sum().backward();
        return (input.grad!.to(float64).cpu(), w.grad!.to(float64).cpu(), b.grad!.to(float64).cpu());
    }
}
