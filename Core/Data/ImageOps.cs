// The AutoAugment image operations on one uint8 [C, H, W] image, with torchvision's tensor semantics.
using System.Runtime.CompilerServices;
using System.Buffers;

namespace SnnDsl.Core.Data;

/// <summary>
/// Pixel and geometric operations on a single uint8 image stored [C, H, W] in a span, modified in place.
/// Arithmetic follows torchvision.transforms.functional on uint8 tensors: blends in float32, clamped to
/// [0, 255] and truncated; geometric ops use nearest-neighbour sampling with zero fill.
/// </summary>
public static class ImageOps
{
    /// <summary>255 - x.</summary>
    public static void Invert(Span<byte> image)
    {
        for (var i = 0; i < image.Length; i++) image[i] = (byte)(255 - image[i]);
    }

    /// <summary>Keeps the top <paramref name="bits"/> bits of every value.</summary>
    public static void Posterize(Span<byte> image, int bits)
    {
        var mask = (byte)(0xFF << (8 - bits));
        for (var i = 0; i < image.Length; i++) image[i] &= mask;
    }

    /// <summary>Inverts every value at or above <paramref name="threshold"/>.</summary>
    public static void Solarize(Span<byte> image, double threshold)
    {
        for (var i = 0; i < image.Length; i++)
            if (image[i] >= threshold) image[i] = (byte)(255 - image[i]);
    }

    /// <summary>Blends with black: factor·x.</summary>
    public static void Brightness(Span<byte> image, float factor)
    {
        for (var i = 0; i < image.Length; i++) image[i] = Blend(image[i], 0f, factor);
    }

    /// <summary>Blends with the grayscale image (saturation); single-channel images are unchanged.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void Color(Span<byte> image, SampleShape shape, float factor)
    {
        if (shape.Channels != 3) return;
        var plane = shape.Height * shape.Width;
        for (var p = 0; p < plane; p++)
        {
            var gray = (float)Gray(image, plane, p);
            for (var c = 0; c < 3; c++) image[c * plane + p] = Blend(image[c * plane + p], gray, factor);
        }
    }

    /// <summary>Blends with the mean grayscale value of the whole image.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void Contrast(Span<byte> image, SampleShape shape, float factor)
    {
        var plane = shape.Height * shape.Width;
        double sum = 0;
        if (shape.Channels == 3) for (var p = 0; p < plane; p++) sum += Gray(image, plane, p);
        else foreach (var v in image) sum += v;
        var mean = (float)(sum / (shape.Channels == 3 ? plane : image.Length));
        for (var i = 0; i < image.Length; i++) image[i] = Blend(image[i], mean, factor);
    }

    /// <summary>Blends with a 3×3 smoothed image (kernel 1,1,1/1,5,1/1,1,1 over 13); borders stay as they are.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void Sharpness(Span<byte> image, SampleShape shape, float factor)
    {
        var (h, w) = (shape.Height, shape.Width);
        if (h <= 2 || w <= 2) return;
        var blurred = ArrayPool<byte>.Shared.Rent(image.Length);
        image.CopyTo(blurred);
        for (var c = 0; c < shape.Channels; c++)
            for (var y = 1; y < h - 1; y++)
                for (var x = 1; x < w - 1; x++)
                    blurred[(c * h + y) * w + x] = Smoothed(image, c, y, x, h, w);
        for (var i = 0; i < image.Length; i++) image[i] = Blend(image[i], blurred[i], factor);
        ArrayPool<byte>.Shared.Return(blurred);
    }

    /// <summary>Stretches each channel linearly so its minimum becomes 0 and its maximum 255.</summary>
    public static void AutoContrast(Span<byte> image, SampleShape shape)
    {
        var plane = shape.Height * shape.Width;
        for (var c = 0; c < shape.Channels; c++)
        {
            var channel = image.Slice(c * plane, plane);
            int lo = 255, hi = 0;
            foreach (var v in channel) { lo = Math.Min(lo, v); hi = Math.Max(hi, v); }
            if (hi == lo) continue;
            var scale = 255f / (hi - lo);
            for (var i = 0; i < channel.Length; i++) channel[i] = Clamp((channel[i] - lo) * scale);
        }
    }

