// A checkpoint folder: model state, optimiser state, progress and RNG state, each file flushed to disk, state.json last.
using System.Text.Json;
using SnnDsl.Core.Model;
using TorchSharp;
using TorchSharp.Modules;
using TorchSharp.PyBridge;
using SnnDsl.Core.Settings;

namespace SnnDsl.Core.Runs;

/// <summary>Progress recorded next to the weights: enough to continue a run exactly where it stopped.</summary>
public sealed record CheckpointState(int EpochsDone, double BestTop1, int BestEpoch, long GlobalStep, int SkippedSteps = 0);

/// <summary>
/// A checkpoint is a folder: <c>model.safetensors</c> (the network's state_dict: parameters and BN buffers, under our
/// parameter names), <c>optimizer.bin</c> (momentum or Adam moments), <c>rng.safetensors</c> (torch's global
/// generator, which dropout draws from) and <c>state.json</c>. Every file is flushed to disk and state.json is written
/// last, so a folder with a readable state.json is complete; <see cref="CheckpointStore"/> makes one current by an
/// atomic rename.
/// </summary>
public static class Checkpoint
{
    public const string ModelFile = "model.safetensors";
    public const string StateFile = "state.json";
    const string OptimizerFile = "optimizer.bin", RngFile = "rng.safetensors";

    /// <summary>Writes a new checkpoint folder (which must not exist yet), durably.</summary>
    public static void Write(string folder, SpikingNetwork network, OptimizerHelper optimizer, CheckpointState state)
    {
        Directory.CreateDirectory(folder);
        network.save_safetensors(Path.Combine(folder, ModelFile));
        optimizer.save_state_dict(Path.Combine(folder, OptimizerFile));
        Safetensors.SaveStateDict(Path.Combine(folder, RngFile), new Dictionary<string, torch.Tensor> { ["cpu"] = torch.get_rng_state() });
        foreach (var file in new[] { ModelFile, OptimizerFile, RngFile }) DurableFiles.SyncFile(Path.Combine(folder, file));
        DurableFiles.ReplaceText(Path.Combine(folder, StateFile), JsonSerializer.Serialize(state));
    }

    /// <summary>The progress a checkpoint folder records, or null when it is incomplete or unreadable.</summary>
    public static CheckpointState? TryReadState(string folder)
    {
        try { return JsonSerializer.Deserialize<CheckpointState>(File.ReadAllText(Path.Combine(folder, StateFile))); } // "null" reads as null
        catch (Exception e) when (e is IOException or JsonException or UnauthorizedAccessException) { return null; }
    }

    /// <summary>Restores weights, optimiser and RNG from <paramref name="folder"/>; returns the recorded progress.</summary>
    public static CheckpointState Load(string folder, SpikingNetwork network, OptimizerHelper optimizer)
    {
        var state = TryReadState(folder)
            ?? throw new RunException($"{folder} is not a complete checkpoint (its state.json is missing or damaged); cannot resume from it");
        Damaged(folder, ModelFile, () => network.load_safetensors(Path.Combine(folder, ModelFile)));
        Damaged(folder, OptimizerFile, () => optimizer.load_state_dict(Path.Combine(folder, OptimizerFile)));
        Damaged(folder, RngFile, () => torch.set_rng_state(Safetensors.LoadStateDict(Path.Combine(folder, RngFile))["cpu"]));
        return state;
    }

    /// <summary>Runs a load; any failure is a user error naming the damaged file and what to do.</summary>
    static void Damaged(string folder, string file, Action load)
    {
        try { load(); }
        catch (Exception e) when (e is not OutOfMemoryException)
        {
            throw new RunException($"checkpoint file {Path.Combine(folder, file)} is damaged or truncated ({e.Message.Split('\n')[0]}); " +
                "restore it from a backup, or start the run again without --resume");
        }
    }
}
