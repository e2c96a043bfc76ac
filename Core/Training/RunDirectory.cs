// The run directory: command, resolved config, network copy, metrics (JSON lines, CSV, TensorBoard), status, checkpoints.
using System.Globalization;
using System.Text.Json;
using TorchSharp;
using TorchSharp.Modules;

namespace SnnDsl.Core.Training;

/// <summary>One row of metrics per epoch; Operations: the synaptic operations per test sample of that epoch's evaluation.</summary>
public sealed record EpochMetrics(
    int Epoch, double LearningRate, double TrainLoss, double TrainTop1, double TestLoss, double TestTop1, double TestTop5,
    double TrainSeconds, double EvalSeconds, double SamplesPerSecond, IReadOnlyDictionary<string, double> FiringRates,
    Benchmarks.SynapticOperations? Operations = null);

/// <summary>
/// Owns the files of a run. A new run refuses an existing non-empty folder; a resumed run requires one with a
/// checkpoint. Only the writing process (rank 0) creates one.
/// </summary>
public sealed class RunDirectory
{
    readonly SummaryWriter _tensorBoard;

    RunDirectory(string path)
    {
        Path = System.IO.Path.GetFullPath(path);
        _tensorBoard = torch.utils.tensorboard.SummaryWriter(System.IO.Path.Combine(Path, "tensorboard"));
    }

    public string Path { get; }
    public string LastCheckpoint => System.IO.Path.Combine(Path, "checkpoints", "last");
    public string BestCheckpoint => System.IO.Path.Combine(Path, "checkpoints", "best");
    public string ConfigFile => System.IO.Path.Combine(Path, "config.json");
    public string MetricsJsonLines => System.IO.Path.Combine(Path, "metrics.jsonl");
    public string MetricsCsv => System.IO.Path.Combine(Path, "metrics.csv");

    /// <summary>Creates a new run directory and writes the command, config and network before the first step.</summary>
    public static RunDirectory Create(string path, string commandLine, TrainingConfig config, string networkSource)
    {
        if (Directory.Exists(path) && Directory.EnumerateFileSystemEntries(path).Any())
            throw new ConfigException($"run directory '{path}' already exists; pass --resume to continue it, or choose another --run-dir");
        Directory.CreateDirectory(path);
        var run = new RunDirectory(path);
        File.WriteAllText(System.IO.Path.Combine(path, "command.txt"), commandLine + Environment.NewLine);
        File.WriteAllText(run.ConfigFile, config.ToJson());
        File.WriteAllText(System.IO.Path.Combine(path, "network.snn"), networkSource);
        run.SetStatus("created");
        return run;
    }

    /// <summary>Opens an existing run to resume it; its config.json is the run's settings.</summary>
    public static RunDirectory Open(string path, string commandLine)
    {
        if (!Directory.Exists(System.IO.Path.Combine(path, "checkpoints", "last")))
            throw new ConfigException($"cannot resume '{path}': it has no checkpoints/last (was the run started, and did it finish an epoch?)");
        var run = new RunDirectory(path);
        File.AppendAllText(System.IO.Path.Combine(path, "command.txt"), commandLine + Environment.NewLine);
        return run;
    }

    public TrainingConfig ReadConfig() => TrainingConfig.FromJson(File.ReadAllText(ConfigFile), ConfigFile);

    public void SetStatus(string status) =>
        File.WriteAllText(System.IO.Path.Combine(Path, "status"), $"{status} {DateTime.UtcNow:O}{Environment.NewLine}");

    /// <summary>Appends one epoch to metrics.jsonl, metrics.csv and TensorBoard.</summary>
    public void Append(EpochMetrics m)
    {
        AppendFiles(m);
        AppendTensorBoard(m);
    }

