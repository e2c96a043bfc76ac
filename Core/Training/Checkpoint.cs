// Checkpoints: model state, optimiser state, progress and RNG state in one folder, written atomically.
using System.Text.Json;
using SnnDsl.Core.Model;
using TorchSharp;
using TorchSharp.Modules;
using TorchSharp.PyBridge;

namespace SnnDsl.Core.Training;

/// <summary>Progress recorded next to the weights: enough to continue a run exactly where it stopped.</summary>
public sealed record CheckpointState(int EpochsDone, double BestTop1, int BestEpoch, long GlobalStep);

/// <summary>
/// A checkpoint is a folder: <c>model.safetensors</c> (the network's state_dict: parameters and BN buffers, under our
/// parameter names), <c>optimizer.bin</c> (SGD momentum buffers), <c>rng.safetensors</c> (torch's global generator,
/// which dropout draws from) and <c>state.json</c>. It is written to a temporary folder and renamed into place, so a
/// crash never leaves a half-written checkpoint.
/// </summary>
public static class Checkpoint
{
    public const string ModelFile = "model.safetensors";

    public static void Save(string folder, SpikingNetwork network, SGD optimizer, CheckpointState state)
    {
        var temp = folder + ".tmp";
        if (Directory.Exists(temp)) Directory.Delete(temp, recursive: true);
        Directory.CreateDirectory(temp);
        network.save_safetensors(Path.Combine(temp, ModelFile));
        optimizer.save_state_dict(Path.Combine(temp, "optimizer.bin"));
        Safetensors.SaveStateDict(Path.Combine(temp, "rng.safetensors"), new Dictionary<string, torch.Tensor> { ["cpu"] = torch.get_rng_state() });
        File.WriteAllText(Path.Combine(temp, "state.json"), JsonSerializer.Serialize(state));
        var old = folder + ".old";
        if (Directory.Exists(old)) Directory.Delete(old, recursive: true);
        if (Directory.Exists(folder)) Directory.Move(folder, old);
        Directory.Move(temp, folder);
        if (Directory.Exists(old)) Directory.Delete(old, recursive: true);
    }

    /// <summary>Restores weights, optimiser and RNG from <paramref name="folder"/>; returns the recorded progress.</summary>
    public static CheckpointState Load(string folder, SpikingNetwork network, SGD optimizer)
    {
        if (!File.Exists(Path.Combine(folder, "state.json")))
            throw new ConfigException($"{folder} is not a checkpoint (no state.json); cannot resume");
        network.load_safetensors(Path.Combine(folder, ModelFile));
        optimizer.load_state_dict(Path.Combine(folder, "optimizer.bin"));
        var rng = Safetensors.LoadStateDict(Path.Combine(folder, "rng.safetensors"));
        torch.set_rng_state(rng["cpu"]);
        return JsonSerializer.Deserialize<CheckpointState>(File.ReadAllText(Path.Combine(folder, "state.json")))
            ?? throw new ConfigException($"{folder}/state.json is empty");
    }
}
