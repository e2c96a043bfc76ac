// Every setting of a training run, with the published defaults; serialised as the run's config.json.
using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.Json.Serialization;
using SnnDsl.Core.Estimators;

namespace SnnDsl.Core.Training;

/// <summary>
/// The resolved settings of a run (defaults &lt; --config file &lt; flags, resolved by the runner). Written to the
/// run directory before the first step; a resumed run reads it back.
/// </summary>
public sealed record TrainingConfig
{
    public string Network { get; init; } = "examples/networks/fashion_cnn.snn";
    public Dictionary<string, string> NetworkParameters { get; init; } = new();
    public string Dataset { get; init; } = "fashion-mnist";
    public string? DataRoot { get; init; }
    public string Estimator { get; init; } = "rate-m";
    public int TimeSteps { get; init; } = 4;
    public int Epochs { get; init; } = 3;
    public int BatchSize { get; init; } = 128;
    public double LearningRate { get; init; } = 0.1;
    public double Momentum { get; init; } = 0.9;
    public bool Nesterov { get; init; }
    /// <summary>Weight decay, applied only to conv and linear weights (not BN, not biases).</summary>
    public double WeightDecay { get; init; } = 5e-4;
    /// <summary>"cosine" (to 0 over the epochs, as published) or "constant".</summary>
    public string Schedule { get; init; } = "cosine";
    /// <summary>Epochs of linear warm-up before the schedule: epoch e     /// <summary>Epochs of linear warm-up from lr/WarmupEpochs·1 before the schedule.</summary>lt; W runs at lr·(e+1)/(W+1).</summary>
    public int WarmupEpochs { get; init; }
    public double LabelSmoothing { get; init; }
    /// <summary>Rate-BP gradient factor: "1/T" (the reference's, default) or "none".</summary>
    public string RateGradientScale { get; init; } = "1/T";
    /// <summary>SLTT-K: time steps back-propagated per iteration (seeded draw); 0 = ⌊T/2⌋, at least 1.</summary>
    [JsonPropertyName("sltt-k")]
    public int SlttK { get; init; }
    /// <summary>Augmentation switches (training split only).</summary>
    public int CropPadding { get; init; }
    public bool HorizontalFlip { get; init; }
    public bool AutoAugment { get; init; }
    public int Cutout { get; init; }
    public long Seed { get; init; }
    /// <summary>Initial weights (ours, safetensors or a PyTorch .pt state dict) instead of the seeded initialisation.</summary>
    public string? Weights { get; init; }
    /// <summary>How the file's tensors map to the network's: "name" (default) or "order" (with shape checks).</summary>
    public string WeightsMap { get; init; } = "name";
    public string Device { get; init; } = "cpu";
    /// <summary>Intra-op threads of libtorch; 0 keeps libtorch's default.</summary>
    public int Threads { get; init; }
    /// <summary>Threads preparing the samples of one batch.</summary>
    public int Workers { get; init; } = 1;
    /// <summary>CIFAR10-DVS frames per clip; 0 = T (the only other accepted value is T itself).</summary>
    public int DvsFrames { get; init; }
    /// <summary>CIFAR10-DVS: split the events of a recording into frames by "number" (as published) or "time".</summary>
    public string DvsFrameSplit { get; init; } = "number";
    /// <summary>
    /// CIFAR10-DVS frame resize: "area" (average the counts) or "paper" (the reference's ToPILImage + Resize: byte wrap,
    /// Pillow's premultiplied 'LA' antialiased bilinear filter, values in [0, 1]; docs/events-and-imagenet.md).
    /// </summary>
    public string DvsResize { get; init; } = "area";
    /// <summary>CIFAR10-DVS frame side after resizing (48 as published).</summary>
    public int DvsSize { get; init; } = 48;
    /// <summary>CIFAR10-DVS train/test split: index, random[:SEED] or tebn; no default (required for that dataset).</summary>
    public string? DvsSplit { get; init; }
    /// <summary>Folder of the CIFAR10-DVS frame cache; null = &lt;data-root&gt;/.snndsl-cache.</summary>
    public string? DvsCache { get; init; }
    /// <summary>CIFAR10-DVS training augmentation: flip the clip, roll ±DvsRoll pixels (published: on, 5).</summary>
    public bool DvsFlip { get; init; } = true;
    public int DvsRoll { get; init; } = 5;
    /// <summary>ImageNet crop side (224 as published); the test resize is ImageSize·256/224.</summary>
    public int ImageSize { get; init; } = 224;
    /// <summary>Stop each training epoch after this many batches (0 = all): for smoke runs.</summary>
    public int LimitTrainBatches { get; init; }
    /// <summary>Evaluate on at most this many test batches (0 = all).</summary>
    public int LimitTestBatches { get; init; }
    /// <summary>Under mpirun: BatchNorm statistics of the global batch (SyncBN) instead of each rank's own batch.</summary>
    [JsonPropertyName("sync-bn")]
    public bool SyncBatchNorm { get; init; }

