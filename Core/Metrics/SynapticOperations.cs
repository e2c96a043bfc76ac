// Synaptic operations and energy per sample: accumulates (ACs) for spike-fed conv/linear layers, MACs for real-valued inputs.
using SnnDsl.Core.Layers;
using TorchSharp;
using static TorchSharp.torch;
using F = TorchSharp.torch.nn.functional;

namespace SnnDsl.Core.Metrics;

/// <summary>
/// One conv or linear layer's operations per sample over all T steps. Kind "AC" when every input it saw was spikes
/// (values 0 and 1, or spikes through average pooling / flatten), "MAC" otherwise. InputRate: for AC layers the
/// effective presynaptic firing rate r with ACs = r × MACs/step × T (dense MACs of the layer); for MAC layers the
/// fraction of non-zero inputs.
/// </summary>
public sealed record LayerOperations(string Path, string Kind, double InputRate, double OperationsPerSample);

/// <summary>
/// Operations per sample and the 45 nm energy estimate: E = 0.9 pJ·ACs + 4.6 pJ·MACs (32-bit float add and
/// multiply-add, Horowitz, "Computing's energy problem", ISSCC 2014; the figures SNN papers and SpikingJelly's
/// op_counter use). Normalisation, pooling, neuron updates and memory traffic are not counted (docs/online-methods.md).
/// </summary>
public sealed record SynapticOperations(IReadOnlyList<LayerOperations> Layers)
{
    public const double AccumulatePicojoules = 0.9;
    public const double MultiplyAccumulatePicojoules = 4.6;

    public double AccumulatesPerSample => Layers.Where(l => l.Kind == "AC").Sum(l => l.OperationsPerSample);
    public double MultiplyAccumulatesPerSample => Layers.Where(l => l.Kind == "MAC").Sum(l => l.OperationsPerSample);

    /// <summary>Energy per sample in microjoules.</summary>
    public double EnergyMicrojoules =>
        (AccumulatesPerSample * AccumulatePicojoules + MultiplyAccumulatesPerSample * MultiplyAccumulatePicojoules) * 1e-6;

    /// <summary>Energy of one layer per sample in microjoules.</summary>
    public static double LayerEnergyMicrojoules(LayerOperations layer) =>
        layer.OperationsPerSample * (layer.Kind == "AC" ? AccumulatePicojoules : MultiplyAccumulatePicojoules) * 1e-6;
}

/// <summary>
/// Counts the synaptic operations of the conv and linear layers of multi-step passes (hooked through
/// <see cref="PassContext.Operations"/>). For a spike input the count is exact: every non-zero input costs one AC per
/// output it reaches (fan-out, with the borders of padded convolutions), which is input rate × fan-out × inputs; for a
/// real-valued input every MAC of the dense layer counts (outputs × fan-in). Counts stay on the device until read.
/// </summary>
public sealed class OperationCounter : IOperationObserver, IDisposable
{
    sealed class Totals
    {
        public Tensor? Accumulates, NonZero;
        public double Dense, Inputs;
        public int Calls, RealValuedCalls;
    }

    readonly Dictionary<WeightedLayer, Totals> _layers = new(ReferenceEqualityComparer.Instance);
    readonly List<WeightedLayer> _order = [];

    // spike counts per position of tensors that are spikes mapped through average pooling or flatten (this pass)
    readonly Dictionary<Tensor, Tensor> _spikeCounts = new(ReferenceEqualityComparer.Instance);

    /// <summary>
    /// Records one multi-step call of a stateless layer on x with output y. A conv or linear layer is counted. Average
    /// pooling and flatten of spikes (or of spike counts) keep the spike count per position of their output, so the layer
    /// after them is counted as spike-driven: in an event-driven implementation the pooling folds into its weights.
    /// </summary>
    public void Observe(StatelessLayer layer, Tensor x, Tensor y)
    {
        using var _ = no_grad();
        if (layer is WeightedLayer weighted) { Count(weighted, x, y); return; }
        var counts = SpikeCounts(x);
        if (counts is null) return;
        Tensor? mapped = layer switch
        {
            AvgPoolLayer pool => pool.Apply(counts).mul_(pool.WindowArea),
            AdaptiveAvgPoolLayer pool => pool.Apply(counts).mul_((double)(x.shape[2] * x.shape[3]) / (y.shape[2] * y.shape[3])),
            FlattenLayer or IdentityLayer => layer.Apply(counts),
            _ => null,
        };
        if (mapped is not null) _spikeCounts[y] = mapped;
    }

