// CIFAR10-DVS as a loader source: cached frames [T, 2, S, S] with the published clip flip and random roll.
using System.Runtime.CompilerServices;
namespace SnnDsl.Core.Data;

/// <summary>Training augmentation of event clips (docs/rate-bp.md §7): flip the whole clip left-right, roll ±Roll pixels.</summary>
/// <param name="HorizontalFlip">Flip every frame left-right with probability 1/2.</param>
/// <param name="Roll">Maximum circular shift in each axis (5 as published); 0 turns it off.</param>
public sealed record DvsAugment(bool HorizontalFlip = false, int Roll = 0)
{
    /// <summary>The published training augmentation: flip and roll ±5.</summary>
    public static readonly DvsAugment Train = new(true, 5);

    /// <summary>No augmentation (evaluation).</summary>
    public static readonly DvsAugment None = new();
}

/// <summary>
/// Serves each recording as [T, 2, S, S] float32 event counts (area-resized); frame t feeds time step t, so the
/// batch is [B, T, 2, S, S] and the engine transposes it to time-major.
/// </summary>
public sealed class DvsSource(DvsDataset dataset, DvsAugment augment) : ISampleSource
{
    readonly int _size = dataset.Settings.Size;
    readonly int _planes = dataset.Settings.Frames * 2;

    /// <inheritdoc/>
    public int Count => dataset.Recordings.Count;

    /// <inheritdoc/>
    public int ClassCount => dataset.Classes.Count;

    /// <inheritdoc/>
    public long[] SampleShape => [dataset.Settings.Frames, 2, _size, _size];

    /// <inheritdoc/>
    public int Label(int index) => dataset.Recordings[index].Label;

    /// <inheritdoc/>
    public int Prepare(int index, Random rng, Span<float> destination)
    {
        var frames = new float[destination.Length];
        FrameCache.Read(dataset.Recordings[index].Cache, frames);
        var flip = augment.HorizontalFlip && rng.Next(2) == 1;
        var dy = augment.Roll > 0 ? rng.Next(-augment.Roll, augment.Roll + 1) : 0;
        var dx = augment.Roll > 0 ? rng.Next(-augment.Roll, augment.Roll + 1) : 0;
        Transform(frames, destination, flip, dx, dy);
        return Label(index);
    }

    /// <summary>out[p, y, x] = in[p, (y - dy) mod S, x' - dx mod S] with x' = S-1-x when flipped (flip, then roll).</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public void Transform(ReadOnlySpan<float> frames, Span<float> destination, bool flip, int dx, int dy)
    {
        var s = _size;
        for (var p = 0; p < _planes; p++)
            for (var y = 0; y < s; y++)
            {
                var sy = ((y - dy) % s + s) % s;
                for (var x = 0; x < s; x++)
                {
                    var rolled = ((x - dx) % s + s) % s;
                    var sx = flip ? s - 1 - rolled : rolled;
                    destination[(p * s + y) * s + x] = frames[(p * s + sy) * s + sx];
                }
            }
    }
}
