// What the batch loader reads from: a source that turns sample i into a float array and a label.
namespace SnnDsl.Core.Data;

/// <summary>
/// A dataset as the loader sees it. <see cref="Prepare"/> must be thread-safe and draw every random choice from
/// the generator it is given, so that a sample's result depends only on (seed, epoch, index).
/// </summary>
public interface ISampleSource
{
    /// <summary>Number of samples.</summary>
    int Count { get; }

    /// <summary>Number of classes.</summary>
    int ClassCount { get; }

    /// <summary>Shape of one prepared sample, e.g. [C, H, W] or [T, 2, H, W].</summary>
    long[] SampleShape { get; }

    /// <summary>Class index of sample <paramref name="index"/>.</summary>
    int Label(int index);

    /// <summary>
    /// Writes the prepared (augmented, normalised) sample into <paramref name="destination"/> and returns its label.
    /// A source that substitutes an unreadable sample (and reports it) returns the substitute's label.
    /// </summary>
    int Prepare(int index, Random rng, Span<float> destination);
}

/// <summary>An in-memory image dataset with its augmentation pipeline.</summary>
public sealed class ImageSource(ImageDataset dataset, AugmentOptions augment) : ISampleSource
{
    /// <summary>The underlying dataset.</summary>
    public ImageDataset Dataset => dataset;

    /// <inheritdoc/>
    public int Count => dataset.Count;

    /// <inheritdoc/>
    public int ClassCount => dataset.ClassCount;

    /// <inheritdoc/>
    public long[] SampleShape => [dataset.Shape.Channels, dataset.Shape.Height, dataset.Shape.Width];

    /// <inheritdoc/>
    public int Label(int index) => dataset.Labels[index];

    /// <inheritdoc/>
    public int Prepare(int index, Random rng, Span<float> destination)
    {
        Augment.Apply(dataset.Sample(index), dataset.Shape, augment, rng, destination);
        return dataset.Labels[index];
    }
}
