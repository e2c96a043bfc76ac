// The gradient-alignment study: each estimator's loss, output and gradients on the same weights and batch, compared with BPTT-M.
using SnnDsl.Core.Estimators;
using SnnDsl.Core.Model;
using TorchSharp;
using static TorchSharp.torch;
using SnnDsl.Core.Settings;

namespace SnnDsl.Core.Benchmarks;

/// <summary>One estimator's result on a batch: loss, mean output [B, K] and every parameter's gradient (CPU copies, detached).</summary>
public sealed record GradientRun(EstimatorKind Estimator, double Loss, Tensor Output, IReadOnlyList<KeyValuePair<string, Tensor>> Gradients);

/// <summary>One parameter compared with the reference: cosine of the flattened gradients and |g| / |g_ref|.</summary>
/// <param name="Depth">0-based position of the parameter's layer among the layers with parameters, in execution order.</param>
public sealed record ParameterAlignment(string Parameter, int Depth, double Cosine, double NormRatio, double ReferenceNorm);

public static class GradientComparison
{
    /// <summary>
    /// Runs each estimator from the same state: parameters and buffers (BN running statistics, which a training
    /// forward updates) are restored after every run, so every estimator sees the weights as they were given.
    /// </summary>
    public static List<GradientRun> Compute(SpikingNetwork network, IEnumerable<EstimatorKind> kinds, EstimatorOptions options, SpikeInput input, Tensor labels)
    {
        var saved = network.state_dict().ToDictionary(kv => kv.Key, kv => kv.Value.detach().clone().DetachFromDisposeScope());
        try
        {
            return kinds.Select(kind => RunOne(network, kind, options, input, labels, saved)).ToList();
        }
        finally
        {
            foreach (var t in saved.Values) t.Dispose();
        }
    }

    static GradientRun RunOne(SpikingNetwork network, EstimatorKind kind, EstimatorOptions options, SpikeInput input, Tensor labels, Dictionary<string, Tensor> saved)
    {
        using var scope = NewDisposeScope();
        network.zero_grad();
        var result = GradientEstimator.Create(kind, options).Backward(network, input, labels);
        var gradients = network.named_parameters()
            .Select(p => new KeyValuePair<string, Tensor>(p.name, (p.parameter.grad?.detach() ?? zeros_like(p.parameter)).cpu().clone().MoveToOuterDisposeScope()))
            .ToList();
        var output = result.Output.cpu().clone().MoveToOuterDisposeScope();
        Restore(network, saved);
        network.zero_grad();
        return new GradientRun(kind, result.ReadLoss(), output, gradients);
    }

    static void Restore(SpikingNetwork network, Dictionary<string, Tensor> saved)
    {
        using var _ = no_grad();
        foreach (var (name, tensor) in network.state_dict()) tensor.copy_(saved[name]);
    }

    /// <summary>Per-parameter cosine and norm ratio of <paramref name="other"/> against <paramref name="reference"/>.</summary>
    public static List<ParameterAlignment> Compare(GradientRun reference, GradientRun other)
    {
        var depths = Depths(reference.Gradients.Select(kv => kv.Key));
        var others = other.Gradients.ToDictionary(kv => kv.Key, kv => kv.Value);
        return reference.Gradients.Select(kv =>
        {
            var g = others[kv.Key];
            double referenceNorm = Norm(kv.Value);
            double ratio = referenceNorm > 0 ? Norm(g) / referenceNorm : double.NaN;
            return new ParameterAlignment(kv.Key, depths[kv.Key], Cosine(kv.Value, g), ratio, referenceNorm);
        }).ToList();
    }

    /// <summary>Cosine similarity of two tensors as flat vectors (float64); NaN when either is zero.</summary>
    public static double Cosine(Tensor a, Tensor b)
    {
        using var scope = NewDisposeScope();
        var x = a.to_type(float64).flatten();
        var y = b.to_type(float64).flatten();
        double denominator = x.norm().item<double>() * y.norm().item<double>();
        return denominator > 0 ? x.dot(y).item<double>() / denominator : double.NaN;
    }

    static double Norm(Tensor t)
    {
        using var scope = NewDisposeScope();
        return t.to_type(float64).norm().item<double>();
    }

    /// <summary>Layer index of each parameter name: its prefix (name without the last segment) in order of first appearance.</summary>
    public static Dictionary<string, int> Depths(IEnumerable<string> names)
    {
        var layers = new Dictionary<string, int>();
        var result = new Dictionary<string, int>();
        foreach (var name in names)
        {
            int dot = name.LastIndexOf('.');
            var layer = dot < 0 ? "" : name[..dot];
            if (!layers.TryGetValue(layer, out int depth)) layers[layer] = depth = layers.Count;
            result[name] = depth;
        }
        return result;
    }

    /// <summary>Tensors for a safetensors file: grad/&lt;estimator&gt;/&lt;parameter&gt;, loss/&lt;estimator&gt;, output/&lt;estimator&gt;.</summary>
    public static List<KeyValuePair<string, Tensor>> ToTensors(IEnumerable<GradientRun> runs)
    {
        var tensors = new List<KeyValuePair<string, Tensor>>();
        foreach (var run in runs)
        {
            var name = EstimatorNames.Of(run.Estimator);
            tensors.Add(new($"loss/{name}", tensor(new[] { (float)run.Loss })));
            tensors.Add(new($"output/{name}", run.Output));
            tensors.AddRange(run.Gradients.Select(kv => new KeyValuePair<string, Tensor>($"grad/{name}/{kv.Key}", kv.Value)));
        }
        return tensors;
    }
}
