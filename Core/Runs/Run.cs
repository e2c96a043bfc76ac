// What train, resume and eval share, set up once: the validated config, the network built on its device, and the data.
using SnnDsl.Core.Data.Sources;
using SnnDsl.Core.Distributed;
using SnnDsl.Core.Model;
using SnnDsl.Core.Settings;
using SnnDsl.Dsl.Model;
using static TorchSharp.torch;

namespace SnnDsl.Core.Runs;

/// <summary>
/// A run ready to train or evaluate. <see cref="Open"/> is the one place that validates the config, applies its threads
/// and seed, builds the network from its spec and opens its data (refusing data that does not fit the network), for a
/// new run, a resumed one (from its <see cref="RecordedRun"/>) and <c>snn eval</c> alike.
/// </summary>
public sealed class Run
{
    Run(TrainingConfig config, NetworkSpec spec, Device device, SpikingNetwork network, TrainingData data)
    {
        (Config, Spec, Device, Network, Data) = (config, spec, device, network, data);
    }

    public TrainingConfig Config { get; }
    public NetworkSpec Spec { get; }
    public Device Device { get; }
    public SpikingNetwork Network { get; }
    public TrainingData Data { get; }

    /// <summary>Validates the config, seeds torch, builds the network on <paramref name="device"/> and opens the data.</summary>
    /// <param name="refuse">A check of the validated config that must come before anything is built or opened (training's activation-memory estimate).</param>
    public static Run Open(TrainingConfig config, NetworkSpec spec, Device device, ICollective collective, Action<TrainingConfig>? refuse = null)
    {
        config = config.Validated();
        refuse?.Invoke(config);
        var runtime = config.Runtime;
        if (runtime.Threads > 0) set_num_threads(runtime.Threads);
        manual_seed(runtime.Seed);
        var network = NetworkBuilder.Build(spec, runtime.Seed, device);
        var data = TrainingData.Open(config, spec, device, collective);
        return new Run(config, spec, device, network, data);
    }

    /// <summary>Loads weights into the network; a file that does not fit is a user error naming the file and the tensor.</summary>
    /// <param name="mapping">name | order | reference | a .names.tsv file (<see cref="WeightMap.Parse"/>).</param>
    public void LoadWeights(string path, string mapping)
    {
        try { WeightIO.Load(Network, path, WeightMap.Parse(mapping, Config.Network)); }
        catch (WeightsException e) { throw new WeightsException($"weights {path}: {e.Message}"); }
    }
}
