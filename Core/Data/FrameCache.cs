// Disk cache of integrated, resized DVS frames: one file per recording, rebuilt when its source or settings change.
using System.Runtime.InteropServices;
using System.Text;

namespace SnnDsl.Core.Data;

/// <summary>
/// Cache file: 8-byte magic "SNNDVSF1", int32 T, int32 size, int64 source length, int64 source write time (UTC ticks),
/// then T·2·size·size float32 frames. Files are written to a temporary name and renamed, so a crash never leaves a
/// half-written cache entry.
/// </summary>
public static class FrameCache
{
    static readonly byte[] Magic = Encoding.ASCII.GetBytes("SNNDVSF1");
    const int HeaderSize = 8 + 4 + 4 + 8 + 8;

    /// <summary>Builds the cache entry for <paramref name="source"/> unless a valid one exists; returns true when it built one.</summary>
    public static bool Ensure(string source, string cache, DvsSettings settings)
    {
        if (IsValid(source, cache, settings)) return false;
        var frames = EventFrames.Integrate(Aedat.Read(source), settings.Frames, settings.Split);
        var resized = settings.ResizeFrames(frames, Aedat.SensorSize);
        Write(source, cache, settings, resized);
        return true;
    }

    /// <summary>Reads the frames of a cache entry into <paramref name="destination"/> ([T, 2, size, size]).</summary>
    public static void Read(string cache, Span<float> destination)
    {
        byte[] bytes;
        try { bytes = File.ReadAllBytes(cache); }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException) { throw new DataException($"{cache}: cached frames could not be read ({e.Message})", e); }
        if (bytes.Length != HeaderSize + destination.Length * 4)
            throw new DataException($"{cache}: cached frames have {bytes.Length} bytes, expected {HeaderSize + destination.Length * 4}; delete the cache folder");
        MemoryMarshal.Cast<byte, float>(bytes.AsSpan(HeaderSize)).CopyTo(destination);
    }

    static bool IsValid(string source, string cache, DvsSettings settings)
    {
        if (!File.Exists(cache)) return false;
        var info = new FileInfo(source);
        if (!info.Exists) throw new DataException($"{source}: file not found");
        Span<byte> header = stackalloc byte[HeaderSize];
        using (var file = File.OpenRead(cache))
            if (file.Length != HeaderSize + 4L * settings.Frames * 2 * settings.Size * settings.Size || file.Read(header) != HeaderSize)
                return false;
        var values = MemoryMarshal.Cast<byte, long>(header[16..]);
        return header[..8].SequenceEqual(Magic)
            && MemoryMarshal.Read<int>(header[8..]) == settings.Frames
            && MemoryMarshal.Read<int>(header[12..]) == settings.Size
            && values[0] == info.Length && values[1] == info.LastWriteTimeUtc.Ticks;
    }

    static void Write(string source, string cache, DvsSettings settings, float[] frames)
    {
        var info = new FileInfo(source);
        Directory.CreateDirectory(Path.GetDirectoryName(cache)!);
        var temporary = cache + $".{Environment.ProcessId}.{Environment.CurrentManagedThreadId}.tmp";
        using (var file = File.Create(temporary))
        using (var writer = new BinaryWriter(file))
        {
            writer.Write(Magic);
            writer.Write(settings.Frames);
            writer.Write(settings.Size);
            writer.Write(info.Length);
            writer.Write(info.LastWriteTimeUtc.Ticks);
            writer.Write(MemoryMarshal.AsBytes(frames.AsSpan()));
        }
        File.Move(temporary, cache, overwrite: true);
    }
}
