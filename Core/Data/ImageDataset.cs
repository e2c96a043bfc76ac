// An image dataset held as one contiguous uint8 array [N, C, H, W] plus labels, as read from its real format.
namespace SnnDsl.Core.Data;

/// <summary>Shape of one sample: channels, height, width.</summary>
public readonly record struct SampleShape(int Channels, int Height, int Width)
{
    /// <summary>Number of values in one sample (C·H·W).</summary>
    public int Size => Channels * Height * Width;

    /// <inheritdoc/>
    public override string ToString() => $"[{Channels}, {Height}, {Width}]";
}

/// <summary>
/// A whole split of an image dataset in memory: <see cref="Pixels"/> is [N, C, H, W] uint8, row-major,
/// <see cref="Labels"/> holds N class indices in [0, ClassCount).
/// </summary>
public sealed class ImageDataset
{
    /// <summary>Creates a dataset, checking that pixels and labels agree with the shape.</summary>
    public ImageDataset(string name, byte[] pixels, int[] labels, int classCount, SampleShape shape)
    {
        ArgumentNullException.ThrowIfNull(pixels);
        ArgumentNullException.ThrowIfNull(labels);
        if ((long)labels.Length * shape.Size != pixels.LongLength)
            throw new ArgumentException($"{pixels.LongLength} pixels do not hold {labels.Length} samples of {shape}", nameof(pixels));
        if (classCount <= 0) throw new ArgumentOutOfRangeException(nameof(classCount));
        Name = name;
        Pixels = pixels;
        Labels = labels;
        ClassCount = classCount;
        Shape = shape;
    }

    /// <summary>Dataset name and split, e.g. "fashion-mnist/train".</summary>
    public string Name { get; }

    /// <summary>All samples, [N, C, H, W] uint8.</summary>
    public byte[] Pixels { get; }

    /// <summary>Class index of each sample.</summary>
    public int[] Labels { get; }

    /// <summary>Number of classes.</summary>
    public int ClassCount { get; }

    /// <summary>Per-sample shape [C, H, W].</summary>
    public SampleShape Shape { get; }

    /// <summary>Number of samples N.</summary>
    public int Count => Labels.Length;

    /// <summary>The pixels of sample <paramref name="index"/>, [C, H, W].</summary>
    public ReadOnlySpan<byte> Sample(int index) => Pixels.AsSpan(index * Shape.Size, Shape.Size);
}
