// Opens the training and test splits a config names, with the published augmentation, as batch loaders.
using SnnDsl.Core.Model;
using SnnDsl.Dsl.Model;
using static TorchSharp.torch;
using SnnDsl.Core.Settings;
using SnnDsl.Core.Distributed;

namespace SnnDsl.Core.Data.Sources;

/// <summary>The two loaders of a run and how their batches feed the network.</summary>
public sealed record TrainingData(BatchLoader Train, BatchLoader Test, bool SequenceInput, int Classes)
{

    /// <summary>Where the data came from, its split, and the samples skipped or failed (for the run log and data.json).</summary>
    public DataReport Report { get; init; } = DataReport.Plain("", "", 0, 0);

    /// <summary>Opens the splits; refuses a dataset whose samples or classes do not fit the network.</summary>
    public static TrainingData Open(TrainingConfig config, NetworkSpec network, Device device, ICollective collective)
    {
        var data = DataSources.Open(config);
        CheckFits(config, data, network);
        int seed = unchecked((int)config.Runtime.Seed);
        var trainOptions = new LoaderOptions(config.Data.BatchSize, Shuffle: true, DropLast: false, seed, collective.Rank, collective.WorldSize, Workers: config.Data.Workers);
        var testOptions = new LoaderOptions(config.Data.BatchSize, Shuffle: false, DropLast: false, seed, collective.Rank, collective.WorldSize, Workers: config.Data.Workers);
        return new TrainingData(new BatchLoader(data.Train, trainOptions, device), new BatchLoader(data.Test, testOptions, device),
            data.Sequence, data.Train.ClassCount) { Report = data.Report };
    }

    static void CheckFits(TrainingConfig config, OpenedData data, NetworkSpec network)
    {
        // a clip [T, C, H, W] feeds one [C, H, W] frame per step
        var sampleShape = data.Sequence ? data.Train.SampleShape[1..] : data.Train.SampleShape;
        var sample = Shape.Of(sampleShape);
        if (!sample.Equals(network.Input))
            throw new DataException($"network '{network.Name}' expects input {network.Input} but {config.Data.Dataset} samples are {sample}{(data.Sequence ? " per frame" : "")}; {SizeHint(config.Data.Dataset)}");
        long outputs = ShapeInference.OutputShape(network).Elements;
        if (outputs != data.Train.ClassCount)
            throw new DataException($"network '{network.Name}' has {outputs} outputs but {config.Data.Dataset} has {data.Train.ClassCount} classes; set the network's class count (e.g. --set classes={data.Train.ClassCount})");
    }

    static string SizeHint(string dataset) => dataset.ToLowerInvariant() switch
    {
        DatasetNames.Cifar10Dvs => "make --dvs-size match the network's input size (e.g. --set size=...)",
        DatasetNames.ImageNet => "make --image-size match the network's input size (e.g. --set size=...)",
        _ => "set the network's input (e.g. --set) or choose another dataset",
    };

    /// <summary>A batch as network input: static images [B, ...], or event clips [B, T, ...] made time-major.</summary>
    public static SpikeInput ToSpikeInput(Tensor inputs, bool sequence) =>
        sequence ? SpikeInput.Sequence(inputs.transpose(0, 1)) : SpikeInput.Static(inputs);
}
