// The enums of the training settings that are not estimators, and their one table of names each.
using SnnDsl.Core.Data;
using SnnDsl.Core.Estimators;

namespace SnnDsl.Core.Settings;

/// <summary>Learning-rate schedule after the warm-up.</summary>
public enum ScheduleKind { Cosine, Constant }

/// <summary>The optimiser: SGD with momentum (as published) or AdamW (decoupled weight decay).</summary>
public enum OptimizerKind { Sgd, AdamW }

/// <summary>What a non-finite loss or gradient does: stop the run (default) or skip that step, counted.</summary>
public enum NonFiniteAction { Stop, Skip }

/// <summary>The spellings of every settings enum; config.json and the flags read these and no others.</summary>
public static class SettingNames
{
    public static readonly NameTable<ScheduleKind> Schedule = new("schedule", ("cosine", ScheduleKind.Cosine), ("constant", ScheduleKind.Constant));

    public static readonly NameTable<OptimizerKind> Optimizer = new("optimizer", ("sgd", OptimizerKind.Sgd), ("adamw", OptimizerKind.AdamW));

    public static readonly NameTable<NonFiniteAction> NonFinite = new("non-finite action", ("stop", NonFiniteAction.Stop), ("skip", NonFiniteAction.Skip));

    public static readonly NameTable<SlttKWeight> SlttKWeight = new("SLTT-K step weight",
        ("1/K", Estimators.SlttKWeight.InverseK), ("1/T", Estimators.SlttKWeight.InverseT));

    public static readonly NameTable<RateScaling> RateScale = new("rate gradient scale",
        ("1/T", RateScaling.InverseT), ("none", RateScaling.None), ("inverse-t", RateScaling.InverseT), ("1", RateScaling.None));

    /// <summary>float32 everywhere, or bf16 convolutions and linear layers (aliases: float32, bfloat16).</summary>
    public static readonly NameTable<Layers.Precision> Precision = new("precision",
        ("fp32", Layers.Precision.Float32), ("bf16", Layers.Precision.BFloat16), ("float32", Layers.Precision.Float32), ("bfloat16", Layers.Precision.BFloat16));

    public static readonly NameTable<Data.FrameResize> DvsResize = new("DVS resize", ("area", Data.FrameResize.Area), ("paper", Data.FrameResize.Paper));

    public static readonly NameTable<Data.FrameSplit> DvsFrameSplit = new("DVS frame split", ("number", Data.FrameSplit.Number), ("time", Data.FrameSplit.Time));

    /// <summary>The JSON converters of every table, estimators included.</summary>
    public static IEnumerable<System.Text.Json.Serialization.JsonConverter> Converters =>
        [EstimatorNames.Table.Converter, Schedule.Converter, Optimizer.Converter, NonFinite.Converter, RateScale.Converter, SlttKWeight.Converter,
         Precision.Converter, DvsResize.Converter, DvsFrameSplit.Converter];
}
