// Reader for the IDX format of MNIST and Fashion-MNIST (idx3 images, idx1 labels), gzipped or plain.
using System.Buffers.Binary;
using System.IO.Compression;

namespace SnnDsl.Core.Data;

/// <summary>Reads IDX files: big-endian magic 0x0000_08_0D (uint8 data, D dimensions), D sizes, then the data.</summary>
public static class IdxReader
{
    /// <summary>Magic number of an idx3-ubyte image file.</summary>
    public const int ImagesMagic = 0x00000803;

    /// <summary>Magic number of an idx1-ubyte label file.</summary>
    public const int LabelsMagic = 0x00000801;

    /// <summary>Reads an image file; returns the pixels [N, 1, H, W] and the image count and size.</summary>
    public static (byte[] Pixels, int Count, int Height, int Width) ReadImages(string path)
    {
        var bytes = ReadAll(path);
        var dims = ReadHeader(path, bytes, ImagesMagic, 3);
        var data = Payload(path, bytes, 16, (long)dims[0] * dims[1] * dims[2]);
        return (data, dims[0], dims[1], dims[2]);
    }

    /// <summary>Reads a label file; every label must be below <paramref name="classCount"/>.</summary>
    public static int[] ReadLabels(string path, int classCount)
    {
        var bytes = ReadAll(path);
        var dims = ReadHeader(path, bytes, LabelsMagic, 1);
        var data = Payload(path, bytes, 8, dims[0]);
        var labels = new int[data.Length];
        for (var i = 0; i < data.Length; i++)
        {
            if (data[i] >= classCount)
                throw new DataException($"{path}: label {data[i]} at index {i} is not below the class count {classCount}");
            labels[i] = data[i];
        }
        return labels;
    }

    /// <summary>The whole file, decompressed when its name ends in .gz.</summary>
    internal static byte[] ReadAll(string path)
    {
        if (!File.Exists(path)) throw new DataException($"{path}: file not found");
        try
        {
            if (!path.EndsWith(".gz", StringComparison.OrdinalIgnoreCase)) return File.ReadAllBytes(path);
            using var file = File.OpenRead(path);
            using var gzip = new GZipStream(file, CompressionMode.Decompress);
            using var memory = new MemoryStream();
            gzip.CopyTo(memory);
            return memory.ToArray();
        }
        catch (InvalidDataException e)
        {
            throw new DataException($"{path}: not a valid gzip file ({e.Message})", e);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new DataException($"{path}: could not be read ({e.Message})", e);
        }
    }

    static int[] ReadHeader(string path, byte[] bytes, int magic, int rank)
    {
        var headerSize = 4 + 4 * rank;
        if (bytes.Length < 4) throw new DataException($"{path}: truncated IDX header: {bytes.Length} bytes, expected at least {headerSize}");
        var actual = BinaryPrimitives.ReadInt32BigEndian(bytes);
        if (actual != magic)
            throw new DataException($"{path}: expected IDX magic 0x{magic:X8}, got 0x{actual:X8}");
        if (bytes.Length < headerSize)
            throw new DataException($"{path}: truncated IDX header: {bytes.Length} bytes, expected at least {headerSize}");
        var dims = new int[rank];
        for (var d = 0; d < rank; d++)
        {
            dims[d] = BinaryPrimitives.ReadInt32BigEndian(bytes.AsSpan(4 + 4 * d));
            if (dims[d] <= 0) throw new DataException($"{path}: dimension {d} is {dims[d]}, expected a positive size");
        }
        return dims;
    }

    static byte[] Payload(string path, byte[] bytes, int offset, long expected)
    {
        long actual = bytes.Length - offset;
        if (actual < expected)
            throw new DataException($"{path}: truncated: header promises {expected} data bytes, file holds {actual}");
        if (actual > expected)
            throw new DataException($"{path}: {actual - expected} unexpected bytes after the {expected} data bytes the header promises");
        return bytes.AsSpan(offset).ToArray();
    }
}
