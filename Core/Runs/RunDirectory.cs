// The run directory: command, resolved config, network copy, metrics (JSON lines, CSV, TensorBoard), status, checkpoints, lock.
using TorchSharp;
using TorchSharp.Modules;
using SnnDsl.Core.Model;
using SnnDsl.Core.Settings;

namespace SnnDsl.Core.Runs;

/// <summary>A run directory or checkpoint that cannot be used (missing, damaged, locked, already there); the message says what to do.</summary>
public sealed class RunException(string message) : Errors.UserException(message);

/// <summary>
/// Owns the files of a run, holding an exclusive lock on it while open (train and resume). A new run refuses an
/// existing non-empty folder; a resumed run recovers from an interrupted save, and trains the network it recorded
/// (network.snn, whose hash must match). An epoch is recorded as its metrics rows first, then its checkpoint: a stop
/// in between redoes the epoch on resume and drops its rows. Only the writing process (rank 0) opens one.
/// </summary>
public sealed class RunDirectory : IDisposable
{
    public const string ConfigName = "config.json", NetworkName = "network.snn", HashName = "network.sha256";

    readonly FileStream _lock;
    readonly SummaryWriter _tensorBoard;

    RunDirectory(string path, FileStream heldLock)
    {
        Path = System.IO.Path.GetFullPath(path);
        _lock = heldLock;
        Checkpoints = new CheckpointStore(System.IO.Path.Combine(Path, "checkpoints"));
        Metrics = new MetricsFiles(Path);
        _tensorBoard = torch.utils.tensorboard.SummaryWriter(System.IO.Path.Combine(Path, "tensorboard"));
    }

    public string Path { get; }
    public CheckpointStore Checkpoints { get; }
    public MetricsFiles Metrics { get; }
    public string LastCheckpoint => Checkpoints.Last;
    public string BestCheckpoint => Checkpoints.Best;
    public string ConfigFile => System.IO.Path.Combine(Path, ConfigName);
    public string MetricsCsv => Metrics.Csv;

    /// <summary>A checkpoint folder of the run in <paramref name="dir"/> ("last" or "best"), for eval and export.</summary>
    public static string CheckpointFolder(string dir, string name) => System.IO.Path.Combine(dir, "checkpoints", name);

