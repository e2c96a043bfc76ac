// Integrates DVS events into T frames of per-polarity counts and resizes frames by area averaging.
using System.Runtime.CompilerServices;
namespace SnnDsl.Core.Data;

/// <summary>How events are divided among the T frames.</summary>
public enum FrameSplit
{
    /// <summary>Each frame takes N/T events in order; the last takes the rest.</summary>
    Number,

    /// <summary>Equal time bins of (t_last - t_first)/T µs; the last frame takes every remaining event.</summary>
    Time,
}

/// <summary>Event-to-frame integration as SpikingJelly's integrate_events_by_fixed_frames_number.</summary>
public static class EventFrames
{
    /// <summary>[T, 2, size, size] event counts, channel = polarity.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static float[] Integrate(DvsEvents events, int frames, FrameSplit split, int size = Aedat.SensorSize)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(frames, 1);
        var plane = size * size;
        var result = new float[frames * 2 * plane];
        var frameOf = split == FrameSplit.Number ? ByNumber(events.Count, frames) : ByTime(events.T, frames);
        for (var i = 0; i < events.Count; i++)
            result[(frameOf(i) * 2 + events.P[i]) * plane + events.Y[i] * size + events.X[i]] += 1f;
        return result;
    }

    /// <summary>Frame of event i when frames take N/T events each, the last the rest (all in the last when N &lt; T).</summary>
    public static Func<int, int> ByNumber(int count, int frames)
    {
        var step = count / frames;
        return i => step == 0 ? frames - 1 : Math.Min(i / step, frames - 1);
    }

    /// <summary>Frame of event i for time bins [t0 + f·dt, t0 + (f+1)·dt), dt = (t_last - t0)/T; the last bin takes the rest.</summary>
    public static Func<int, int> ByTime(uint[] t, int frames)
    {
        var t0 = (long)t[0];
        var dt = ((long)t[^1] - t0) / frames;
        return i => dt <= 0 ? frames - 1 : (int)Math.Clamp((t[i] - t0) / dt, 0, frames - 1);
    }

    /// <summary>Resizes [planes, inSize, inSize] to [planes, outSize, outSize] by area averaging (adaptive average pooling).</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static float[] ResizeArea(float[] source, int planes, int inSize, int outSize)
    {
        var result = new float[planes * outSize * outSize];
        for (var p = 0; p < planes; p++)
            for (var oy = 0; oy < outSize; oy++)
                for (var ox = 0; ox < outSize; ox++)
                    result[(p * outSize + oy) * outSize + ox] = Average(source, p, inSize, outSize, oy, ox);
        return result;
    }

    static float Average(float[] source, int plane, int inSize, int outSize, int oy, int ox)
    {
        int y0 = oy * inSize / outSize, y1 = ((oy + 1) * inSize + outSize - 1) / outSize;
        int x0 = ox * inSize / outSize, x1 = ((ox + 1) * inSize + outSize - 1) / outSize;
        var sum = 0f;
        for (var y = y0; y < y1; y++)
            for (var x = x0; x < x1; x++)
                sum += source[(plane * inSize + y) * inSize + x];
        return sum / ((y1 - y0) * (x1 - x0));
    }
}
