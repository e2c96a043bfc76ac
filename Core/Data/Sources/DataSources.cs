// The sample sources of each dataset a run can name, with the published preprocessing and a report for the run log.
using SnnDsl.Core.Settings;


namespace SnnDsl.Core.Data.Sources;

/// <summary>The two sources of a run, whether their samples are clips [T, ...] fed frame by frame, and the data report.</summary>
public sealed record OpenedData(ISampleSource Train, ISampleSource Test, bool Sequence, DataReport Report);

/// <summary>Opens the training and test sources of the dataset a config names.</summary>
public static class DataSources
{
    /// <summary>Opens the dataset of <paramref name="config"/>; user mistakes raise <see cref="DataException"/> or <see cref="ConfigException"/>.</summary>
    public static OpenedData Open(TrainingConfig config) => config.Data.Dataset.ToLowerInvariant() switch
    {
        DatasetNames.Cifar10Dvs => OpenDvs(config),
        DatasetNames.ImageNet => OpenImageNet(config),
        _ => OpenImages(config),
    };

    static OpenedData OpenImages(TrainingConfig config)
    {
        if (!Datasets.Names.Contains(config.Data.Dataset.ToLowerInvariant()))
            throw new ConfigException($"unknown dataset '{config.Data.Dataset}'; expected one of: {string.Join(", ", DatasetNames.All)}");
        var normalisation = Datasets.NormalisationOf(config.Data.Dataset);
        var augment = new AugmentOptions(config.Data.CropPadding, config.Data.HorizontalFlip, config.Data.AutoAugment, config.Data.Cutout, normalisation);
        var train = new ImageSource(Datasets.Open(config.Data.Dataset, config.Data.DataRoot, Split.Train), augment);
        var test = new ImageSource(Datasets.Open(config.Data.Dataset, config.Data.DataRoot, Split.Test), AugmentOptions.Test(normalisation));
        var report = DataReport.Plain(config.Data.Dataset,
            $"data: {config.Data.Dataset}: train {train.Count} / test {test.Count} samples (the dataset's own split), {train.ClassCount} classes",
            train.Count, test.Count);
        return new OpenedData(train, test, false, report);
    }

    static OpenedData OpenDvs(TrainingConfig config)
    {
        var root = RequireRoot(config, "the folder of CIFAR10-DVS class folders (airplane/, automobile/, ...) of .aedat recordings");
        var settings = config.DvsFrameSettings();
        var split = DvsSplit.Parse(config.Events.DvsSplit ?? throw new ConfigException("cifar10-dvs needs --dvs-split"));
        var cacheRoot = WritableCache(config.Events.DvsCache ?? Path.Combine(root, ".snndsl-cache"));
        var train = DvsDataset.Open(root, cacheRoot, settings, split, Split.Train, config.Data.Workers);
        var test = DvsDataset.Open(root, cacheRoot, settings, split, Split.Test, config.Data.Workers);
        var augment = new DvsAugment(config.Events.DvsFlip, config.Events.DvsRoll);
        string[] description =
        [
            $"data: cifar10-dvs from {root}: {train.Classes.Count} classes, train {train.Recordings.Count} / test {test.Recordings.Count} recordings",
            $"data: split {split.Describe()}",
            $"data: {settings.Frames} frames split by {SettingNames.DvsFrameSplit.NameOf(config.Events.DvsFrameSplit)}, {settings.Size}x{settings.Size} ({SettingNames.DvsResize.NameOf(config.Events.DvsResize)} resize), cache {Path.Combine(cacheRoot, settings.CacheFolderName)}",
            $"data: training augmentation: {(augment.HorizontalFlip ? "clip flip" : "no flip")}, roll ±{augment.Roll} px",
        ];
        var report = new DataReport(DatasetNames.Cifar10Dvs, description, train.Recordings.Count, test.Recordings.Count,
            [.. train.Skipped, .. test.Skipped], () => []);
        return new OpenedData(new DvsSource(train, augment), new DvsSource(test, DvsAugment.None), true, report);
    }

    static OpenedData OpenImageNet(TrainingConfig config)
    {
        var root = RequireRoot(config, "the ImageFolder root holding train/<class>/*.JPEG and val/<class>/*.JPEG");
        var trainFolder = ImageFolder.Open(root, Split.Train, keepEmptyClasses: true);
        var testFolder = ImageFolder.Open(root, Split.Test, keepEmptyClasses: true);
        if (!trainFolder.Classes.SequenceEqual(testFolder.Classes))
            throw new DataException($"{trainFolder.Folder} and {testFolder.Folder} have different class folders " +
                $"({Difference(trainFolder.Classes, testFolder.Classes)}); labels are the class folders in order, so both splits need the same ones");
        var (size, resize) = (config.Data.ImageSize, (int)Math.Round(config.Data.ImageSize * 256.0 / 224.0));
        var train = new ImageFolderSource(trainFolder, new ImageNetTransform(true, size, resize, Normalisation.ImageNet));
        var test = new ImageFolderSource(testFolder, new ImageNetTransform(false, size, resize, Normalisation.ImageNet));
        string[] description =
        [
            $"data: imagenet from {root}: {trainFolder.Classes.Count} classes, train {train.Count} / val {test.Count} images",
            $"data: train random-resized-crop {size} + flip, test resize {resize} + centre crop {size}, ImageNet normalisation; " +
                $"{config.Data.Workers} decoding worker(s), the next batch decoded while the current one trains",
        ];
        var report = new DataReport(DatasetNames.ImageNet, description, train.Count, test.Count,
            [.. trainFolder.EmptyClasses, .. testFolder.EmptyClasses], () => [.. train.Failures, .. test.Failures]);
        return new OpenedData(train, test, false, report);
    }

    static string RequireRoot(TrainingConfig config, string what) =>
        config.Data.DataRoot ?? throw new ConfigException($"dataset '{config.Data.Dataset}' needs --data, {what}");

    static string Difference(IReadOnlyList<string> train, IReadOnlyList<string> val)
    {
        var onlyTrain = train.Except(val).Take(3).ToArray();
        var onlyVal = val.Except(train).Take(3).ToArray();
        return $"only in train: [{string.Join(", ", onlyTrain)}], only in val: [{string.Join(", ", onlyVal)}]";
    }

    /// <summary>Creates the cache folder and checks it can be written, so a read-only dataset folder is a clear message.</summary>
    static string WritableCache(string folder)
    {
        try
        {
            Directory.CreateDirectory(folder);
            var probe = Path.Combine(folder, $".probe-{Environment.ProcessId}");
            File.WriteAllText(probe, "");
            File.Delete(probe);
            return folder;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new DataException($"cannot write the CIFAR10-DVS frame cache in {folder} ({e.Message}); choose a writable folder with --dvs-cache", e);
        }
    }
}
