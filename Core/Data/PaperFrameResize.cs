// The paper's CIFAR10-DVS frame resize: torchvision ToPILImage + Resize on a two-channel frame, i.e. Pillow's 'LA' path.
using System.Runtime.CompilerServices;

namespace SnnDsl.Core.Data;

/// <summary>How integrated DVS frames are brought to the training size.</summary>
public enum FrameResize
{
    /// <summary>Area averaging of the raw event counts (adaptive average pooling); values are counts, not bounded by 1.</summary>
    Area,

    /// <summary>
    /// The reference code's transform (ToPILImage, Resize(size), ToTensor on each [2, H, W] frame), reproduced from
    /// Pillow's documented algorithm: see <see cref="PaperFrameResize"/>. Values lie in [0, 1].
    /// </summary>
    Paper,
}

/// <summary>
/// What the paper's data pipeline does to one frame of event counts [2, H, W] (docs/events-and-imagenet.md, "The paper's frames"):
/// <list type="number">
/// <item>ToPILImage multiplies by 255 and casts to bytes, which wraps modulo 256 (a count of 1 → 255, 2 → 254, 256 → 0).</item>
/// <item>The two channels become a Pillow 'LA' image: polarity 0 is the luminance L, polarity 1 the alpha A.</item>
/// <item>Resize premultiplies L by A (L·A/255 rounded, Pillow's 'La' mode), resamples both bands with the antialiased
///   bilinear filter (triangle of support 1 widened by the downscale factor; 8-bit fixed-point weights with 22
///   fraction bits; horizontal pass, rounding to bytes, then vertical pass), and divides L by A again (unless A is 0
///   or 255).</item>
/// <item>ToTensor divides by 255.</item>
/// </list>
/// </summary>
public static class PaperFrameResize
{
    const int PrecisionBits = 32 - 8 - 2;

    /// <summary>[frames, 2, inSize, inSize] counts → [frames, 2, outSize, outSize] values in [0, 1].</summary>
    public static float[] Resize(float[] counts, int frames, int inSize, int outSize)
    {
        ArgumentOutOfRangeException.ThrowIfNotEqual(counts.Length, frames * 2 * inSize * inSize, nameof(counts));
        var weights = Weights.For(inSize, outSize);
        int inPlane = inSize * inSize, outPlane = outSize * outSize;
        var result = new float[frames * 2 * outPlane];
        var luminance = new byte[inPlane];
        var alpha = new byte[inPlane];
        for (int f = 0; f < frames; f++)
        {
            var frame = counts.AsSpan(f * 2 * inPlane, 2 * inPlane);
            for (int i = 0; i < inPlane; i++)
            {
                alpha[i] = ToByte(frame[inPlane + i]);
                luminance[i] = Premultiply(ToByte(frame[i]), alpha[i]);
            }
            var l = Resample(luminance, inSize, outSize, weights);
            var a = Resample(alpha, inSize, outSize, weights);
            var output = result.AsSpan(f * 2 * outPlane, 2 * outPlane);
            for (int i = 0; i < outPlane; i++)
            {
                output[i] = Unpremultiply(l[i], a[i]) / 255f;
                output[outPlane + i] = a[i] / 255f;
            }
        }
        return result;
    }

    /// <summary>ToPILImage's float → byte: value·255 cast to an integer, wrapping modulo 256.</summary>
    public static byte ToByte(float count) => unchecked((byte)(long)(count * 255f));

    /// <summary>'LA' → 'La': l·a/255 rounded as Pillow's MULDIV255 rounds it.</summary>
    public static byte Premultiply(byte l, byte a)
    {
        int t = l * a + 128;
        return (byte)(((t >> 8) + t) >> 8);
    }

    /// <summary>'La' → 'LA': 255·l/a (integer division, clipped to 255); unchanged where a is 0 or 255.</summary>
    public static byte Unpremultiply(byte l, byte a) => a is 0 or 255 ? l : (byte)Math.Min(255, 255 * l / a);

    /// <summary>Pillow's antialiased bilinear resize of one square 8-bit plane [inSize, inSize] → [outSize, outSize].</summary>
    public static byte[] ResamplePlane(byte[] plane, int inSize, int outSize) => Resample(plane, inSize, outSize, Weights.For(inSize, outSize));

    /// <summary>Separable antialiased bilinear resampling of one square byte plane, horizontal then vertical.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    static byte[] Resample(byte[] plane, int inSize, int outSize, Weights w)
    {
        var rows = new byte[inSize * outSize]; // [inSize rows, outSize columns]
        for (int y = 0; y < inSize; y++)
            for (int x = 0; x < outSize; x++)
                rows[y * outSize + x] = w.Apply(x, plane, y * inSize, 1);
        var result = new byte[outSize * outSize];
        for (int y = 0; y < outSize; y++)
            for (int x = 0; x < outSize; x++)
                result[y * outSize + x] = w.Apply(y, rows, x, outSize);
        return result;
    }

    /// <summary>Per output index: the first input index and the fixed-point weights of the inputs it reads.</summary>
    sealed class Weights
    {
        readonly int[] _first;
        readonly int[][] _fixedPoint;

        Weights(int[] first, int[][] fixedPoint) { _first = first; _fixedPoint = fixedPoint; }

        public static Weights For(int inSize, int outSize)
        {
            double scale = (double)inSize / outSize, filterScale = Math.Max(scale, 1.0);
            double support = 1.0 * filterScale; // the bilinear (triangle) filter has support 1
            var first = new int[outSize];
            var weights = new int[outSize][];
            for (int o = 0; o < outSize; o++)
            {
                double centre = (o + 0.5) * scale;
                int min = Math.Max(0, (int)(centre - support + 0.5));
                int max = Math.Min(inSize, (int)(centre + support + 0.5));
                var raw = Enumerable.Range(min, max - min).Select(i => Triangle((i - centre + 0.5) / filterScale)).ToArray();
                double sum = raw.Sum();
                first[o] = min;
                weights[o] = raw.Select(r => ToFixedPoint(sum != 0 ? r / sum : r)).ToArray();
            }
            return new Weights(first, weights);
        }

        static double Triangle(double x) => Math.Abs(x) < 1.0 ? 1.0 - Math.Abs(x) : 0.0;

        static int ToFixedPoint(double w) => (int)(w * (1 << PrecisionBits) + (w < 0 ? -0.5 : 0.5));

        /// <summary>
        /// Σ weight·input + ½ over the inputs of one output, shifted back to a byte and clipped to [0, 255]; input i is
        /// source[offset + i·stride] (a row: stride 1, a column: stride = row length).
        /// </summary>
        public byte Apply(int output, byte[] source, int offset, int stride)
        {
            int sum = 1 << (PrecisionBits - 1);
            var k = _fixedPoint[output];
            int at = offset + _first[output] * stride;
            for (int i = 0; i < k.Length; i++, at += stride) sum += source[at] * k[i];
            return (byte)Math.Clamp(sum >> PrecisionBits, 0, 255);
        }
    }
}