    /// <summary>
    /// Creates a new run directory, locks it, and writes the command, config and network before the first step. A run
    /// directory whose run never completed a checkpoint (killed in its first epoch) is started again: its own files are
    /// replaced, others left alone (<see cref="StartedAgain"/>).
    /// </summary>
    public static RunDirectory Create(string path, string commandLine, TrainingConfig config, string networkSource)
    {
        if (File.Exists(path)) throw new RunException($"--run-dir '{path}' is a file; choose a folder");
        bool again = Directory.Exists(path) && Directory.EnumerateFileSystemEntries(path).Any();
        if (again && !NeverCheckpointed(path))
            throw new RunException($"run directory '{path}' already exists; pass --resume to continue it, or choose another --run-dir");
        try { Directory.CreateDirectory(path); }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new RunException($"cannot create run directory '{path}': {e.Message}");
        }
        var locked = Lock(path);
        if (again) RemoveRunFiles(path);
        var run = new RunDirectory(path, locked) { StartedAgain = again };
        File.WriteAllText(System.IO.Path.Combine(path, "command.txt"), commandLine + Environment.NewLine);
        DurableFiles.ReplaceText(run.ConfigFile, config.ToJson());
        DurableFiles.ReplaceText(System.IO.Path.Combine(path, NetworkName), networkSource);
        DurableFiles.ReplaceText(System.IO.Path.Combine(path, HashName), RecordedRun.Hash(networkSource) + Environment.NewLine);
        run.SetStatus("created");
        return run;
    }

    /// <summary>True when this run replaced the files of a run that never completed a checkpoint.</summary>
    public bool StartedAgain { get; private init; }

    /// <summary>False when <see cref="Open"/> found no complete checkpoint: the run resumes from its start.</summary>
    public bool HasCheckpoint { get; private init; } = true;

    /// <summary>A run directory (it has a config.json) with no complete checkpoint: killed before its first epoch ended.</summary>
    static bool NeverCheckpointed(string path) =>
        File.Exists(System.IO.Path.Combine(path, ConfigName)) && !new CheckpointStore(System.IO.Path.Combine(path, "checkpoints")).HasComplete();

    /// <summary>The files a run writes, removed when it starts again (the lock is held; other files stay).</summary>
    static void RemoveRunFiles(string path)
    {
        foreach (var folder in new[] { "checkpoints", "tensorboard" })
            if (Directory.Exists(System.IO.Path.Combine(path, folder))) Directory.Delete(System.IO.Path.Combine(path, folder), recursive: true);
        foreach (var file in new[] { ConfigName, NetworkName, HashName, "command.txt", "status", "summary.json", "data.json", "metrics.jsonl", "metrics.csv" })
            File.Delete(System.IO.Path.Combine(path, file));
    }

    /// <summary>
    /// Opens an existing run to resume it: locks it, recovers its checkpoints from an interrupted save, and records the
    /// command. A run with no complete checkpoint resumes from its start (<see cref="HasCheckpoint"/> false). The run's config and network were read (and the network's hash checked) by <see cref="RecordedRun.Read"/>.
    /// </summary>
    public static RunDirectory Open(RecordedRun recorded, string commandLine)
    {
        var path = recorded.Path;
        var locked = Lock(path);
        try
        {
            bool recovered = new CheckpointStore(System.IO.Path.Combine(path, "checkpoints")).Recover() is not null;
            File.AppendAllText(System.IO.Path.Combine(path, "command.txt"), commandLine + Environment.NewLine);
            return new RunDirectory(path, locked) { HasCheckpoint = recovered };
        }
        catch
        {
            locked.Dispose();
            throw;
        }
    }

    /// <summary>The run's exclusive advisory lock (flock through FileShare.None), held until Dispose.</summary>
    static FileStream Lock(string path)
    {
        var file = System.IO.Path.Combine(path, "run.lock");
        try { return new FileStream(file, FileMode.OpenOrCreate, FileAccess.ReadWrite, FileShare.None); }
        catch (UnauthorizedAccessException e) { throw new RunException($"cannot lock run directory '{path}': {e.Message}"); }
        catch (IOException)
        {
            throw new RunException($"run directory '{path}' is in use by another snn process (it holds {file}); wait for it to end, or choose another --run-dir");
        }
    }

    public void SetStatus(string status) => DurableFiles.ReplaceText(System.IO.Path.Combine(Path, "status"), $"{status} {DateTime.UtcNow:O}{Environment.NewLine}");

    /// <summary>Records a finished epoch: its metrics rows (flushed), then its checkpoint as `best` (when it is) and `last`.</summary>
    public void RecordEpoch(EpochMetrics metrics, SpikingNetwork network, OptimizerHelper optimizer, CheckpointState state, bool best)
    {
        Metrics.Append(metrics);
        Checkpoints.AfterStep?.Invoke("metrics-appended");
        Checkpoints.Save(network, optimizer, state, best);
        AppendTensorBoard(metrics);
    }

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
    public void WriteSummary(TrainingSummary summary) => DurableFiles.ReplaceText(System.IO.Path.Combine(Path, "summary.json"), MetricsFiles.SummaryJson(summary));

    /// <summary>The epochs recorded so far (to continue the metrics of a resumed run).</summary>
    public IReadOnlyList<EpochMetrics> ReadMetrics() => Metrics.Read();

    /// <summary>Drops metric rows of epochs a resumed run will redo (a stop between the metrics and the checkpoint).</summary>
    public void KeepMetricsBefore(int epochsDone) => Metrics.KeepBefore(epochsDone);

    public void Dispose()
    {
        _lock.Dispose();
    }
}
