// Keeps freed native memory in the process so libtorch's large CPU tensors do not page-fault in on every allocation.
using System.Runtime.InteropServices;

namespace SnnDsl.Core.Runtime;

/// <summary>
/// libtorch's CPU allocator has no cache: each activation tensor is a fresh malloc, and glibc serves blocks above its
/// mmap threshold (at most 32 MiB) with a new mmap whose pages fault in, zeroed by the kernel, on first touch, and
/// are unmapped again on free. For the [T·B, C, H, W] tensors of a spiking network that is most of the time of a
/// training step (measured on a Fashion-MNIST CNN, batch 128, T = 4, 2 threads: conv 3×3 1→32 on [512, 1, 28, 28]
/// 672 ms with mmap, 114 ms without; a BPTT-M iteration 6154 → 2180 ms). This tells glibc to serve every block from
/// the heap and to keep freed memory for reuse (the process's resident size then stays at its peak). Set
/// SNNDSL_SYSTEM_MALLOC=1 to keep glibc's defaults.
/// </summary>
public static class NativeMemory
{
    const int M_TRIM_THRESHOLD = -1;
    const int M_TOP_PAD = -2;
    const int M_MMAP_MAX = -4;

    [DllImport("libc.so.6", EntryPoint = "mallopt")]
    static extern int MallOpt(int parameter, int value);

    /// <summary>Applies the setting once per process on glibc systems; returns whether it was applied.</summary>
    public static bool KeepFreedMemory()
    {
        if (!OperatingSystem.IsLinux() || Environment.GetEnvironmentVariable("SNNDSL_SYSTEM_MALLOC") == "1") return false;
        try
        {
            return MallOpt(M_MMAP_MAX, 0) == 1
                && MallOpt(M_TRIM_THRESHOLD, int.MaxValue) == 1
                && MallOpt(M_TOP_PAD, 64 << 20) == 1;
        }
        catch (DllNotFoundException) { return false; } // not glibc (e.g. musl): keep its allocator as it is
        catch (EntryPointNotFoundException) { return false; }
    }
}
