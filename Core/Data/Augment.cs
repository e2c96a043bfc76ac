// Per-sample augmentation switches and the simple published transforms: random crop, flip, Cutout, normalisation.
using System.Runtime.CompilerServices;
namespace SnnDsl.Core.Data;

/// <summary>
/// Which per-sample transforms run, in this order: random crop with zero padding, horizontal flip, AutoAugment
/// (CIFAR-10 policy) on uint8 pixels, conversion to float x/255 and normalisation, then Cutout (zeroes one square).
/// Every switch is independent so the runner can map flags onto it.
/// </summary>
/// <param name="CropPadding">Zero padding of the random crop (crop size = image size); 0 turns the crop off.</param>
/// <param name="HorizontalFlip">Flip left-right with probability 1/2.</param>
/// <param name="AutoAugment">Apply the CIFAR-10 AutoAugment policy.</param>
/// <param name="CutoutSize">Side of the one Cutout square, clipped at the borders; 0 turns Cutout off.</param>
/// <param name="Normalise">Per-channel mean/std after scaling to [0, 1]; null keeps x/255.</param>
public sealed record AugmentOptions(
    int CropPadding = 0,
    bool HorizontalFlip = false,
    bool AutoAugment = false,
    int CutoutSize = 0,
    Normalisation? Normalise = null)
{
    /// <summary>No augmentation and no normalisation: x/255.</summary>
    public static readonly AugmentOptions None = new();

    /// <summary>The published CIFAR training set-up: crop 32 pad 4, flip, AutoAugment, Cutout 16, normalise.</summary>
    public static AugmentOptions CifarTrain(Normalisation normalisation) => new(4, true, true, 16, normalisation);

    /// <summary>Evaluation: normalisation only.</summary>
    public static AugmentOptions Test(Normalisation normalisation) => new(Normalise: normalisation);

    /// <summary>True when any transform draws random numbers.</summary>
    public bool IsRandom => CropPadding > 0 || HorizontalFlip || AutoAugment || CutoutSize > 0;
}

/// <summary>The transforms of <see cref="AugmentOptions"/> as small functions on one sample.</summary>
public static class Augment
{
    /// <summary>
    /// Writes the sample shifted by (dx, dy) into <paramref name="destination"/>: out[c, y, x] = in[c, y + dy, x + dx],
    /// zero where that falls outside; this is a crop of the zero-padded image at offset (pad + dx, pad + dy).
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void Crop(ReadOnlySpan<byte> source, Span<byte> destination, SampleShape shape, int dx, int dy)
    {
        var (h, w) = (shape.Height, shape.Width);
        destination[..shape.Size].Clear();
        var (x0, x1) = (Math.Max(0, -dx), Math.Min(w, w - dx));
        if (x1 <= x0) return;
        for (var c = 0; c < shape.Channels; c++)
            for (var y = Math.Max(0, -dy); y < Math.Min(h, h - dy); y++)
                source.Slice((c * h + y + dy) * w + x0 + dx, x1 - x0).CopyTo(destination.Slice((c * h + y) * w + x0));
    }

    /// <summary>Mirrors every row left-right, in place.</summary>
    public static void FlipHorizontal(Span<byte> image, SampleShape shape)
    {
        for (var row = 0; row < shape.Channels * shape.Height; row++) image.Slice(row * shape.Width, shape.Width).Reverse();
    }

    /// <summary>Zeroes the size×size square centred at (cx, cy) in every channel, clipped at the borders.</summary>
    public static void Cutout(Span<float> image, SampleShape shape, int cx, int cy, int size)
    {
        var (y0, y1) = (Math.Clamp(cy - size / 2, 0, shape.Height), Math.Clamp(cy + size / 2, 0, shape.Height));
        var (x0, x1) = (Math.Clamp(cx - size / 2, 0, shape.Width), Math.Clamp(cx + size / 2, 0, shape.Width));
        for (var c = 0; c < shape.Channels; c++)
            for (var y = y0; y < y1; y++)
                image.Slice((c * shape.Height + y) * shape.Width + x0, x1 - x0).Clear();
    }

    /// <summary>Converts to float: (x/255 - mean[c]) / std[c], or x/255 without normalisation.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void ToFloat(ReadOnlySpan<byte> image, Span<float> destination, SampleShape shape, Normalisation? normalise)
    {
        var plane = shape.Height * shape.Width;
        for (var c = 0; c < shape.Channels; c++)
        {
            var (mean, std) = normalise is null ? (0f, 1f) : (normalise.Mean[c], normalise.Std[c]);
            for (var p = c * plane; p < (c + 1) * plane; p++) destination[p] = (image[p] / 255f - mean) / std;
        }
    }

    /// <summary>Runs the whole pipeline on one sample, drawing its random choices from <paramref name="rng"/>.</summary>
    public static void Apply(ReadOnlySpan<byte> sample, SampleShape shape, AugmentOptions options, Random rng, Span<float> destination)
    {
        CheckNormalisation(shape, options.Normalise);
        var pixels = new byte[shape.Size];
        if (options.CropPadding > 0)
        {
            var dy = rng.Next(2 * options.CropPadding + 1) - options.CropPadding;
            var dx = rng.Next(2 * options.CropPadding + 1) - options.CropPadding;
            Crop(sample, pixels, shape, dx, dy);
        }
        else sample.CopyTo(pixels);
        if (options.HorizontalFlip && rng.Next(2) == 1) FlipHorizontal(pixels, shape);
        if (options.AutoAugment) SnnDsl.Core.Data.AutoAugment.Apply(pixels, shape, rng);
        ToFloat(pixels, destination, shape, options.Normalise);
        if (options.CutoutSize > 0) Cutout(destination, shape, rng.Next(shape.Width), rng.Next(shape.Height), options.CutoutSize);
    }

    static void CheckNormalisation(SampleShape shape, Normalisation? normalise)
    {
        if (normalise is not null && (normalise.Mean.Length != shape.Channels || normalise.Std.Length != shape.Channels))
            throw new DataException($"normalisation has {normalise.Mean.Length} channel means for images of shape {shape}");
    }
}
