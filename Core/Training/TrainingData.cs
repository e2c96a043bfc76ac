// Opens the training and test splits a config names, with the published augmentation, as batch loaders.
using SnnDsl.Core.Data;
using SnnDsl.Core.Model;
using SnnDsl.Dsl.Model;
using static TorchSharp.torch;

namespace SnnDsl.Core.Training;

/// <summary>The two loaders of a run and how their batches feed the network.</summary>
public sealed record TrainingData(BatchLoader Train, BatchLoader Test, bool SequenceInput, int Classes)
{
    /// <summary>Opens the splits; refuses a dataset whose samples or classes do not fit the network.</summary>
    public static TrainingData Open(TrainingConfig config, NetworkSpec network, Device device, ICollective collective)
    {
        var normalisation = Datasets.NormalisationOf(config.Dataset);
        var augment = new AugmentOptions(config.CropPadding, config.HorizontalFlip, config.AutoAugment, config.Cutout, normalisation);
        var train = new ImageSource(Datasets.Open(config.Dataset, config.DataRoot, Split.Train), augment);
        var test = new ImageSource(Datasets.Open(config.Dataset, config.DataRoot, Split.Test), AugmentOptions.Test(normalisation));
        CheckFits(config.Dataset, train, network);
        int seed = unchecked((int)config.Seed);
        var trainOptions = new LoaderOptions(config.BatchSize, Shuffle: true, DropLast: false, seed, collective.Rank, collective.WorldSize, Workers: config.Workers);
        var testOptions = new LoaderOptions(config.BatchSize, Shuffle: false, DropLast: false, seed, collective.Rank, collective.WorldSize, Workers: config.Workers);
        return new TrainingData(new BatchLoader(train, trainOptions, device), new BatchLoader(test, testOptions, device), false, train.ClassCount);
    }

    static void CheckFits(string dataset, ISampleSource source, NetworkSpec network)
    {
        var sample = Shape.Of(source.SampleShape);
        if (!sample.Equals(network.Input))
            throw new ConfigException($"network '{network.Name}' expects input {network.Input} but {dataset} samples are {sample}; set the network's input (e.g. --set) or choose another dataset");
        long outputs = ShapeInference.OutputShape(network).Elements;
        if (outputs != source.ClassCount)
            throw new ConfigException($"network '{network.Name}' has {outputs} outputs but {dataset} has {source.ClassCount} classes; set the network's class count (e.g. --set classes={source.ClassCount})");
    }

    /// <summary>A batch as network input: static images [B, ...], or event clips [B, T, ...] made time-major.</summary>
    public static SpikeInput ToSpikeInput(Tensor inputs, bool sequence) =>
        sequence ? SpikeInput.Sequence(inputs.transpose(0, 1)) : SpikeInput.Static(inputs);
}
