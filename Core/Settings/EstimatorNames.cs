// The one table of estimator names (bptt-m, rate-m, ...): flags, config.json, bench and grad all read it.
using SnnDsl.Core.Estimators;

namespace SnnDsl.Core.Settings;

/// <summary>Command-line and config.json names of the estimators. A new estimator is one row here.</summary>
public static class EstimatorNames
{
    public static readonly NameTable<EstimatorKind> Table = new("estimator",
        ("bptt-m", EstimatorKind.BpttM), ("bptt-s", EstimatorKind.BpttS), ("rate-m", EstimatorKind.RateM), ("rate-s", EstimatorKind.RateS),
        ("ottt", EstimatorKind.Ottt), ("sltt", EstimatorKind.Sltt), ("sltt-k", EstimatorKind.SlttK));

    /// <summary>Every estimator with its name, in table order.</summary>
    public static IReadOnlyList<(string Name, EstimatorKind Kind)> All => Table.Rows;

    public static string Of(EstimatorKind kind) => Table.NameOf(kind);

    /// <summary>The kind for a name, or null when the name is unknown.</summary>
    public static EstimatorKind? Parse(string name) => Table.TryParse(name);
}
