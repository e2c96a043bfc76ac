// Seeded, shardable, resumable batch loader that prepares the next batch on a background thread.
using TorchSharp;
using static TorchSharp.torch;

namespace SnnDsl.Core.Data;

/// <summary>Loader settings.</summary>
/// <param name="BatchSize">Samples per batch.</param>
/// <param name="Shuffle">Permute the samples each epoch (seeded by Seed and the epoch); false keeps file order.</param>
/// <param name="DropLast">Drop the last partial batch of the epoch instead of handing it out smaller.</param>
/// <param name="Seed">Seed of every random choice (order and augmentation).</param>
/// <param name="Rank">This process's shard, in [0, WorldSize).</param>
/// <param name="WorldSize">Number of shards; each takes a disjoint, strided part of each epoch's permutation.</param>
/// <param name="Prefetch">Prepare batch k+1 on a background thread while batch k is in use.</param>
/// <param name="Workers">Threads preparing the samples of one batch (sample results do not depend on it).</param>
public sealed record LoaderOptions(
    int BatchSize,
    bool Shuffle = true,
    bool DropLast = false,
    int Seed = 0,
    int Rank = 0,
    int WorldSize = 1,
    bool Prefetch = true,
    int Workers = 1);

/// <summary>
/// One batch: inputs [B, ...sample shape] float32 and labels [B] int64 on the loader's device. The consumer owns
/// both tensors: dispose the batch (or let the per-batch dispose scope it is attached to do so). They are created
/// outside any dispose scope, so no other scope will free them.
/// </summary>
public sealed class Batch(int epoch, int index, int[] samples, Tensor inputs, Tensor labels) : IDisposable
{
    /// <summary>Epoch the batch belongs to.</summary>
    public int Epoch => epoch;

    /// <summary>Position of the batch within this rank's epoch.</summary>
    public int Index => index;

    /// <summary>Dataset indices of the samples, in batch order.</summary>
    public int[] Samples => samples;

    /// <summary>Inputs, [B, ...sample shape] float32.</summary>
    public Tensor Inputs => inputs;

    /// <summary>Class indices, [B] int64.</summary>
    public Tensor Labels => labels;

    /// <summary>Adds both tensors to <paramref name="scope"/>, which will then dispose them.</summary>
    public void AttachTo(DisposeScope scope) => scope.Attach([inputs, labels]);

    /// <summary>Frees both tensors.</summary>
    public void Dispose()
    {
        inputs.Dispose();
        labels.Dispose();
    }
}

/// <summary>
/// Hands out the batches of an epoch. Everything is a pure function of (seed, epoch, batch index): the order is a
/// seeded permutation per epoch, each sample's augmentation uses its own generator seeded by (seed, epoch, sample),
/// so prefetching, worker count and resuming at any batch give identical batches.
/// </summary>
public sealed class BatchLoader
{
    readonly ISampleSource _source;
    readonly LoaderOptions _options;
    readonly Device _device;

    /// <summary>Creates a loader over <paramref name="source"/> producing tensors on <paramref name="device"/>.</summary>
    public BatchLoader(ISampleSource source, LoaderOptions options, Device device)
    {
        ArgumentNullException.ThrowIfNull(source);
        ArgumentOutOfRangeException.ThrowIfLessThan(options.BatchSize, 1, nameof(options.BatchSize));
        ArgumentOutOfRangeException.ThrowIfLessThan(options.WorldSize, 1, nameof(options.WorldSize));
        ArgumentOutOfRangeException.ThrowIfLessThan(options.Workers, 1, nameof(options.Workers));
        if (options.Rank < 0 || options.Rank >= options.WorldSize) throw new ArgumentOutOfRangeException(nameof(options.Rank));
        _source = source;
        _options = options;
        _device = device;
    }

    /// <summary>The source the batches come from.</summary>
    public ISampleSource Source => _source;

    /// <summary>Number of samples this rank sees per epoch (before dropping the last partial batch).</summary>
    public int ShardSize => (_source.Count - _options.Rank + _options.WorldSize - 1) / _options.WorldSize;

    /// <summary>Number of batches this rank hands out per epoch.</summary>
    public int BatchesPerEpoch => _options.DropLast
        ? _source.Count / _options.WorldSize / _options.BatchSize
        : (ShardSize + _options.BatchSize - 1) / _options.BatchSize;