    void AppendFiles(EpochMetrics m)
    {
        File.AppendAllText(MetricsJsonLines, JsonSerializer.Serialize(m) + Environment.NewLine);
        var layers = m.FiringRates.Keys.OrderBy(k => k, StringComparer.Ordinal).ToList();
        if (!File.Exists(MetricsCsv))
            File.WriteAllText(MetricsCsv, string.Join(",", ["epoch", "lr", "train_loss", "train_top1", "test_loss", "test_top1", "test_top5", "train_seconds", "eval_seconds", "samples_per_second", .. layers.Select(l => "rate:" + l), .. OperationColumns]) + Environment.NewLine);
        var values = new[] { m.LearningRate, m.TrainLoss, m.TrainTop1, m.TestLoss, m.TestTop1, m.TestTop5, m.TrainSeconds, m.EvalSeconds, m.SamplesPerSecond }
            .Concat(layers.Select(l => m.FiringRates[l]))
            .Concat(OperationValues(m.Operations))
            .Select(v => v.ToString("R", CultureInfo.InvariantCulture));
        File.AppendAllText(MetricsCsv, string.Join(",", [m.Epoch.ToString(CultureInfo.InvariantCulture), .. values]) + Environment.NewLine);
    }

    static readonly string[] OperationColumns = ["acs_per_sample", "macs_per_sample", "energy_uj_per_sample"];

    static double[] OperationValues(Benchmarks.SynapticOperations? o) =>
        o is null ? [double.NaN, double.NaN, double.NaN] : [o.AccumulatesPerSample, o.MultiplyAccumulatesPerSample, o.EnergyMicrojoules];

    void AppendTensorBoard(EpochMetrics m)
    {
        int step = m.Epoch;
        _tensorBoard.add_scalar("train/loss", (float)m.TrainLoss, step);
        _tensorBoard.add_scalar("train/top1", (float)m.TrainTop1, step);
        _tensorBoard.add_scalar("test/loss", (float)m.TestLoss, step);
        _tensorBoard.add_scalar("test/top1", (float)m.TestTop1, step);
        _tensorBoard.add_scalar("test/top5", (float)m.TestTop5, step);
        _tensorBoard.add_scalar("lr", (float)m.LearningRate, step);
        foreach (var layer in m.FiringRates.Keys) _tensorBoard.add_scalar("firing_rate/" + layer, (float)m.FiringRates[layer], step);
    }

    /// <summary>Writes summary.json: the final and best accuracy, mean epoch time, throughput and peak memory of the run.</summary>
    public void WriteSummary(TrainingSummary summary)
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
            peak_resident_bytes = Benchmarks.ResidentMemory.Peak(),
            acs_per_sample = last?.Operations?.AccumulatesPerSample,
            macs_per_sample = last?.Operations?.MultiplyAccumulatesPerSample,
            energy_uj_per_sample = last?.Operations?.EnergyMicrojoules,
            synaptic_operations = last?.Operations?.Layers.Select(l => new
            {
                layer = l.Path, kind = l.Kind, input_rate = l.InputRate, operations_per_sample = l.OperationsPerSample,
                energy_uj_per_sample = Benchmarks.SynapticOperations.LayerEnergyMicrojoules(l),
            }),
        };
        File.WriteAllText(System.IO.Path.Combine(Path, "summary.json"), JsonSerializer.Serialize(document, new JsonSerializerOptions { WriteIndented = true }));
    }

    /// <summary>The epochs recorded so far (to continue the metrics of a resumed run).</summary>
    public IReadOnlyList<EpochMetrics> ReadMetrics() => File.Exists(MetricsJsonLines)
        ? File.ReadLines(MetricsJsonLines).Where(l => l.Length > 0).Select(l => JsonSerializer.Deserialize<EpochMetrics>(l)!).ToList()
        : [];

    /// <summary>Drops metric rows of epochs a resumed run will redo (a stop between the checkpoint and the metrics).</summary>
    public void KeepMetricsBefore(int epochsDone)
    {
        var kept = ReadMetrics().Where(m => m.Epoch < epochsDone).ToList();
        foreach (var file in new[] { MetricsJsonLines, MetricsCsv }) if (File.Exists(file)) File.Delete(file);
        foreach (var m in kept) AppendFiles(m);
    }
}
