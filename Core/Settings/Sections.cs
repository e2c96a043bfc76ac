// The sections of a training config (estimator, optimiser, schedule, data, events, runtime): defaults and checks of each.
using System.Text.Json.Serialization;
using SnnDsl.Core.Data;
using SnnDsl.Core.Estimators;
using SnnDsl.Core.Model;

namespace SnnDsl.Core.Settings;

/// <summary>A group of settings with its own validation; its properties are keys of the flat config.json.</summary>
public interface ISettingsSection
{
    /// <summary>Throws a <see cref="ConfigException"/> naming the first setting that cannot run.</summary>
    void Validate();
}

/// <summary>How gradients are estimated: the estimator, T, the rate-BP factor, the loss's label smoothing.</summary>
public sealed record EstimatorSettings : ISettingsSection
{
    /// <summary>The largest T accepted; the activation-memory estimate checks the rest before the first step.</summary>
    public const int MaxTimeSteps = 4096;

    [JsonPropertyName("estimator")] public EstimatorKind Kind { get; init; } = EstimatorKind.RateM;
    public int TimeSteps { get; init; } = 4;
    /// <summary>Rate-BP gradient factor: 1/T (the reference's, default) or none.</summary>
    public RateScaling RateGradientScale { get; init; } = RateScaling.InverseT;
    public double LabelSmoothing { get; init; }
    /// <summary>SLTT-K: time steps back-propagated per iteration (seeded draw); 0 = ⌊T/2⌋, at least 1.</summary>
    public int SlttK { get; init; }
    /// <summary>SLTT-K: each drawn step's loss weighted 1/K (default) or 1/T (the SLTT authors' script).</summary>
    public SlttKWeight SlttKWeight { get; init; } = SlttKWeight.InverseK;

    public void Validate()
    {
        Check.Require(TimeSteps >= 1, "time steps must be at least 1");
        Check.Require(SlttK >= 0 && SlttK <= TimeSteps, $"--sltt-k {SlttK} must be between 1 and T = {TimeSteps} (0 = T/2)");
        Check.Require(TimeSteps <= MaxTimeSteps, $"time steps T = {TimeSteps} is more than {MaxTimeSteps}; use a smaller -T");
        Check.Fraction(LabelSmoothing, "label smoothing");
    }
}

/// <summary>The optimiser and its hyper-parameters.</summary>
public sealed record OptimizerSettings : ISettingsSection
{
    [JsonPropertyName("optimizer")] public OptimizerKind Kind { get; init; } = OptimizerKind.Sgd;
    public double LearningRate { get; init; } = 0.1;
    /// <summary>SGD momentum (AdamW ignores it).</summary>
    public double Momentum { get; init; } = 0.9;
    public bool Nesterov { get; init; }
    /// <summary>Weight decay, applied only to conv and linear weights (not BN, not biases).</summary>
    public double WeightDecay { get; init; } = 5e-4;

    public void Validate()
    {
        Check.Require(double.IsFinite(LearningRate) && LearningRate > 0, $"learning rate must be a positive finite number, got {LearningRate}");
        Check.Fraction(Momentum, "momentum");
        Check.Require(double.IsFinite(WeightDecay) && WeightDecay >= 0, $"weight decay must be a non-negative finite number, got {WeightDecay}");
    }
}

/// <summary>Epochs, the learning-rate schedule and the smoke-run batch limits.</summary>
public sealed record ScheduleSettings : ISettingsSection
{
    public int Epochs { get; init; } = 3;
    /// <summary>cosine (to 0 over the epochs, as published) or constant.</summary>
    [JsonPropertyName("schedule")] public ScheduleKind Kind { get; init; } = ScheduleKind.Cosine;
    /// <summary>Epochs of linear warm-up before the schedule: epoch e &lt; W runs at lr·(e+1)/(W+1).</summary>
    public int WarmupEpochs { get; init; }
    /// <summary>Stop each training epoch after this many batches (0 = all): for smoke runs.</summary>
    public int LimitTrainBatches { get; init; }
    /// <summary>Evaluate on at most this many test batches (0 = all).</summary>
    public int LimitTestBatches { get; init; }

    public void Validate()
    {
        Check.Require(Epochs >= 1, "epochs must be at least 1");
        Check.Require(WarmupEpochs >= 0 && WarmupEpochs < Epochs, "warm-up epochs must be in [0, epochs)");
        Check.Require(LimitTrainBatches >= 0 && LimitTestBatches >= 0, "batch limits must be non-negative");
    }
}

/// <summary>The dataset, its batches and the training augmentation of image datasets.</summary>
public sealed record DataSettings : ISettingsSection
{
    public string Dataset { get; init; } = "fashion-mnist";
    public string? DataRoot { get; init; }
    public int BatchSize { get; init; } = 128;
    /// <summary>Augmentation switches (training split only).</summary>
    public int CropPadding { get; init; }
    public bool HorizontalFlip { get; init; }
    public bool AutoAugment { get; init; }
    public int Cutout { get; init; }
    /// <summary>ImageNet crop side (224 as published); the test resize is ImageSize·256/224.</summary>
    public int ImageSize { get; init; } = 224;
    /// <summary>Threads preparing the samples of one batch.</summary>
    public int Workers { get; init; } = 1;

    public void Validate()
    {
        Check.Require(DatasetNames.All.Contains(Dataset.ToLowerInvariant()),
            $"unknown dataset '{Dataset}'; expected one of: {string.Join(", ", DatasetNames.All)}");
        Check.Require(BatchSize >= 1, "batch size must be at least 1");
        Check.Require(CropPadding >= 0 && Cutout >= 0, "crop padding and cutout must be non-negative");
        Check.Require(ImageSize >= 1, "the image size must be positive");
        Check.Require(Workers >= 1 && Workers <= Check.MaxThreads, $"workers must be in [1, {Check.MaxThreads}] (4 per core), got {Workers}");
    }
}

