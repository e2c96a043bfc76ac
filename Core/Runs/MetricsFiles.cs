// A run's metrics: one row per epoch in metrics.jsonl and metrics.csv, flushed on append, rewritten atomically; summary.json.
using System.Globalization;
using System.Text.Json;
using System.Text.Json.Serialization;
using SnnDsl.Core.Settings;
using SnnDsl.Core.Metrics;

namespace SnnDsl.Core.Runs;

/// <summary>
/// One row of metrics per epoch; Operations: the synaptic operations per test sample of that epoch's evaluation;
/// SkippedSteps: steps dropped for a non-finite loss or gradient; PreciseBnSeconds: the part of EvalSeconds spent
/// recomputing BN's statistics before the evaluation (console only, not a metrics.csv column).
/// </summary>
public sealed record EpochMetrics(
    int Epoch, double LearningRate, double TrainLoss, double TrainTop1, double TestLoss, double TestTop1, double TestTop5,
    double TrainSeconds, double EvalSeconds, double SamplesPerSecond, IReadOnlyDictionary<string, double> FiringRates,
    SynapticOperations? Operations = null, int SkippedSteps = 0, double PreciseBnSeconds = 0);

/// <summary>The final numbers of a run.</summary>
public sealed record TrainingSummary(IReadOnlyList<EpochMetrics> Epochs, double BestTop1, int BestEpoch);

/// <summary>The metrics files of a run directory.</summary>
public sealed class MetricsFiles(string runPath)
{
    /// <summary>NaN and infinities are written as "NaN"/"Infinity" rather than failing the write.</summary>
    static readonly JsonSerializerOptions Json = new() { NumberHandling = JsonNumberHandling.AllowNamedFloatingPointLiterals };

    public string JsonLines { get; } = Path.Combine(runPath, "metrics.jsonl");
    public string Csv { get; } = Path.Combine(runPath, "metrics.csv");

    public void Append(EpochMetrics m)
    {
        var layers = Layers(m);
        if (!File.Exists(Csv)) DurableFiles.Append(Csv, Header(layers));
        DurableFiles.Append(JsonLines, JsonSerializer.Serialize(m, Json) + Environment.NewLine);
        DurableFiles.Append(Csv, Row(m, layers));
    }

    public IReadOnlyList<EpochMetrics> Read()
    {
        if (!File.Exists(JsonLines)) return [];
        try { return [.. File.ReadLines(JsonLines).Where(l => l.Length > 0).Select(l => JsonSerializer.Deserialize<EpochMetrics>(l, Json)!)]; }
        catch (JsonException e)
        {
            throw new RunException($"{JsonLines} is damaged ({e.Message}); delete its last line if a write was cut off, then resume again");
        }
    }

    /// <summary>Keeps only the rows of epochs before <paramref name="epochsDone"/>, replacing each file atomically.</summary>
    public void KeepBefore(int epochsDone)
    {
        var kept = Read().Where(m => m.Epoch < epochsDone).ToList();
        if (kept.Count == Read().Count) return;
        DurableFiles.ReplaceText(JsonLines, string.Concat(kept.Select(m => JsonSerializer.Serialize(m, Json) + Environment.NewLine)));
        var layers = kept.Count > 0 ? Layers(kept[0]) : [];
        DurableFiles.ReplaceText(Csv, kept.Count == 0 ? "" : Header(layers) + string.Concat(kept.Select(m => Row(m, layers))));
        if (kept.Count == 0) File.Delete(Csv);
    }

    static List<string> Layers(EpochMetrics m) => [.. m.FiringRates.Keys.OrderBy(k => k, StringComparer.Ordinal)];

    static string Header(List<string> layers) =>
        string.Join(",", ["epoch", "lr", "train_loss", "train_top1", "test_loss", "test_top1", "test_top5", "train_seconds", "eval_seconds",
            "samples_per_second", .. layers.Select(l => "rate:" + l), .. OperationColumns]) + Environment.NewLine;

    static readonly string[] OperationColumns = ["acs_per_sample", "macs_per_sample", "energy_uj_per_sample"];

    static double[] OperationValues(SynapticOperations? o) =>
        o is null ? [double.NaN, double.NaN, double.NaN] : [o.AccumulatesPerSample, o.MultiplyAccumulatesPerSample, o.EnergyMicrojoules];

    static string Row(EpochMetrics m, List<string> layers)
    {
        var values = new[] { m.LearningRate, m.TrainLoss, m.TrainTop1, m.TestLoss, m.TestTop1, m.TestTop5, m.TrainSeconds, m.EvalSeconds, m.SamplesPerSecond }
            .Concat(layers.Select(l => m.FiringRates.GetValueOrDefault(l, double.NaN)))
            .Concat(OperationValues(m.Operations))
            .Select(v => v.ToString("R", CultureInfo.InvariantCulture));
        return string.Join(",", [m.Epoch.ToString(CultureInfo.InvariantCulture), .. values]) + Environment.NewLine;
    }

    /// <summary>summary.json: the final and best accuracy, mean epoch time, throughput and peak memory of the run.</summary>
    public static string SummaryJson(TrainingSummary summary)
    {
        var last = summary.Epochs.Count > 0 ? summary.Epochs[^1] : null;
        var document = new
        {
            epochs = summary.Epochs.Count,
            final_test_top1 = last?.TestTop1,
            best_test_top1 = summary.BestTop1,
            best_epoch = summary.BestEpoch + 1,
            mean_train_seconds = summary.Epochs.Count > 0 ? summary.Epochs.Average(e => e.TrainSeconds) : 0,
            mean_eval_seconds = summary.Epochs.Count > 0 ? summary.Epochs.Average(e => e.EvalSeconds) : 0,
            mean_samples_per_second = summary.Epochs.Count > 0 ? summary.Epochs.Average(e => e.SamplesPerSecond) : 0,
            skipped_steps = summary.Epochs.Sum(e => e.SkippedSteps),
            acs_per_sample = last?.Operations?.AccumulatesPerSample,
            macs_per_sample = last?.Operations?.MultiplyAccumulatesPerSample,
            energy_uj_per_sample = last?.Operations?.EnergyMicrojoules,
            synaptic_operations = last?.Operations?.Layers.Select(l => new
            {
                layer = l.Path, kind = l.Kind, input_rate = l.InputRate, operations_per_sample = l.OperationsPerSample,
                energy_uj_per_sample = SynapticOperations.LayerEnergyMicrojoules(l),
            }),
            peak_resident_bytes = ResidentMemory.Peak(),
        };
        return JsonSerializer.Serialize(document, new JsonSerializerOptions(Json) { WriteIndented = true });
    }
}
