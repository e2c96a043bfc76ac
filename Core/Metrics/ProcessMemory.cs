// Process and device memory readings: resident set high-water mark (Linux /proc) and CUDA device memory (NVML).
using System.Runtime.InteropServices;

namespace SnnDsl.Core.Metrics;

/// <summary>The process's resident memory from /proc/self/status; 0 where /proc is not available.</summary>
public static class ResidentMemory
{
    /// <summary>Current resident set size (VmRSS) in bytes.</summary>
    public static long Current() => Read("VmRSS:");

    /// <summary>Resident high-water mark (VmHWM) in bytes since the process started or the last <see cref="ResetPeak"/>.</summary>
    public static long Peak() => Read("VmHWM:");

    /// <summary>Resets VmHWM to the current RSS (writes 5 to /proc/self/clear_refs; Linux ≥ 4.0). False when not permitted.</summary>
    public static bool ResetPeak()
    {
        try { File.WriteAllText("/proc/self/clear_refs", "5"); return true; }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException) { return false; }
    }

    static long Read(string key)
    {
        const string path = "/proc/self/status";
        if (!File.Exists(path)) return 0;
        foreach (var line in File.ReadLines(path))
        {
            if (!line.StartsWith(key, StringComparison.Ordinal)) continue;
            var parts = line[key.Length..].Trim().Split(' ', StringSplitOptions.RemoveEmptyEntries);
            return long.Parse(parts[0]) * 1024; // the file states kB
        }
        return 0;
    }
}

/// <summary>
/// Used memory of a CUDA device through NVML (libnvidia-ml.so.1, shipped with the driver). TorchSharp has no CUDA memory
/// statistics. Only called when a CUDA device is in use: the P/Invoke binds lazily, so CPU machines never load NVML.
/// </summary>
public static class CudaMemory
{
    const string Nvml = "libnvidia-ml.so.1";

    [StructLayout(LayoutKind.Sequential)]
    struct MemoryInfo { public ulong Total, Free, Used; }

    [DllImport(Nvml, EntryPoint = "nvmlInit_v2")] static extern int Init();
    [DllImport(Nvml, EntryPoint = "nvmlDeviceGetHandleByIndex_v2")] static extern int DeviceHandle(uint index, out IntPtr device);
    [DllImport(Nvml, EntryPoint = "nvmlDeviceGetMemoryInfo")] static extern int MemoryInfoOf(IntPtr device, out MemoryInfo info);
    [DllImport(Nvml, EntryPoint = "nvmlDeviceGetName")] static extern int NameOf(IntPtr device, byte[] name, uint length);

    static bool _initialised;

    /// <summary>Bytes in use on device <paramref name="index"/> (all processes, as nvidia-smi shows); throws when NVML fails.</summary>
    public static long Used(int index)
    {
        if (!_initialised) { Check(Init(), "nvmlInit"); _initialised = true; }
        Check(DeviceHandle((uint)index, out var device), "nvmlDeviceGetHandleByIndex");
        Check(MemoryInfoOf(device, out var info), "nvmlDeviceGetMemoryInfo");
        return (long)info.Used;
    }

    /// <summary>The device's name and total memory in bytes, as NVML reports them (what `snn doctor` prints).</summary>
    public static (string Name, long TotalBytes) Describe(int index)
    {
        if (!_initialised) { Check(Init(), "nvmlInit"); _initialised = true; }
        Check(DeviceHandle((uint)index, out var device), "nvmlDeviceGetHandleByIndex");
        var name = new byte[96]; // NVML_DEVICE_NAME_V2_BUFFER_SIZE
        Check(NameOf(device, name, (uint)name.Length), "nvmlDeviceGetName");
        Check(MemoryInfoOf(device, out var info), "nvmlDeviceGetMemoryInfo");
        return (System.Text.Encoding.ASCII.GetString(name).TrimEnd('\0'), (long)info.Total);
    }

    static void Check(int status, string call)
    {
        if (status != 0) throw new InvalidOperationException($"{call} failed with NVML status {status}");
    }
}
