// A lower-bound estimate of the activation memory of one training step, checked before the first step.
using SnnDsl.Core.Estimators;
using SnnDsl.Dsl.Model;
using SnnDsl.Core.Settings;

namespace SnnDsl.Core.Metrics;

/// <summary>A run whose activations cannot fit in this machine's memory; the message names T, the batch and the estimator.</summary>
public sealed class ActivationMemoryException(string message) : Errors.UserException(message);

/// <summary>
/// What one step must hold at least: every layer's output for each sample (float32), for all T steps when the graph
/// is unrolled through time (BPTT), for one step plus the multi-step spike pass's [T·B, ...] tensors for rate-BP.
/// The factor of 3 counts the output, the membrane potential and the surrogate derivative kept for backward.
/// </summary>
public static class ActivationMemory
{
    const long BytesPerValue = 4, KeptPerValue = 3;

    public static long EstimateBytes(NetworkSpec network, EstimatorKind estimator, int timeSteps, int batchSize)
    {
        var leaves = ShapeInference.Analyse(network).Where(l => !l.Kind.StartsWith("sequence") && !l.Kind.StartsWith("residual")).ToList();
        long perSample = leaves.Sum(l => l.Output.Elements);
        long largest = leaves.Count == 0 ? 0 : leaves.Max(l => l.Output.Elements);
        double step = (double)batchSize * perSample * BytesPerValue * KeptPerValue;
        double total = estimator switch
        {
            EstimatorKind.BpttM or EstimatorKind.BpttS => step * timeSteps,
            EstimatorKind.RateM => step + 2.0 * timeSteps * batchSize * largest * BytesPerValue,
            _ => step,
        };
        return (long)Math.Min(total, long.MaxValue);
    }

    /// <summary>Memory this process can still use, from /proc/meminfo (MemAvailable) or the runtime's view; null when unknown.</summary>
    public static long? AvailableBytes()
    {
        try
        {
            foreach (var line in File.ReadLines("/proc/meminfo"))
                if (line.StartsWith("MemAvailable:")) return long.Parse(line.Split(' ', StringSplitOptions.RemoveEmptyEntries)[1]) * 1024;
        }
        catch (IOException) { }
        catch (UnauthorizedAccessException) { }
        long runtime = GC.GetGCMemoryInfo().TotalAvailableMemoryBytes;
        return runtime > 0 ? runtime : null;
    }

    /// <summary>Refuses a CPU run whose estimated activations exceed the available memory, naming T, the batch and the sizes.</summary>
    public static void Check(NetworkSpec network, TrainingConfig config, long? available)
    {
        var (kind, steps, batch) = (config.Estimator.Kind, config.Estimator.TimeSteps, config.Data.BatchSize);
        long need = EstimateBytes(network, kind, steps, batch);
        if (available is not { } have || need <= have) return;
        throw new ActivationMemoryException($"T = {steps} with batch size {batch}: {EstimatorNames.Of(kind)} needs at least {Gigabytes(need)} of activations per step " +
            $"for '{network.Name}', more than the {Gigabytes(have)} of memory available; use a smaller --batch-size or -T");
    }

    static string Gigabytes(long bytes) => $"{bytes / 1073741824.0:F1} GB";
}