    /// <summary>Histogram equalisation of each channel (torchvision's lookup-table construction).</summary>
    public static void Equalize(Span<byte> image, SampleShape shape)
    {
        var plane = shape.Height * shape.Width;
        for (var c = 0; c < shape.Channels; c++) EqualizeChannel(image.Slice(c * plane, plane));
    }

    /// <summary>Shears horizontally about the top-left corner: the output at (x, y) samples x + m·(y + 0.5).</summary>
    public static void ShearX(Span<byte> image, SampleShape shape, double m) =>
        Affine(image, shape, [1, m, m * shape.Height / 2.0, 0, 1, 0]);

    /// <summary>Shears vertically about the top-left corner: the output at (x, y) samples y + m·(x + 0.5).</summary>
    public static void ShearY(Span<byte> image, SampleShape shape, double m) =>
        Affine(image, shape, [1, 0, 0, m, 1, m * shape.Width / 2.0]);

    /// <summary>Shifts by whole pixels (positive dx right, positive dy down), filling with zeros.</summary>
    public static void Translate(Span<byte> image, SampleShape shape, int dx, int dy) =>
        Affine(image, shape, [1, 0, -dx, 0, 1, -dy]);

    /// <summary>Rotates counter-clockwise by <paramref name="degrees"/> about the image centre, filling with zeros.</summary>
    public static void Rotate(Span<byte> image, SampleShape shape, double degrees)
    {
        var a = -degrees * Math.PI / 180.0;
        var (cos, sin) = (Math.Cos(a), Math.Sin(a));
        Affine(image, shape, [cos, sin, 0, -sin, cos, 0]);
    }

    /// <summary>
    /// Resamples with nearest neighbour: the output pixel with centred coordinates (x, y) takes the input at
    /// (m0·x + m1·y + m2, m3·x + m4·y + m5), centred coordinates measured from the image centre; outside is 0.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void Affine(Span<byte> image, SampleShape shape, double[] m)
    {
        var (h, w) = (shape.Height, shape.Width);
        var source = ArrayPool<byte>.Shared.Rent(image.Length);
        image.CopyTo(source);
        for (var y = 0; y < h; y++)
            for (var x = 0; x < w; x++)
            {
                double xc = x - w / 2.0 + 0.5, yc = y - h / 2.0 + 0.5;
                var sx = (int)Math.Round(m[0] * xc + m[1] * yc + m[2] + w / 2.0 - 0.5, MidpointRounding.ToEven);
                var sy = (int)Math.Round(m[3] * xc + m[4] * yc + m[5] + h / 2.0 - 0.5, MidpointRounding.ToEven);
                var inside = sx >= 0 && sx < w && sy >= 0 && sy < h;
                for (var c = 0; c < shape.Channels; c++)
                    image[(c * h + y) * w + x] = inside ? source[(c * h + sy) * w + sx] : (byte)0;
            }
        ArrayPool<byte>.Shared.Return(source);
    }

    static void EqualizeChannel(Span<byte> channel)
    {
        Span<int> hist = stackalloc int[256];
        foreach (var v in channel) hist[v]++;
        var last = 255;
        while (hist[last] == 0) last--;
        var step = (channel.Length - hist[last]) / 255;
        if (step == 0) return;
        Span<byte> lut = stackalloc byte[256];
        var cumulative = 0;
        for (var v = 0; v < 256; v++)
        {
            lut[v] = (byte)Math.Min(255, (cumulative + step / 2) / step);
            cumulative += hist[v];
        }
        for (var i = 0; i < channel.Length; i++) channel[i] = lut[channel[i]];
    }

    static byte Smoothed(ReadOnlySpan<byte> image, int c, int y, int x, int h, int w)
    {
        var sum = 0f;
        for (var dy = -1; dy <= 1; dy++)
            for (var dx = -1; dx <= 1; dx++)
                sum += image[(c * h + y + dy) * w + x + dx] * (dx == 0 && dy == 0 ? 5f / 13f : 1f / 13f);
        return (byte)Math.Clamp(MathF.Round(sum, MidpointRounding.ToEven), 0, 255);
    }

    static byte Gray(ReadOnlySpan<byte> image, int plane, int p) =>
        (byte)(0.2989f * image[p] + 0.587f * image[plane + p] + 0.114f * image[2 * plane + p]);

    static byte Blend(byte x, float other, float ratio) => Clamp(ratio * x + (1f - ratio) * other);

    static byte Clamp(float v) => (byte)Math.Clamp(v, 0f, 255f);
}
