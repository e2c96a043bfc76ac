// Times full training iterations (forward, backward, SGD step) of one estimator at one T on synthetic data, and measures memory.
using System.Diagnostics;
using SnnDsl.Core.Estimators;
using SnnDsl.Core.Layers;
using SnnDsl.Core.Model;
using SnnDsl.Core.Runtime;
using SnnDsl.Core.Surrogates;
using SnnDsl.Core.Training;
using SnnDsl.Dsl.Model;
using TorchSharp;
using static TorchSharp.torch;
using SnnDsl.Core.Metrics;

namespace SnnDsl.Core.Benchmarks;

/// <summary>What to run: batch size, iterations, seed, surrogate form and device (CPU when null).</summary>
public sealed record BenchSettings(
    int BatchSize = 16,
    int Warmup = 1,
    int Iterations = 5,
    long Seed = 0,
    SpikeGradientForm GradientForm = SpikeGradientForm.StraightThrough,
    Device? Device = null);

/// <summary>What is measured: an estimator with a surrogate-gradient form, in a precision.</summary>
public sealed record BenchVariant(EstimatorKind Estimator, SpikeGradientForm GradientForm, Precision Precision = Precision.Float32);

/// <summary>
/// One (estimator, T) measurement. Times in ms per iteration (median, quartiles, extremes) and the median of each phase
/// (spike pass = BPTT forward). Memory in bytes: held for backward = live tensor storages when backward starts;
/// tensor peak = the largest live total at any probe; RSS peak = the process's resident high-water mark over this
/// variant's warm-up and memory iterations (reset before them: the libraries, the data and every tensor); device = CUDA bytes in use at the peak probe (0 on CPU).
/// </summary>
public sealed record BenchMeasurement(
    EstimatorKind Estimator, SpikeGradientForm GradientForm, Precision Precision, int TimeSteps, int BatchSize, int Iterations,
    double MedianMs, double Q1Ms, double Q3Ms, double MinMs, double MaxMs,
    double SpikePassMs, double RatePassMs, double BackwardMs, double OptimiserMs,
    double SamplesPerSecond, long HeldForBackwardBytes, long TensorPeakBytes, long RssPeakBytes, long DeviceBytes);

public static class Benchmark
{
    sealed record Sample(double TotalMs, PhaseTimes Phases, double OptimiserMs);

    /// <summary>One estimator at one T: see <see cref="RunInterleaved"/>.</summary>
    public static BenchMeasurement Run(NetworkSpec spec, EstimatorKind kind, int steps, BenchSettings settings, Action<SpikingNetwork>? prepare = null) =>
        RunInterleaved(spec, [new BenchVariant(kind, settings.GradientForm)], steps, settings, prepare)[0];

    /// <summary>
    /// Builds one network per variant (seeded alike; <paramref name="prepare"/> loads weights), runs each variant's
    /// warm-up and memory iteration (one variant after the other, so that the RSS growth is its own), then the timed
    /// iterations round-robin: iteration i of every variant before iteration i + 1 of any, so that ratios between
    /// variants compare runs made under the same load on a shared machine.
    /// </summary>
    public static List<BenchMeasurement> RunInterleaved(NetworkSpec spec, IReadOnlyList<BenchVariant> variants, int steps, BenchSettings settings, Action<SpikingNetwork>? prepare = null)
    {
        if (settings.Iterations < 1) throw new ArgumentOutOfRangeException(nameof(settings), "at least one timed iteration");
        var device = settings.Device ?? CPU;
        var (input, labels) = SyntheticBatch(spec, settings.BatchSize, settings.Seed, device);
        var subjects = new List<Subject>();
        try
        {
            foreach (var v in variants) subjects.Add(Subject.Prepare(spec, v, steps, settings, device, prepare, input, labels));
            for (int i = 0; i < settings.Iterations; i++)
                foreach (var subject in subjects) subject.Samples.Add(Iterate(subject.Network, subject.Estimator, subject.Optimizer, input, labels));
            return subjects.Select(x => Summarise(x.Variant, steps, settings, x.Samples, x.Memory, x.RssPeak)).ToList();
        }
        finally
        {
            foreach (var subject in subjects) subject.Dispose();
            input.Dispose();
            labels.Dispose();
        }
    }

    /// <summary>A network, its optimiser and estimator, its memory figures and its timed samples.</summary>
    sealed class Subject(BenchVariant variant, SpikingNetwork network, optim.Optimizer optimizer, GradientEstimator estimator) : IDisposable
    {
        public BenchVariant Variant => variant;
        public SpikingNetwork Network => network;
        public optim.Optimizer Optimizer => optimizer;
        public GradientEstimator Estimator => estimator;
        public (long Held, long Peak, long Device) Memory;
        public long RssPeak;
        public List<Sample> Samples { get; } = [];

        public static Subject Prepare(NetworkSpec spec, BenchVariant v, int steps, BenchSettings s, Device device,
            Action<SpikingNetwork>? prepare, Tensor input, Tensor labels)
        {
            var network = NetworkBuilder.Build(spec, s.Seed, device);
            prepare?.Invoke(network);
            var optimizer = ParameterGroups.Sgd(network, lr: 0.01, momentum: 0.9, weightDecay: 5e-4);
            var estimator = GradientEstimator.Create(v.Estimator, new EstimatorOptions(steps, GradientForm: v.GradientForm, SynchronisedTiming: true, Precision: v.Precision));
            var subject = new Subject(v, network, optimizer, estimator);
            ResidentMemory.ResetPeak();
            for (int i = 0; i < s.Warmup; i++) Iterate(network, estimator, optimizer, input, labels);
            subject.Memory = MeasureMemory(network, estimator, optimizer, input, labels, device);
            subject.RssPeak = ResidentMemory.Peak();
            return subject;
        }