    /// <summary>This rank's dataset indices for <paramref name="epoch"/>, in the order they are served.</summary>
    public int[] EpochOrder(int epoch)
    {
        var order = Enumerable.Range(0, _source.Count).ToArray();
        if (_options.Shuffle) new Random(Seeds.Mix(_options.Seed, epoch, -1)).Shuffle(order);
        return order.Where((_, position) => position % _options.WorldSize == _options.Rank).ToArray();
    }

    /// <summary>Prepares batch <paramref name="index"/> of <paramref name="epoch"/> on the calling thread.</summary>
    public Batch PrepareBatch(int epoch, int index) => PrepareBatch(epoch, index, EpochOrder(epoch));

    /// <summary>
    /// The batches of <paramref name="epoch"/> from <paramref name="startBatch"/> on (to resume mid-epoch). With
    /// prefetch, the next batch is prepared in the background while the caller uses the current one.
    /// </summary>
    public IEnumerable<Batch> Epoch(int epoch, int startBatch = 0)
    {
        var order = EpochOrder(epoch);
        if (!_options.Prefetch)
        {
            for (var b = startBatch; b < BatchesPerEpoch; b++) yield return PrepareBatch(epoch, b, order);
            yield break;
        }
        Task<Batch>? next = startBatch < BatchesPerEpoch ? Background(epoch, startBatch, order) : null;
        try
        {
            for (var b = startBatch; next is not null; b++)
            {
                var current = next.GetAwaiter().GetResult();
                next = b + 1 < BatchesPerEpoch ? Background(epoch, b + 1, order) : null;
                yield return current;
            }
        }
        finally
        {
            if (next is not null) DisposeWhenDone(next);
        }
    }

    Task<Batch> Background(int epoch, int index, int[] order) => Task.Run(() => PrepareBatch(epoch, index, order));

    // The caller stopped early: free the batch prepared ahead; a failure of that unwanted batch is irrelevant.
    static void DisposeWhenDone(Task<Batch> pending)
    {
        try { pending.GetAwaiter().GetResult().Dispose(); }
        catch (Exception e) when (e is DataException or AggregateException or IOException) { }
    }

    Batch PrepareBatch(int epoch, int index, int[] order)
    {
        if (index < 0 || index >= BatchesPerEpoch) throw new ArgumentOutOfRangeException(nameof(index));
        var start = index * _options.BatchSize;
        var samples = order.AsSpan(start, Math.Min(_options.BatchSize, order.Length - start)).ToArray();
        var sampleSize = (int)_source.SampleShape.Aggregate(1L, (a, d) => a * d);
        var inputs = new float[(long)samples.Length * sampleSize];
        var labels = new long[samples.Length];
        var parallel = new ParallelOptions { MaxDegreeOfParallelism = _options.Workers };
        try
        {
            Parallel.For(0, samples.Length, parallel, i =>
                labels[i] = _source.Prepare(samples[i], new Random(Seeds.Mix(_options.Seed, epoch, samples[i])),
                    inputs.AsSpan(i * sampleSize, sampleSize)));
        }
        catch (AggregateException e) when (e.InnerExceptions.OfType<DataException>().FirstOrDefault() is { } data)
        {
            throw new DataException(data.Message, data);
        }
        long[] shape = [samples.Length, .. _source.SampleShape];
        return new Batch(epoch, index, samples, ToDevice(torch.tensor(inputs, shape)), ToDevice(torch.tensor(labels, [samples.Length])));
    }

    Tensor ToDevice(Tensor cpu)
    {
        cpu.DetachFromDisposeScope();
        if (_device.type == DeviceType.CPU) return cpu;
        using (cpu)
        {
            var moved = cpu.to(_device);
            moved.DetachFromDisposeScope();
            return moved;
        }
    }
}

/// <summary>Derives independent 32-bit seeds from (seed, epoch, item) with a SplitMix64 finaliser.</summary>
public static class Seeds
{
    /// <summary>A seed for item <paramref name="item"/> of epoch <paramref name="epoch"/> under run seed <paramref name="seed"/>.</summary>
    public static int Mix(int seed, int epoch, int item)
    {
        var z = ((ulong)(uint)seed << 32 | (uint)epoch) * 0x9E3779B97F4A7C15UL + (ulong)(uint)item * 0xBF58476D1CE4E5B9UL;
        z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9UL;
        z = (z ^ (z >> 27)) * 0x94D049BB133111EBUL;
        return (int)((z ^ (z >> 31)) & 0x7FFFFFFF);
    }
}