    public EstimatorKind EstimatorKind => ParseEstimator(Estimator);

    public static EstimatorKind ParseEstimator(string name) => name.ToLowerInvariant() switch
    {
        "bptt-m" => EstimatorKind.BpttM,
        "bptt-s" => EstimatorKind.BpttS,
        "rate-m" => EstimatorKind.RateM,
        "rate-s" => EstimatorKind.RateS,
        "ottt" => EstimatorKind.Ottt,
        "sltt" => EstimatorKind.Sltt,
        "sltt-k" => EstimatorKind.SlttK,
        _ => throw new ConfigException($"unknown estimator '{name}'; expected bptt-m, bptt-s, rate-m, rate-s, ottt, sltt or sltt-k"),
    };

    public static string NameOf(EstimatorKind kind) => kind switch
    {
        EstimatorKind.BpttM => "bptt-m",
        EstimatorKind.BpttS => "bptt-s",
        EstimatorKind.RateM => "rate-m",
        EstimatorKind.RateS => "rate-s",
        EstimatorKind.Ottt => "ottt",
        EstimatorKind.Sltt => "sltt",
        EstimatorKind.SlttK => "sltt-k",
        _ => throw new ArgumentOutOfRangeException(nameof(kind)),
    };

    public RateScaling Scaling => RateGradientScale switch
    {
        "1/T" or "1/t" or "inverse-t" => RateScaling.InverseT,
        "none" or "1" => RateScaling.None,
        _ => throw new ConfigException($"unknown rate gradient scale '{RateGradientScale}'; expected 1/T or none"),
    };

    /// <summary>Refuses settings that cannot run, with a message naming the setting.</summary>
    public TrainingConfig Validated()
    {
        _ = EstimatorKind;
        _ = Scaling;
        Require(TimeSteps >= 1, "time steps must be at least 1");
        Require(SlttK >= 0 && SlttK <= TimeSteps, $"--sltt-k {SlttK} must be between 1 and T = {TimeSteps} (0 = T/2)");
        Require(Epochs >= 1, "epochs must be at least 1");
        Require(BatchSize >= 1, "batch size must be at least 1");
        Require(LearningRate > 0, "learning rate must be positive");
        Require(Momentum >= 0 && Momentum < 1, "momentum must be in [0, 1)");
        Require(WeightDecay >= 0, "weight decay must be non-negative");
        Require(Schedule is "cosine" or "constant", $"unknown schedule '{Schedule}'; expected cosine or constant");
        Require(WarmupEpochs >= 0 && WarmupEpochs < Epochs, "warm-up epochs must be in [0, epochs)");
        Require(LabelSmoothing >= 0 && LabelSmoothing < 1, "label smoothing must be in [0, 1)");
        Require(CropPadding >= 0 && Cutout >= 0, "crop padding and cutout must be non-negative");
        Require(Threads >= 0 && Workers >= 1, "threads must be >= 0 and workers >= 1");
        Require(Model.WeightMap.IsValid(WeightsMap), $"unknown weights mapping '{WeightsMap}'; expected {Model.WeightMap.Choices}");
        Require(LimitTrainBatches >= 0 && LimitTestBatches >= 0, "batch limits must be non-negative");
        Require(DvsFrames >= 0 && DvsSize >= 1 && DvsRoll >= 0 && ImageSize >= 1, "DVS frames and roll must be non-negative, DVS and image sizes positive");
        Require(TrainingData.DatasetNames.Contains(Dataset.ToLowerInvariant()),
            $"unknown dataset '{Dataset}'; expected one of: {string.Join(", ", TrainingData.DatasetNames)}");
        Require(DvsFrameSplit is "number" or "time", $"unknown DVS frame split '{DvsFrameSplit}'; expected number or time");
        Require(DvsResize is "area" or "paper", $"unknown DVS resize '{DvsResize}'; expected area or paper");
        if (Dataset.Equals(TrainingData.Cifar10Dvs, StringComparison.OrdinalIgnoreCase)) ValidateDvs();
        return this;
    }

