// Marks one symbol-version requirement of an ELF64 shared library as weak (VER_FLG_WEAK) in .gnu.version_r.
using System.Buffers.Binary;
using System.Text;

namespace SnnDsl.Core.Runtime;

/// <summary>
/// A two-byte, idempotent edit of an ELF64 little-endian file: the <c>Elf64_Vernaux</c> entry whose name is
/// the given version (e.g. <c>GLIBCXX_3.4.32</c>) gets <c>VER_FLG_WEAK</c>, so glibc loads the library even
/// when the system libstdc++ does not define that version.
/// </summary>
public static class ElfVersionPatch
{
    const uint ShtGnuVerneed = 0x6ffffffe;
    const ushort VerFlgWeak = 0x2;

    public enum Outcome { Patched, AlreadyWeak, VersionNotRequired }

    /// <summary>Finds the vna_flags offset of <paramref name="version"/>, or null if the file does not require it.</summary>
    public static (long Offset, ushort Flags)? FindVersionFlags(byte[] elf, string version)
    {
        var span = elf.AsSpan();
        if (elf.Length < 64 || span[0] != 0x7f || span[1] != (byte)'E' || span[2] != (byte)'L' || span[3] != (byte)'F')
            throw new InvalidDataException("not an ELF file");
        if (span[4] != 2 || span[5] != 1) throw new InvalidDataException("not a 64-bit little-endian ELF file");
        long shoff = (long)BinaryPrimitives.ReadUInt64LittleEndian(span[0x28..]);
        int shentsize = BinaryPrimitives.ReadUInt16LittleEndian(span[0x3A..]);
        int shnum = BinaryPrimitives.ReadUInt16LittleEndian(span[0x3C..]);
        for (int i = 0; i < shnum; i++)
        {
            var sh = span.Slice((int)(shoff + (long)i * shentsize), shentsize);
            if (BinaryPrimitives.ReadUInt32LittleEndian(sh[4..]) != ShtGnuVerneed) continue;
            long offset = (long)BinaryPrimitives.ReadUInt64LittleEndian(sh[0x18..]);
            int link = (int)BinaryPrimitives.ReadUInt32LittleEndian(sh[0x28..]);
            var strtab = span.Slice((int)(shoff + (long)link * shentsize), shentsize);
            long strOffset = (long)BinaryPrimitives.ReadUInt64LittleEndian(strtab[0x18..]);
            return ScanVerneed(span, offset, strOffset, version);
        }
        return null;
    }

    static (long, ushort)? ScanVerneed(ReadOnlySpan<byte> elf, long need, long strOffset, string version)
    {
        while (true)
        {
            int count = BinaryPrimitives.ReadUInt16LittleEndian(elf[(int)(need + 2)..]);
            long aux = need + BinaryPrimitives.ReadUInt32LittleEndian(elf[(int)(need + 8)..]);
            for (int j = 0; j < count; j++)
            {
                long name = strOffset + BinaryPrimitives.ReadUInt32LittleEndian(elf[(int)(aux + 8)..]);
                if (CString(elf, name) == version)
                    return (aux + 4, BinaryPrimitives.ReadUInt16LittleEndian(elf[(int)(aux + 4)..]));
                aux += BinaryPrimitives.ReadUInt32LittleEndian(elf[(int)(aux + 12)..]);
            }
            uint next = BinaryPrimitives.ReadUInt32LittleEndian(elf[(int)(need + 12)..]);
            if (next == 0) return null;
            need += next;
        }
    }

    static string CString(ReadOnlySpan<byte> data, long at)
    {
        int end = data[(int)at..].IndexOf((byte)0);
        return Encoding.ASCII.GetString(data.Slice((int)at, end));
    }

    /// <summary>Marks <paramref name="version"/> weak in the file at <paramref name="path"/>; writes through a temp file and rename.</summary>
    public static Outcome MarkWeak(string path, string version)
    {
        var bytes = File.ReadAllBytes(path);
        var found = FindVersionFlags(bytes, version);
        if (found is null) return Outcome.VersionNotRequired;
        var (offset, flags) = found.Value;
        if ((flags & VerFlgWeak) != 0) return Outcome.AlreadyWeak;
        BinaryPrimitives.WriteUInt16LittleEndian(bytes.AsSpan((int)offset), (ushort)(flags | VerFlgWeak));
        var temp = path + ".snndsl-patch-" + Environment.ProcessId;
        File.WriteAllBytes(temp, bytes);
        File.Move(temp, path, overwrite: true);
        return Outcome.Patched;
    }
}
