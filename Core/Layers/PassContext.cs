// Per-batch state of one forward pass: time steps, what the spike pass records for the rate pass, neuron states.
using SnnDsl.Core.Surrogates;
using static TorchSharp.torch;

namespace SnnDsl.Core.Layers;

/// <summary>A layer's per-pass state: exposes the tensors it holds, so a pass can keep them and free everything else.</summary>
public interface IPassState
{
    /// <summary>The tensors this state holds now (null entries are skipped).</summary>
    IEnumerable<Tensor?> Tensors { get; }
}

/// <summary>
/// Everything a forward pass needs besides the weights, for ONE batch: the number of time steps, whether the spike pass
/// records what the rate pass will need (rates, eligibilities, BN statistics, merge values), and per-layer state
/// (membranes between single-step calls, dropout masks). Layers hold no per-batch state themselves, so nothing
/// leaks into the next batch: a new batch gets a new context, and every tensor in it belongs to that batch's
/// dispose scope.
/// </summary>
public sealed class PassContext(int timeSteps, bool record, SpikeGradientForm gradientForm = SpikeGradientForm.StraightThrough)
{
    readonly Dictionary<object, object> _states = new(ReferenceEqualityComparer.Instance);
    readonly Dictionary<string, (Tensor Sum, int Count)> _firingRates = new();

    /// <summary>T, the number of time steps of this pass.</summary>
    public int TimeSteps { get; } = timeSteps > 0 ? timeSteps : throw new ArgumentOutOfRangeException(nameof(timeSteps), "T must be positive");

    /// <summary>True in the rate-BP spike pass: layers keep what their rate pass needs.</summary>
    public bool Record { get; } = record;

    /// <summary>How spikes carry the surrogate gradient when a graph is built (BPTT modes).</summary>
    public SpikeGradientForm GradientForm { get; } = gradientForm;

    /// <summary>Data-parallel SyncBN: sums BatchNorm statistics over ranks; null keeps per-rank statistics.</summary>
    public IBatchNormSync? BatchNormSync { get; init; }

    /// <summary>
    /// Online training (OTTT, SLTT): single-step passes whose membranes enter each step detached, with OTTT's
    /// presynaptic traces; null for every other pass.
    /// </summary>
    public OnlinePass? Online { get; init; }

    /// <summary>
    /// Recomputing BN's running statistics (PreciseBN): their updates in this pass are cumulative means over the
    /// recomputation instead of the layer's momentum; null in every other pass.
    /// </summary>
    public CumulativeStatistics? CumulativeStatistics { get; init; }

    /// <summary>Counts the synaptic operations of conv and linear layers in multi-step passes (evaluation); null: no counting.</summary>
    public IOperationObserver? Operations { get; init; }

    /// <summary>The arithmetic of conv and linear layers in this pass (<see cref="Layers.Precision"/>); float32 unless set.</summary>
    public Precision Precision { get; init; } = Precision.Float32;

    /// <summary>How many weight casts this pass has made: one per weighted layer at most, whatever T and the mode.</summary>
    public int WeightCasts { get; private set; }

    /// <summary>
    /// The weight and bias a conv or linear layer computes with in this pass: its float32 parameters themselves, or (bf16)
    /// their cast, made once per pass and held here, so that multi-step calls, T single steps and the rate pass share it.
    /// In training the cast stays on the autograd graph even when made inside the spike pass's no_grad, so the one cast
    /// carries every gradient back to the float32 master weights.
    /// </summary>
    public (Tensor Weight, Tensor? Bias) ComputeWeights(WeightedLayer layer)
    {
        if (Precision.ComputeType() is not { } type) return (layer.Weight, layer.Bias);
        var cast = State(layer, () =>
        {
            WeightCasts++;
            return CastWeights.Of(layer, type);
        });
        return (cast.Weight, cast.Bias);
    }

    /// <summary>A layer's weight and bias in the compute dtype, for one pass.</summary>
    sealed class CastWeights(Tensor weight, Tensor? bias) : IPassState
    {
        public Tensor Weight { get; } = weight;
        public Tensor? Bias { get; } = bias;
        public IEnumerable<Tensor?> Tensors => [Weight, Bias];

        public static CastWeights Of(WeightedLayer layer, ScalarType type)
        {
            var (weight, bias) = (layer.Weight, layer.Bias);
            // a graph to the master weights only where a gradient can flow
            using var _ = enable_grad(layer.training && weight.requires_grad);
            return new CastWeights(weight.to(type), bias?.to(type));
        }
    }

    /// <summary>Single-step passes: the index of the step being run (0-based), advanced by the caller.</summary>
    public int Step { get; set; }

    /// <summary>The state object of a layer in this pass, created on first use.</summary>
    public TState State<TState>(object layer, Func<TState> create) where TState : class
    {
        if (_states.TryGetValue(layer, out var state)) return (TState)state;
        var created = create();
        _states[layer] = created;
        return created;
    }

    /// <summary>The state a layer stored earlier in this pass; throws if it never ran (a programming error).</summary>
    public TState Recorded<TState>(object layer, string path) where TState : class =>
        _states.TryGetValue(layer, out var state) ? (TState)state
            : throw new InvalidOperationException($"layer '{path}' has no spike-pass record: run the spike pass with Record = true before the rate pass");

    /// <summary>
    /// Every tensor the states of this pass hold (records, membranes, masks, firing-rate sums), each once. A spike pass
    /// run in its own dispose scope moves these out and lets the scope free every intermediate.
    /// </summary>
    public IReadOnlyList<Tensor> Tensors()
    {
        var all = _states.Values.OfType<IPassState>().Concat(Online is null ? [] : [Online]).SelectMany(s => s.Tensors)
            .Concat(_firingRates.Values.Select(r => r.Sum));
        var seen = new HashSet<Tensor>(ReferenceEqualityComparer.Instance);
        return all.Where(t => t is not null && seen.Add(t)).Select(t => t!).ToList();
    }

    /// <summary>A neuron layer reports the mean of its spikes (a 0-d tensor): once per multi-step call, once per step otherwise.</summary>
    public void ReportFiringRate(string path, Tensor meanRate)
    {
        var rate = meanRate.detach();
        _firingRates[path] = _firingRates.TryGetValue(path, out var acc) ? (acc.Sum + rate, acc.Count + 1) : (rate, 1);
    }

    /// <summary>
    /// Mean firing rate per neuron layer over the batch and all time steps of this pass, in execution order, as 0-d
    /// tensors on the network's device: reading them is left to the caller, so a pass never waits for the device.
    /// </summary>
    public IReadOnlyDictionary<string, Tensor> FiringRates() =>
        _firingRates.ToDictionary(kv => kv.Key, kv => kv.Value.Count == 1 ? kv.Value.Sum.alias() : kv.Value.Sum / kv.Value.Count);
}

/// <summary>Sees every multi-step call of a stateless layer (input x, output y): the seam of the synaptic operation counter.</summary>
public interface IOperationObserver
{
    void Observe(StatelessLayer layer, Tensor x, Tensor y);
}