    void ValidateDvs()
    {
        Require(DvsSplit is not null,
            "cifar10-dvs needs an explicit train/test split: --dvs-split index (first 900 recordings of each class train, 100 test), " +
            "random[:SEED] (seeded 9:1 within each class) or tebn (first 100 of each class test, TEBN's); none is the default " +
            "because published CIFAR10-DVS results use different splits");
        try { Data.DvsSplit.Parse(DvsSplit!); }
        catch (Data.DataException e) { throw new ConfigException(e.Message); }
        Require(DvsFrames == 0 || DvsFrames == TimeSteps,
            $"--dvs-frames {DvsFrames} does not match the run's T = {TimeSteps}: frame t feeds step t, so a clip must have " +
            "exactly T frames (leave --dvs-frames out to use T)");
    }

    /// <summary>The CIFAR10-DVS frame settings of this run (frames = T unless set).</summary>
    public Data.DvsSettings DvsFrameSettings() => new(DvsFrames == 0 ? TimeSteps : DvsFrames,
        DvsFrameSplit == "time" ? Data.FrameSplit.Time : Data.FrameSplit.Number, DvsSize,
        DvsResize == "paper" ? Data.FrameResize.Paper : Data.FrameResize.Area);

    static void Require(bool condition, string message)
    {
        if (!condition) throw new ConfigException(message);
    }

    static readonly JsonSerializerOptions Json = new()
    {
        WriteIndented = true,
        PropertyNamingPolicy = JsonNamingPolicy.KebabCaseLower,
        DefaultIgnoreCondition = JsonIgnoreCondition.Never,
        UnmappedMemberHandling = JsonUnmappedMemberHandling.Disallow,
    };

    public string ToJson() => JsonSerializer.Serialize(this, Json);

    /// <summary>
    /// A copy with settings replaced by config.json key ("time-steps", "network-parameters.classes", ...). The one way
    /// flags and files change a config, so every key means the same everywhere.
    /// </summary>
    public TrainingConfig With(IEnumerable<(string Key, JsonNode? Value)> values, string source)
    {
        var node = JsonNode.Parse(ToJson())!.AsObject();
        foreach (var (key, value) in values)
        {
            var dot = key.IndexOf('.');
            if (dot < 0) node[key] = value?.DeepClone();
            else node[key[..dot]]!.AsObject()[key[(dot + 1)..]] = value?.DeepClone();
        }
        return FromJson(node.ToJsonString(), source);
    }

    /// <summary>Reads a config; unknown keys and wrong types are errors that name the key.</summary>
    public static TrainingConfig FromJson(string json, string source)
    {
        try { return JsonSerializer.Deserialize<TrainingConfig>(json, Json) ?? throw new ConfigException($"{source}: empty config"); }
        catch (JsonException e) { throw new ConfigException($"{source}: {e.Message}"); }
    }
}

/// <summary>A setting that cannot be used; the message names it.</summary>
public sealed class ConfigException(string message) : Exception(message);