    /// <summary>Forgets the spike counts of a finished pass (their tensors belong to its dispose scope).</summary>
    public void EndPass() => _spikeCounts.Clear();

    // x itself when it is a spike tensor (all 0 or 1), the recorded counts when it is pooled spikes, else null
    Tensor? SpikeCounts(Tensor x) =>
        _spikeCounts.TryGetValue(x, out var counts) ? counts : x.ne(0).logical_and_(x.ne(1)).any().item<bool>() ? null : x;

    void Count(WeightedLayer layer, Tensor x, Tensor y)
    {
        using var scope = NewDisposeScope();
        if (!_layers.TryGetValue(layer, out var totals))
        {
            _layers[layer] = totals = new Totals();
            _order.Add(layer);
        }
        totals.Dense += (double)y.numel() * layer.FanIn;
        totals.Inputs += x.numel();
        totals.Calls++;
        totals.NonZero = Accumulate(totals.NonZero, x.count_nonzero().to_type(float64), scope);
        var counts = SpikeCounts(x);
        if (counts is null) { totals.RealValuedCalls++; return; }
        totals.Accumulates = Accumulate(totals.Accumulates, Reached(layer, counts), scope);
    }

    static Tensor Accumulate(Tensor? sum, Tensor value, DisposeScope scope)
    {
        if (sum is not null) return sum.add_(value);
        scope.Detach(value); // outlives the caller's per-batch scopes; freed by Dispose
        return value;
    }

    /// <summary>
    /// Σ over non-zero inputs of the outputs each reaches (float64): for conv, a ones-kernel conv of the per-group input
    /// sums. Spike counts are summed over channels in their own dtype first (integers far below 2^24, so exactly), and
    /// only that C-times-smaller tensor is widened, not a float64 copy of a whole evaluation batch's spikes (22 MB for
    /// the Fashion CNN's second conv at batch 128, T = 4).
    /// </summary>
    static Tensor Reached(WeightedLayer layer, Tensor spikes) => layer switch
    {
        LinearLayer linear => spikes.to_type(float64).sum() * linear.Weight.shape[0],
        ConvLayer conv => ConvFanOut(conv, spikes),
        _ => throw new ArgumentException($"no operation count for {layer.GetType().Name}", nameof(layer)),
    };

    static Tensor ConvFanOut(ConvLayer conv, Tensor spikes)
    {
        var spec = conv.Spec;
        long groups = spec.Groups, perGroupIn = spikes.shape[1] / groups, perGroupOut = spec.OutChannels / groups;
        using var perGroup = spikes.view(spikes.shape[0], groups, perGroupIn, spikes.shape[2], spikes.shape[3]).sum(2);
        var grouped = perGroup.to_type(float64);
        using var ones = TorchSharp.torch.ones([groups, 1, spec.Kernel, spec.Kernel], dtype: float64, device: spikes.device);
        var window = F.conv2d(grouped, ones, strides: [spec.Stride], padding: [spec.Padding], dilation: [spec.Dilation], groups: groups);
        return window.sum() * perGroupOut;
    }

    /// <summary>Totals per sample over the <paramref name="samples"/> samples seen, after summing over ranks by <paramref name="sum"/>.</summary>
    public SynapticOperations Result(double samples, Func<double[], double[]>? sum = null)
    {
        var raw = _order.SelectMany(l => Raw(_layers[l])).ToArray();
        var total = sum is null ? raw : sum(raw);
        var rows = _order.Select((layer, i) =>
        {
            double accumulates = total[5 * i], nonZero = total[5 * i + 1], realValued = total[5 * i + 2], dense = total[5 * i + 3], inputs = total[5 * i + 4];
            bool spikes = realValued == 0;
            double rate = spikes ? accumulates / Math.Max(dense, 1) : inputs > 0 ? nonZero / inputs : 0;
            return new LayerOperations(layer.Path, spikes ? "AC" : "MAC", rate,
                (spikes ? accumulates : dense) / Math.Max(samples, 1));
        }).ToList();
        return new SynapticOperations(rows);
    }

    static double[] Raw(Totals t) =>
        [t.Accumulates?.item<double>() ?? 0, t.NonZero?.item<double>() ?? 0, t.RealValuedCalls, t.Dense, t.Inputs];

    /// <summary>Frees the device-side counts.</summary>
    public void Dispose()
    {
        foreach (var t in _layers.Values) { t.Accumulates?.Dispose(); t.NonZero?.Dispose(); }
    }
}