        public void Dispose()
        {
            optimizer.Dispose();
            network.Dispose();
        }
    }

    /// <summary>Random inputs of the network's input shape (normal, like normalised images) and uniform labels.</summary>
    public static (Tensor Input, Tensor Labels) SyntheticBatch(NetworkSpec spec, int batch, long seed, Device device)
    {
        using var generator = new Generator((ulong)seed + 1, CPU);
        var input = randn([batch, .. spec.Input.Dims], generator: generator).to(device);
        long classes = ShapeInference.OutputShape(spec)[0];
        var labels = randint(classes, [batch], generator: generator).to(device);
        return (input, labels);
    }

    /// <summary>One timed iteration, including what a training step pays after its scope (<see cref="NativeMemory.CollectFinalizable"/>).</summary>
    static Sample Iterate(SpikingNetwork network, GradientEstimator estimator, optim.Optimizer optimizer, Tensor input, Tensor labels)
    {
        long start = Stopwatch.GetTimestamp();
        var sample = IterateScoped(network, estimator, optimizer, input, labels);
        NativeMemory.CollectFinalizable();
        double collectMs = Stopwatch.GetElapsedTime(start).TotalMilliseconds - sample.TotalMs;
        return sample with { TotalMs = sample.TotalMs + Math.Max(0, collectMs) };
    }

    static Sample IterateScoped(SpikingNetwork network, GradientEstimator estimator, optim.Optimizer optimizer, Tensor input, Tensor labels)
    {
        using var scope = NewDisposeScope();
        Devices.Synchronise(input.device);
        long start = Stopwatch.GetTimestamp();
        optimizer.zero_grad();
        var result = estimator.Backward(network, SpikeInput.Static(input), labels);
        long beforeStep = Stopwatch.GetTimestamp();
        optimizer.step();
        Devices.Synchronise(input.device); // the phase clocks inside the estimator synchronise too (SynchronisedTiming)
        long end = Stopwatch.GetTimestamp();
        return new Sample(Stopwatch.GetElapsedTime(start, end).TotalMilliseconds, result.Times, Stopwatch.GetElapsedTime(beforeStep, end).TotalMilliseconds);
    }

    /// <summary>One iteration with the probe on: (held for backward, tensor peak, device bytes at the peak probe).</summary>
    static (long Held, long Peak, long Device) MeasureMemory(SpikingNetwork network, GradientEstimator estimator, optim.Optimizer optimizer,
        Tensor input, Tensor labels, Device device)
    {
        long held = 0, peak = 0, deviceBytes = 0;
        long deviceBase = device.type == DeviceType.CUDA ? CudaMemory.Used(device.index < 0 ? 0 : device.index) : 0;
        using (NewDisposeScope()) optimizer.zero_grad(); // outside the measured scope: gradients are parameter-sized state, not activations
        using var scope = NewDisposeScope();
        estimator.Probe = (phase, inner) =>
        {
            long bytes = TensorMemory.LiveBytes([scope, .. inner]);
            if (phase == EstimatorPhase.BeforeBackward) held = bytes;
            peak = Math.Max(peak, bytes);
            if (device.type == DeviceType.CUDA)
                deviceBytes = Math.Max(deviceBytes, CudaMemory.Used(device.index < 0 ? 0 : device.index) - deviceBase);
        };
        try
        {
            estimator.Backward(network, SpikeInput.Static(input), labels);
            optimizer.step();
        }
        finally { estimator.Probe = null; }
        return (held, peak, deviceBytes);
    }

    static BenchMeasurement Summarise(BenchVariant variant, int steps, BenchSettings s, List<Sample> samples, (long Held, long Peak, long Device) memory, long rssPeak)
    {
        var totals = samples.Select(x => x.TotalMs).Order().ToArray();
        double median = Quantile(totals, 0.5);
        double Phase(Func<Sample, double> f) => Quantile(samples.Select(f).Order().ToArray(), 0.5);
        return new BenchMeasurement(variant.Estimator, variant.GradientForm, variant.Precision, steps, s.BatchSize, samples.Count,
            median, Quantile(totals, 0.25), Quantile(totals, 0.75), totals[0], totals[^1],
            Phase(x => x.Phases.ForwardMs), Phase(x => x.Phases.RatePassMs), Phase(x => x.Phases.BackwardMs), Phase(x => x.OptimiserMs),
            s.BatchSize / (median / 1000.0), memory.Held, memory.Peak, rssPeak, memory.Device);
    }

    /// <summary>Linear-interpolated quantile of sorted values.</summary>
    public static double Quantile(double[] sorted, double q)
    {
        if (sorted.Length == 0) throw new ArgumentException("no values", nameof(sorted));
        double position = q * (sorted.Length - 1);
        int lower = (int)Math.Floor(position);
        int upper = Math.Min(lower + 1, sorted.Length - 1);
        return sorted[lower] + (sorted[upper] - sorted[lower]) * (position - lower);
    }
}
