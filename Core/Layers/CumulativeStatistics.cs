// BatchNorm's running statistics as a plain mean over a recomputation's batches (PreciseBN), not an exponential average.
namespace SnnDsl.Core.Layers;

/// <summary>
/// Turns BatchNorm's exponential running average into the plain mean of every batch statistic seen since this object
/// was created: a layer's n-th update (0-based) uses momentum 1/(n+1), so the first replaces the old statistics and
/// after the last each running statistic is the mean over all updates (PyTorch's <c>momentum=None</c>, as
/// <c>torch.optim.swa_utils.update_bn</c> and fvcore's PreciseBN use it). A pass context carries it only while
/// statistics are being recomputed; training passes use the layer's own momentum.
/// </summary>
public sealed class CumulativeStatistics
{
    readonly Dictionary<object, int> _updates = new(ReferenceEqualityComparer.Instance);

    /// <summary>The momentum of <paramref name="layer"/>'s next update, counting it.</summary>
    public double NextMomentum(object layer)
    {
        _updates.TryGetValue(layer, out int done);
        _updates[layer] = done + 1;
        return 1.0 / (done + 1);
    }

    /// <summary>How many updates <paramref name="layer"/> has made since this object was created.</summary>
    public int Updates(object layer) => _updates.GetValueOrDefault(layer);
}