/// <summary>CIFAR10-DVS: how recordings become frames, the split, the cache and the training augmentation.</summary>
public sealed record EventSettings : ISettingsSection
{
    /// <summary>Frames per clip; 0 = T (the only other accepted value is T itself).</summary>
    public int DvsFrames { get; init; }
    /// <summary>Split the events of a recording into frames by number (as published) or time.</summary>
    public FrameSplit DvsFrameSplit { get; init; } = FrameSplit.Number;
    /// <summary>
    /// Frame resize: area (average the counts) or paper (the reference's ToPILImage + Resize: byte wrap, Pillow's
    /// premultiplied 'LA' antialiased bilinear filter, values in [0, 1]; docs/events-and-imagenet.md).
    /// </summary>
    public FrameResize DvsResize { get; init; } = FrameResize.Area;
    /// <summary>Frame side after resizing (48 as published).</summary>
    public int DvsSize { get; init; } = 48;
    /// <summary>Train/test split: index, random[:SEED] or tebn; no default (required for that dataset).</summary>
    public string? DvsSplit { get; init; }
    /// <summary>Folder of the frame cache; null = &lt;data-root&gt;/.snndsl-cache.</summary>
    public string? DvsCache { get; init; }
    /// <summary>Training augmentation: flip the clip, roll ±DvsRoll pixels (published: on, 5).</summary>
    public bool DvsFlip { get; init; } = true;
    public int DvsRoll { get; init; } = 5;

    public void Validate() =>
        Check.Require(DvsFrames >= 0 && DvsSize >= 1 && DvsRoll >= 0, "DVS frames and roll must be non-negative, the DVS size positive");

    /// <summary>Checks that need the dataset and T: the split is required and parses, frames equal T.</summary>
    public void ValidateFor(int timeSteps)
    {
        Check.Require(DvsSplit is not null,
            "cifar10-dvs needs an explicit train/test split: --dvs-split index (first 900 recordings of each class train, 100 test), " +
            "random[:SEED] (seeded 9:1 within each class) or tebn (first 100 of each class test, TEBN's); none is the default " +
            "because published CIFAR10-DVS results use different splits");
        try { Data.DvsSplit.Parse(DvsSplit!); }
        catch (DataException e) { throw new ConfigException(e.Message); }
        Check.Require(DvsFrames == 0 || DvsFrames == timeSteps,
            $"--dvs-frames {DvsFrames} does not match the run's T = {timeSteps}: frame t feeds step t, so a clip must have " +
            "exactly T frames (leave --dvs-frames out to use T)");
    }

    /// <summary>The frame settings for a run with T steps (frames = T unless set).</summary>
    public DvsSettings FrameSettings(int timeSteps) => new(DvsFrames == 0 ? timeSteps : DvsFrames, DvsFrameSplit, DvsSize, DvsResize);
}

/// <summary>Where and how the run executes: seed, initial weights, device, threads, multi-process BN, divergence.</summary>
public sealed record RuntimeSettings : ISettingsSection
{
    public long Seed { get; init; }
    /// <summary>Initial weights (ours, safetensors or a PyTorch .pt state dict) instead of the seeded initialisation.</summary>
    public string? Weights { get; init; }
    /// <summary>How the file's tensors map to the network's: name (default), order, reference, or a .names.tsv file.</summary>
    public string WeightsMap { get; init; } = "name";
    public string Device { get; init; } = "cpu";
    /// <summary>
    /// fp32 (default) or bf16: convolutions and linear layers in bfloat16 over float32 master weights; BN, neurons, the
    /// loss, the optimiser and checkpoints stay float32 (<see cref="Layers.Precision"/>).
    /// </summary>
    public Layers.Precision Precision { get; init; } = Layers.Precision.Float32;
    /// <summary>Intra-op threads of libtorch; 0 keeps libtorch's default.</summary>
    public int Threads { get; init; }
    /// <summary>Under mpirun: BatchNorm statistics of the global batch (SyncBN) instead of each rank's own batch.</summary>
    [JsonPropertyName("sync-bn")] public bool SyncBatchNorm { get; init; }
    /// <summary>A non-finite loss or gradient stops the run (default) or skips that step.</summary>
    public NonFiniteAction OnNonFinite { get; init; } = NonFiniteAction.Stop;

    public void Validate()
    {
        Check.Require(Threads >= 0 && Threads <= Check.MaxThreads, $"threads must be in [0, {Check.MaxThreads}] (4 per core; 0 = libtorch's choice), got {Threads}");
        Check.Require(!string.IsNullOrWhiteSpace(Device), "the device must be cpu, cuda or cuda:<index>");
        Check.Require(WeightMap.IsValid(WeightsMap), $"unknown weights mapping '{WeightsMap}'; expected {WeightMap.Choices}");
    }
}

/// <summary>The checks the sections share.</summary>
public static class Check
{
    /// <summary>Threads and workers beyond 4 per core only wait for each other.</summary>
    public static int MaxThreads => 4 * Environment.ProcessorCount;

    public static void Require(bool condition, string message)
    {
        if (!condition) throw new ConfigException(message);
    }

    /// <summary>A finite number in [0, 1).</summary>
    public static void Fraction(double value, string what) =>
        Require(double.IsFinite(value) && value >= 0 && value < 1, $"{what} must be in [0, 1), got {value}");
}
