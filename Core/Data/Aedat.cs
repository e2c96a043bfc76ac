// Reader for AEDAT 2.0 event recordings from a DVS128 camera, as in CIFAR10-DVS.
using System.Runtime.CompilerServices;
using System.Buffers.Binary;
using System.Text;

namespace SnnDsl.Core.Data;

/// <summary>Events of one recording, in file order: coordinates in [0, 128), polarity 0/1, timestamps in µs.</summary>
public sealed record DvsEvents(ushort[] X, ushort[] Y, byte[] P, uint[] T)
{
    /// <summary>Number of events.</summary>
    public int Count => T.Length;
}

/// <summary>
/// AEDAT 2.0: header lines starting with '#' (the first "#!AER-DAT2.0"), then 8-byte events of big-endian 32-bit
/// address and timestamp. DVS128 addresses: x = (a &amp; 0xFE) &gt;&gt; 1, y = (a &amp; 0x7F00) &gt;&gt; 8, p = a &amp; 1; CIFAR10-DVS
/// then swaps and flips the axes: x' = 127 - y, y' = 127 - x, p' = 1 - p (as SpikingJelly does).
/// </summary>
public static class Aedat
{
    /// <summary>Sensor side length of the DVS128.</summary>
    public const int SensorSize = 128;

    /// <summary>Address bits a DVS128 polarity event may use; any other bit means a format this reader does not know.</summary>
    public const uint AddressMask = 0x7FFF;

    /// <summary>Reads a recording, rejecting unknown versions, truncation, foreign address bits and empty recordings.</summary>
    public static DvsEvents Read(string path)
    {
        byte[] bytes;
        try { bytes = File.ReadAllBytes(path); }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException) { throw new DataException($"{path}: could not be read ({e.Message})", e); }
        var start = SkipHeader(path, bytes);
        return Decode(path, bytes.AsSpan(start));
    }

    /// <summary>Encodes events (already in the CIFAR10-DVS orientation) as an AEDAT 2.0 file; the inverse of <see cref="Read"/>.</summary>
    public static byte[] Encode(DvsEvents events)
    {
        var header = Encoding.ASCII.GetBytes("#!AER-DAT2.0\r\n# This is a raw AE data file created by SnnDsl\r\n");
        var bytes = new byte[header.Length + 8 * events.Count];
        header.CopyTo(bytes, 0);
        for (var i = 0; i < events.Count; i++)
        {
            uint rawX = (uint)(127 - events.Y[i]), rawY = (uint)(127 - events.X[i]), rawP = (uint)(1 - events.P[i]);
            var at = bytes.AsSpan(header.Length + 8 * i);
            BinaryPrimitives.WriteUInt32BigEndian(at, rawY << 8 | rawX << 1 | rawP);
            BinaryPrimitives.WriteUInt32BigEndian(at[4..], events.T[i]);
        }
        return bytes;
    }

    static int SkipHeader(string path, byte[] bytes)
    {
        var at = 0;
        var first = true;
        while (at < bytes.Length && bytes[at] == (byte)'#')
        {
            var end = Array.IndexOf(bytes, (byte)'\n', at);
            if (end < 0) throw new DataException($"{path}: header line does not end (truncated AEDAT header)");
            var line = Encoding.ASCII.GetString(bytes, at, end - at).TrimEnd('\r');
            if (first && line.StartsWith("#!AER-DAT", StringComparison.Ordinal) && line != "#!AER-DAT2.0")
                throw new DataException($"{path}: AEDAT version '{line[2..]}', expected AER-DAT2.0");
            first = false;
            at = end + 1;
        }
        if (first) throw new DataException($"{path}: no '#' header, expected an AEDAT 2.0 file starting with #!AER-DAT2.0");
        return at;
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    static DvsEvents Decode(string path, ReadOnlySpan<byte> data)
    {
        if (data.Length % 8 != 0)
            throw new DataException($"{path}: {data.Length} event bytes is not a whole number of 8-byte events (truncated)");
        var n = data.Length / 8;
        if (n == 0) throw new DataException($"{path}: recording has no events");
        var events = new DvsEvents(new ushort[n], new ushort[n], new byte[n], new uint[n]);
        for (var i = 0; i < n; i++)
        {
            var address = BinaryPrimitives.ReadUInt32BigEndian(data[(8 * i)..]);
            if ((address & ~AddressMask) != 0)
                throw new DataException($"{path}: event {i} has address 0x{address:X8}, outside the DVS128 polarity-event format (bits 0x{AddressMask:X4})");
            events.X[i] = (ushort)(127 - ((address & 0x7F00) >> 8));
            events.Y[i] = (ushort)(127 - ((address & 0xFE) >> 1));
            events.P[i] = (byte)(1 - (address & 1));
            events.T[i] = BinaryPrimitives.ReadUInt32BigEndian(data[(8 * i + 4)..]);
        }
        return events;
    }
}
