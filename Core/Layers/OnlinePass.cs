// Online training passes (OTTT, SLTT): membranes detached from the past, and OTTT's presynaptic traces carried to weighted layers.
using static TorchSharp.torch;

namespace SnnDsl.Core.Layers;

/// <summary>
/// Per-pass state of an online (step-by-step, immediately back-propagated) training pass, held by the
/// <see cref="PassContext"/>. Every neuron's membrane enters the next step detached, so a step's graph holds that step
/// only and the temporal path of the gradient is dropped (SLTT, and OTTT's spatial path). With presynaptic traces
/// (OTTT), each neuron layer also keeps â_t = λ·â_{t−1} + s_t without a graph, and a conv or linear layer fed by its
/// spikes (through stateless layers such as pooling and flatten) outputs f_W(s_t) in value while its gradient flows
/// through f_W(â_t): the weight gradient is δ_t·â_tᵀ and the input gradient Wᵀδ_t still reaches s_t (docs/online-methods.md).
/// </summary>
public sealed class OnlinePass(bool presynapticTraces) : IPassState
{
    readonly Dictionary<object, Tensor> _traces = new(ReferenceEqualityComparer.Instance);
    // tensor of this step -> its companion: value â_t (mapped through the stateless layers since), gradient to s_t
    readonly Dictionary<Tensor, Tensor> _companions = new(ReferenceEqualityComparer.Instance);

    /// <summary>True for OTTT: weighted layers take their weight gradient against the presynaptic trace.</summary>
    public bool PresynapticTraces { get; } = presynapticTraces;

    /// <summary>The traces carried to the next step (the companions belong to the current step's scope).</summary>
    public IEnumerable<Tensor?> Tensors => _traces.Values;

    /// <summary>
    /// A neuron layer fired <paramref name="spikes"/>; <paramref name="decay"/> gives λ·â with the layer's membrane decay
    /// (the neuron model's own: PLIF's current learnable one). The trace advances, and while a graph is built the spikes
    /// get a companion whose value is the trace and whose gradient flows to the spikes.
    /// </summary>
    public void Fired(object layer, Tensor spikes, Func<Tensor, Tensor> decay)
    {
        if (!PresynapticTraces) return;
        Tensor trace;
        using (no_grad())
            trace = _traces.TryGetValue(layer, out var previous) ? decay(previous).add_(spikes) : spikes.detach().clone();
        _traces[layer] = trace; // the replaced trace is freed by the estimator's step bookkeeping
        if (!is_grad_enabled() || !spikes.requires_grad) return;
        using var straightThrough = spikes - spikes.detach();
        _companions[spikes] = trace + straightThrough;
    }

    /// <summary>
    /// A stateless layer on step input x. Without a companion for x it is just f(x). A weighted layer with one returns
    /// f(â) + stopgrad(f(x) − f(â)); any other stateless layer returns f(x) and maps the companion through f (linear).
    /// </summary>
    public Tensor Apply(StatelessLayer layer, Tensor x, PassContext ctx)
    {
        if (!_companions.TryGetValue(x, out var companion)) return layer.Apply(x, ctx);
        if (layer is WeightedLayer)
        {
            Tensor value;
            using (no_grad()) value = layer.Apply(x, ctx);
            using var withGrad = layer.Apply(companion, ctx);
            using (no_grad()) value.sub_(withGrad);
            using (value) return withGrad + value;
        }
        var y = layer.Apply(x, ctx);
        _companions[y] = layer.Apply(companion, ctx);
        return y;
    }

    /// <summary>Carries a companion through a linear map that is not a stateless layer (dropout's mask): y = f(x).</summary>
    public void Carry(Tensor x, Tensor y, Func<Tensor, Tensor> f)
    {
        if (_companions.TryGetValue(x, out var companion)) _companions[y] = f(companion);
    }

    /// <summary>
    /// A residual add of two spike tensors (SEW "ADD"): when both branches carry companions, their sum is the companion
    /// of the merge. An add of real values (a BN output and a shortcut) carries nothing.
    /// </summary>
    public void CarryAdd(Tensor body, Tensor shortcut, Tensor merged)
    {
        if (_companions.TryGetValue(body, out var a) && _companions.TryGetValue(shortcut, out var b)) _companions[merged] = a + b;
    }

    /// <summary>Ends a step: the companions (tensors of that step's scope) are forgotten.</summary>
    public void EndStep() => _companions.Clear();
}
