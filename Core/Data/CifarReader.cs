// Reader for the binary versions of CIFAR-10 (cifar-10-batches-bin) and CIFAR-100 (cifar-100-binary).
namespace SnnDsl.Core.Data;

/// <summary>
/// CIFAR binary records: CIFAR-10 is 1 label byte + 3072 pixel bytes; CIFAR-100 is a coarse and a fine label byte
/// + 3072 pixel bytes. Pixels are 1024 red, 1024 green, 1024 blue values, each a 32×32 row-major plane ([C, H, W]).
/// </summary>
public static class CifarReader
{
    /// <summary>Shape of every CIFAR image.</summary>
    public static readonly SampleShape Shape = new(3, 32, 32);

    /// <summary>Reads CIFAR-10 batch files (each 10000 records of 3073 bytes in the original data).</summary>
    public static ImageDataset ReadCifar10(string name, IReadOnlyList<string> files) =>
        Read(name, files, labelBytes: 1, fineOffset: 0, classCount: 10).Dataset;

    /// <summary>Reads a CIFAR-100 file with fine labels (100 classes); the coarse labels (20 superclasses) come back too.</summary>
    public static (ImageDataset Dataset, int[] CoarseLabels) ReadCifar100(string name, string file) =>
        Read(name, [file], labelBytes: 2, fineOffset: 1, classCount: 100);

    static (ImageDataset Dataset, int[] CoarseLabels) Read(string name, IReadOnlyList<string> files, int labelBytes, int fineOffset, int classCount)
    {
        var record = labelBytes + Shape.Size;
        var contents = files.Select(f => (Path: f, Bytes: ReadChecked(f, record))).ToList();
        var count = contents.Sum(c => c.Bytes.Length / record);
        var pixels = new byte[(long)count * Shape.Size];
        var labels = new int[count];
        var coarse = new int[count];
        var n = 0;
        foreach (var (path, bytes) in contents)
            for (var r = 0; r < bytes.Length / record; r++, n++)
            {
                var at = r * record;
                labels[n] = CheckedLabel(path, r, bytes[at + fineOffset], classCount);
                coarse[n] = labelBytes == 2 ? CheckedLabel(path, r, bytes[at], 20) : labels[n];
                bytes.AsSpan(at + labelBytes, Shape.Size).CopyTo(pixels.AsSpan(n * Shape.Size));
            }
        return (new ImageDataset(name, pixels, labels, classCount, Shape), coarse);
    }

    static byte[] ReadChecked(string path, int record)
    {
        var bytes = IdxReader.ReadAll(path);
        if (bytes.Length == 0) throw new DataException($"{path}: empty file, expected records of {record} bytes");
        if (bytes.Length % record != 0)
            throw new DataException($"{path}: {bytes.Length} bytes is not a whole number of {record}-byte records (truncated or not this CIFAR version)");
        return bytes;
    }

    static int CheckedLabel(string path, int record, byte label, int classCount) =>
        label < classCount ? label
        : throw new DataException($"{path}: record {record} has label {label}, expected one below {classCount}");
}
