// A batch as the network sees it: a static image repeated at every step, or a sequence with one frame per step.
using static TorchSharp.torch;

namespace SnnDsl.Core.Model;

/// <summary>
/// Network input for T steps. Static data (direct encoding) is [B, ...] and fed unchanged at every step; event data
/// is time-major [T, B, ...] and feeds frame t at step t. The rate pass takes the time average.
/// </summary>
public sealed class SpikeInput
{
    SpikeInput(Tensor data, bool isSequence) { Data = data; IsSequence = isSequence; }

    public Tensor Data { get; }
    public bool IsSequence { get; }

    /// <summary>Static input x: [B, ...], the same at every step.</summary>
    public static SpikeInput Static(Tensor x) => new(x, false);

    /// <summary>Event frames x: [T, B, ...], frame t at step t.</summary>
    public static SpikeInput Sequence(Tensor x) => new(x, true);

    public long BatchSize => IsSequence ? Data.shape[1] : Data.shape[0];

    /// <summary>The input of step t: [B, ...].</summary>
    public Tensor AtStep(int t, int timeSteps)
    {
        CheckSteps(timeSteps);
        return IsSequence ? Data[t] : Data;
    }

    /// <summary>All steps, time-major and flattened: [T·B, ...].</summary>
    public Tensor TimeMajor(int timeSteps)
    {
        CheckSteps(timeSteps);
        if (IsSequence) return Data.flatten(0, 1);
        var repeated = new long[Data.dim() + 1];
        repeated[0] = timeSteps;
        for (int i = 1; i < repeated.Length; i++) repeated[i] = 1;
        return Data.unsqueeze(0).repeat(repeated).flatten(0, 1);
    }

    /// <summary>The time-averaged input x̄: [B, ...] (the data itself for static input).</summary>
    public Tensor Mean => IsSequence ? Data.mean([0]) : Data;

    void CheckSteps(int timeSteps)
    {
        if (IsSequence && Data.shape[0] != timeSteps)
            throw new ArgumentException($"expected an event sequence of T = {timeSteps} frames [T, B, ...], got {Data.shape[0]} frames", nameof(timeSteps));
    }
}
