// Opens a named dataset split from its folder, resolving file names and giving clear errors for wrong paths.
namespace SnnDsl.Core.Data;

/// <summary>Which part of a dataset to read.</summary>
public enum Split { Train, Test }

/// <summary>Per-channel normalisation constants: x' = (x/255 - mean[c]) / std[c].</summary>
public sealed record Normalisation(float[] Mean, float[] Std)
{
    /// <summary>CIFAR-10 constants (docs/rate-bp.md §7).</summary>
    public static readonly Normalisation Cifar10 = new([0.4914f, 0.4822f, 0.4465f], [0.2023f, 0.1994f, 0.2010f]);

    /// <summary>CIFAR-100 constants (docs/rate-bp.md §7).</summary>
    public static readonly Normalisation Cifar100 = new([0.5071f, 0.4867f, 0.4408f], [0.2675f, 0.2565f, 0.2761f]);

    /// <summary>Fashion-MNIST constants.</summary>
    public static readonly Normalisation FashionMnist = new([0.2860f], [0.3530f]);

    /// <summary>MNIST constants.</summary>
    public static readonly Normalisation Mnist = new([0.1307f], [0.3081f]);

    /// <summary>ImageNet constants.</summary>
    public static readonly Normalisation ImageNet = new([0.485f, 0.456f, 0.406f], [0.229f, 0.224f, 0.225f]);
}

/// <summary>Every dataset name a run accepts: the image datasets of <see cref="Datasets"/>, CIFAR10-DVS and ImageNet.</summary>
public static class DatasetNames
{
    public const string Cifar10Dvs = "cifar10-dvs";
    public const string ImageNet = "imagenet";

    public static readonly IReadOnlyList<string> All = [.. Datasets.Names, Cifar10Dvs, ImageNet];
}

/// <summary>Factory for the image datasets read from their real formats.</summary>
public static class Datasets
{
    /// <summary>Where the Debian package <c>dataset-fashion-mnist</c> installs its files.</summary>
    public const string FashionMnistDefaultRoot = "/usr/share/datasets/fashion-mnist";

    /// <summary>Names accepted by <see cref="Open"/>.</summary>
    public static readonly IReadOnlyList<string> Names = ["fashion-mnist", "mnist", "cifar10", "cifar100"];

    /// <summary>
    /// Reads split <paramref name="split"/> of dataset <paramref name="name"/> from <paramref name="root"/>
    /// (null: the default root, which only fashion-mnist has). Throws <see cref="DataException"/> for user mistakes.
    /// </summary>
    public static ImageDataset Open(string name, string? root, Split split) => name.ToLowerInvariant() switch
    {
        "fashion-mnist" => OpenIdx("fashion-mnist", root ?? FashionMnistDefaultRoot, split, FashionMnistHint(root)),
        "mnist" => OpenIdx("mnist", RequireRoot("mnist", root), split, ""),
        "cifar10" => OpenCifar10(RequireRoot("cifar10", root), split),
        "cifar100" => OpenCifar100(RequireRoot("cifar100", root), split),
        _ => throw new DataException($"unknown dataset '{name}'; expected one of: {string.Join(", ", Names)}"),
    };

    /// <summary>Normalisation constants for a dataset name.</summary>
    public static Normalisation NormalisationOf(string name) => name.ToLowerInvariant() switch
    {
        "fashion-mnist" => Normalisation.FashionMnist,
        "mnist" => Normalisation.Mnist,
        "cifar10" => Normalisation.Cifar10,
        "cifar100" => Normalisation.Cifar100,
        "imagenet" => Normalisation.ImageNet,
        _ => throw new DataException($"no normalisation constants for dataset '{name}'"),
    };

    /// <summary>
    /// The published per-sample pipeline for a dataset split (docs/rate-bp.md §7): CIFAR training gets crop, flip,
    /// AutoAugment, Cutout and normalisation; every other split is normalised only. Adjust switches with `with`.
    /// </summary>
    public static AugmentOptions PublishedAugment(string name, Split split)
    {
        var normalisation = NormalisationOf(name);
        var cifar = name.ToLowerInvariant() is "cifar10" or "cifar100";
        return cifar && split == Split.Train ? AugmentOptions.CifarTrain(normalisation) : AugmentOptions.Test(normalisation);
    }

    static string RequireRoot(string name, string? root) =>
        root ?? throw new DataException($"dataset '{name}' needs a data path (the folder holding its files)");

    static string FashionMnistHint(string? root) => root is null
        ? "; install the Debian package with: sudo apt-get install -y dataset-fashion-mnist"
        : "";

    static ImageDataset OpenIdx(string name, string root, Split split, string hint)
    {
        if (!Directory.Exists(root)) throw new DataException($"folder {root} does not exist{hint}");
        var prefix = split == Split.Train ? "train" : "t10k";
        var images = FindIdx(root, $"{prefix}-images-idx3-ubyte", hint);
        var labelsPath = FindIdx(root, $"{prefix}-labels-idx1-ubyte", hint);
        var (pixels, count, height, width) = IdxReader.ReadImages(images);
        var labels = IdxReader.ReadLabels(labelsPath, 10);
        if (labels.Length != count)
            throw new DataException($"{labelsPath}: holds {labels.Length} labels, expected {count} to match {images}");
        return new ImageDataset($"{name}/{SplitName(split)}", pixels, labels, 10, new SampleShape(1, height, width));
    }

    static string FindIdx(string root, string stem, string hint)
    {
        foreach (var candidate in new[] { stem + ".gz", stem, stem.Replace("-idx", ".idx") + ".gz", stem.Replace("-idx", ".idx") })
        {
            var path = Path.Combine(root, candidate);
            if (File.Exists(path)) return path;
        }
        throw new DataException($"folder {root} has no {stem}.gz or {stem}; expected the MNIST-style IDX files{hint}");
    }

    static ImageDataset OpenCifar10(string root, Split split)
    {
        var folder = FindFolderWith(root, "data_batch_1.bin", "cifar-10-batches-bin",
            "expected the CIFAR-10 binary version (cifar-10-batches-bin)");
        var files = split == Split.Train
            ? Enumerable.Range(1, 5).Select(i => Path.Combine(folder, $"data_batch_{i}.bin")).ToList()
            : [Path.Combine(folder, "test_batch.bin")];
        return CifarReader.ReadCifar10($"cifar10/{SplitName(split)}", files);
    }

    static ImageDataset OpenCifar100(string root, Split split)
    {
        var folder = FindFolderWith(root, "train.bin", "cifar-100-binary",
            "expected the CIFAR-100 binary version (cifar-100-binary)");
        var file = Path.Combine(folder, split == Split.Train ? "train.bin" : "test.bin");
        return CifarReader.ReadCifar100($"cifar100/{SplitName(split)}", file).Dataset;
    }

    static string FindFolderWith(string root, string marker, string subfolder, string expectation)
    {
        if (!Directory.Exists(root)) throw new DataException($"folder {root} does not exist; {expectation}");
        if (File.Exists(Path.Combine(root, marker))) return root;
        var nested = Path.Combine(root, subfolder);
        if (File.Exists(Path.Combine(nested, marker))) return nested;
        throw new DataException($"folder {root} has no {marker}; {expectation}");
    }

    static string SplitName(Split split) => split == Split.Train ? "train" : "test";
}
