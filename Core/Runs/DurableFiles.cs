// Writes that survive a kill or power loss: fsync of files and folders, whole-file replacement by one atomic rename.
using System.Runtime.InteropServices;

namespace SnnDsl.Core.Runs;

/// <summary>
/// File operations for run directories. A replaced file is written beside its target, flushed to disk and renamed
/// over it (rename(2) is atomic), then its folder is flushed so the rename itself is durable; readers see the old
/// file or the new one, never a mix.
/// </summary>
public static partial class DurableFiles
{
    /// <summary>Replaces <paramref name="path"/> with <paramref name="text"/> in one atomic rename.</summary>
    public static void ReplaceText(string path, string text)
    {
        var temp = path + ".tmp";
        using (var stream = new FileStream(temp, FileMode.Create, FileAccess.Write, FileShare.None))
        using (var writer = new StreamWriter(stream))
        {
            writer.Write(text);
            writer.Flush();
            stream.Flush(flushToDisk: true);
        }
        File.Move(temp, path, overwrite: true);
        SyncFolder(Path.GetDirectoryName(Path.GetFullPath(path))!);
    }

    /// <summary>Appends text to a file and flushes it to disk before returning.</summary>
    public static void Append(string path, string text)
    {
        using var stream = new FileStream(path, FileMode.Append, FileAccess.Write, FileShare.Read);
        using var writer = new StreamWriter(stream);
        writer.Write(text);
        writer.Flush();
        stream.Flush(flushToDisk: true);
    }

    /// <summary>Flushes a file another writer (libtorch) wrote to disk.</summary>
    public static void SyncFile(string path)
    {
        using var stream = new FileStream(path, FileMode.Open, FileAccess.ReadWrite, FileShare.ReadWrite);
        stream.Flush(flushToDisk: true);
    }

    /// <summary>Flushes a folder's entries (new names, renames) to disk; a no-op where the system has no folder fsync.</summary>
    public static void SyncFolder(string folder)
    {
        if (!OperatingSystem.IsLinux() && !OperatingSystem.IsMacOS()) return;
        int fd = Open(folder, 0);
        if (fd < 0) return;
        try { _ = Fsync(fd); }
        finally { _ = Close(fd); }
    }

    /// <summary>
    /// rename(2): replaces <paramref name="target"/> (a file or a symbolic link, even one to a folder) atomically.
    /// File.Move cannot: it refuses a source link that points at a folder.
    /// </summary>
    public static void Rename(string source, string target)
    {
        if (RenameNative(source, target) != 0)
            throw new IOException($"cannot rename {source} to {target}: {Marshal.GetLastPInvokeErrorMessage()}");
    }

    [LibraryImport("libc", EntryPoint = "rename", StringMarshalling = StringMarshalling.Utf8, SetLastError = true)]
    private static partial int RenameNative(string source, string target);

    [LibraryImport("libc", EntryPoint = "open", StringMarshalling = StringMarshalling.Utf8)]
    private static partial int Open(string path, int flags);

    [LibraryImport("libc", EntryPoint = "fsync")]
    private static partial int Fsync(int fd);

    [LibraryImport("libc", EntryPoint = "close")]
    private static partial int Close(int fd);
}
