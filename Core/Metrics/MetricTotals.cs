// Running sums of training metrics kept on the network's device, read to the host once per log interval.
using SnnDsl.Core.Estimators;
using static TorchSharp.torch;

namespace SnnDsl.Core.Metrics;

/// <summary>The host copy of <see cref="MetricTotals"/>: sums over the batches added so far.</summary>
public sealed record MetricSnapshot(double LossSum, double Correct, double Correct5, double Samples, int Batches, IReadOnlyDictionary<string, double> FiringRateSums)
{
    public double MeanLoss => LossSum / Math.Max(Samples, 1);
    public double Top1 => 100 * Correct / Math.Max(Samples, 1);
}

/// <summary>
/// Sums of the per-batch loss (times batch size), top-1/top-5 hits and per-layer firing rates, as float64 tensors on the
/// device. <see cref="Add"/> is a few in-place device operations and never waits for the device; <see cref="Read"/>
/// copies everything in one transfer (one synchronisation), so a trainer reads at its log interval, not per batch.
/// </summary>
public sealed class MetricTotals(Device device) : IDisposable
{
    readonly Tensor _sums = zeros(3, dtype: float64, device: device);  // [loss·B, top-1, top-5]
    readonly Dictionary<string, Tensor> _rates = new();
    readonly List<string> _layers = [];
    long _samples;
    int _batches;

    public int Batches => _batches;

    /// <summary>Adds one batch's loss, accuracy and firing rates (all still on the device).</summary>
    public void Add(GradientResult result, Tensor labels)
    {
        using var _ = no_grad();
        using var scope = NewDisposeScope();
        long batch = labels.shape[0];
        var (top1, top5) = Accuracy.Correct(result.Output, labels);
        var batchSums = stack([result.Loss.to(float64) * batch, top1.to(float64), top5.to(float64)]);
        _sums.add_(batchSums);
        foreach (var (layer, rate) in result.FiringRates)
        {
            if (!_rates.TryGetValue(layer, out var sum))
            {
                sum = zeros(1, dtype: float64, device: _sums.device).squeeze().DetachFromDisposeScope();
                _rates[layer] = sum;
                _layers.Add(layer);
            }
            sum.add_(rate.to(float64));
        }
        _samples += batch;
        _batches++;
    }

    /// <summary>The sums so far, copied to the host in one transfer.</summary>
    public MetricSnapshot Read()
    {
        using var scope = NewDisposeScope();
        var all = _layers.Count == 0 ? _sums : cat([_sums, stack(_layers.Select(l => _rates[l]))]);
        var host = all.cpu().data<double>().ToArray();
        var rates = new Dictionary<string, double>();
        for (int i = 0; i < _layers.Count; i++) rates[_layers[i]] = host[3 + i];
        return new MetricSnapshot(host[0], host[1], host[2], _samples, _batches, rates);
    }

    public void Dispose()
    {
        _sums.Dispose();
        foreach (var t in _rates.Values) t.Dispose();
    }
}

/// <summary>Top-1 and top-5 correct counts of a batch of outputs [B, K] against labels [B], as 0-d int64 tensors on their device.</summary>
public static class Accuracy
{
    public static (Tensor Top1, Tensor Top5) Correct(Tensor output, Tensor labels)
    {
        int k = (int)Math.Min(5, output.shape[1]);
        using var top = output.topk(k, dim: 1).indexes;            // [B, k]
        using var hits = top.eq(labels.unsqueeze(1));               // [B, k]
        using var first = hits[.., 0];
        using var any = hits.any(dim: 1);
        return (first.sum(), any.sum());
    }
}
