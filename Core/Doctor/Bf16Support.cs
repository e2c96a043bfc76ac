// Whether this machine computes bf16 natively: the CPU's flags (/proc/cpuinfo) and each CUDA device's compute capability (NVML).
using System.Runtime.InteropServices;
using SnnDsl.Core.Layers;
using TorchSharp;

namespace SnnDsl.Core.Doctor;

/// <summary>
/// The CPU's bf16 instructions as /proc/cpuinfo lists them: AVX512-BF16 (bf16 dot products and conversions, AMD Zen 4+,
/// Intel Cooper Lake+), AMX-BF16 (tile matrix multiplication, Intel Sapphire Rapids+), and on Arm the BF16 extension
/// ("bf16" in Features). Without any of them oneDNN emulates bf16 through float32 and is no faster than float32.
/// </summary>
public sealed record CpuBf16(bool Avx512Bf16, bool AmxBf16, bool ArmBf16)
{
    /// <summary>At least one native bf16 instruction set.</summary>
    public bool Native => Avx512Bf16 || AmxBf16 || ArmBf16;

    /// <summary>The instruction sets found, "AVX512-BF16, AMX-BF16", or null when there are none.</summary>
    public string? Found =>
        Native ? string.Join(", ", new[] { (Avx512Bf16, "AVX512-BF16"), (AmxBf16, "AMX-BF16"), (ArmBf16, "Arm BF16") }.Where(f => f.Item1).Select(f => f.Item2)) : null;

    /// <summary>
    /// Reads the text of /proc/cpuinfo (or any text with its "flags" / "Features" lines): the first such line describes
    /// every core on the machines Linux runs on.
    /// </summary>
    public static CpuBf16 FromCpuInfo(string cpuinfo)
    {
        var flags = FlagsLine(cpuinfo, "flags");
        var features = FlagsLine(cpuinfo, "Features");
        return new CpuBf16(flags.Contains("avx512_bf16"), flags.Contains("amx_bf16"), features.Contains("bf16"));
    }

    static HashSet<string> FlagsLine(string cpuinfo, string key)
    {
        foreach (var line in cpuinfo.Split('\n'))
        {
            var colon = line.IndexOf(':');
            if (colon < 0 || line[..colon].Trim() != key) continue;
            return [.. line[(colon + 1)..].Split([' ', '\t'], StringSplitOptions.RemoveEmptyEntries)];
        }
        return [];
    }
}

/// <summary>What `snn doctor` and a bf16 run say about bf16 on this machine.</summary>
public static class Bf16Support
{
    const string CpuInfoPath = "/proc/cpuinfo";

    /// <summary>This CPU's bf16 instruction sets, or null where /proc/cpuinfo cannot be read (not Linux).</summary>
    public static CpuBf16? ThisCpu()
    {
        try { return File.Exists(CpuInfoPath) ? CpuBf16.FromCpuInfo(File.ReadAllText(CpuInfoPath)) : null; }
        catch (IOException) { return null; }
        catch (UnauthorizedAccessException) { return null; }
    }

    /// <summary>The doctor's line for the CPU.</summary>
    public static string CpuLine(CpuBf16? cpu) => cpu switch
    {
        null => $"unknown ({CpuInfoPath} cannot be read); --precision bf16 runs, possibly emulated and no faster than fp32",
        { Native: true } => $"native: {cpu.Found} (--precision bf16 computes conv and linear layers in bf16 hardware)",
        _ => "not native (no avx512_bf16 or amx_bf16 in /proc/cpuinfo): --precision bf16 runs, emulated through float32, not faster",
    };

    /// <summary>
    /// The one line a bf16 run prints at start on a CPU without native bf16, or null when there is nothing to say
    /// (float32, a CUDA device, or a CPU with native bf16).
    /// </summary>
    public static string? StartWarning(Precision precision, DeviceType device, CpuBf16? cpu) =>
        precision == Precision.BFloat16 && device == DeviceType.CPU && cpu is not { Native: true }
            ? $"note: --precision bf16 on a CPU without native bf16 ({(cpu is null ? "its flags are unknown" : "no avx512_bf16 or amx_bf16 in /proc/cpuinfo")}): it runs, emulated, and is not faster than fp32"
            : null;

    /// <summary>
    /// A CUDA device's bf16 support, decided by its compute capability read through NVML (TorchSharp 0.107 exposes none):
    /// 8.0 (Ampere) and later have bf16 tensor cores.
    /// </summary>
    public static string CudaLine(int index)
    {
        try
        {
            var (major, minor) = ComputeCapability(index);
            return major >= 8
                ? $"bf16 native (compute capability {major}.{minor} >= 8.0, NVML)"
                : $"no native bf16 (compute capability {major}.{minor} < 8.0, NVML): --precision bf16 is not faster there";
        }
        catch (Exception e) when (e is DllNotFoundException or EntryPointNotFoundException or InvalidOperationException)
        {
            return $"bf16 support unknown: NVML (libnvidia-ml.so.1) gives no compute capability ({e.Message})";
        }
    }

    /// <summary>The compute capability (major, minor) of CUDA device <paramref name="index"/>, from NVML.</summary>
    public static (int Major, int Minor) ComputeCapability(int index)
    {
        Status(NvmlInit(), "nvmlInit");
        Status(DeviceHandle((uint)index, out var device), "nvmlDeviceGetHandleByIndex");
        Status(Capability(device, out int major, out int minor), "nvmlDeviceGetCudaComputeCapability");
        return (major, minor);
    }

    const string Nvml = "libnvidia-ml.so.1";
    [DllImport(Nvml, EntryPoint = "nvmlInit_v2")] static extern int NvmlInit();
    [DllImport(Nvml, EntryPoint = "nvmlDeviceGetHandleByIndex_v2")] static extern int DeviceHandle(uint index, out IntPtr device);
    [DllImport(Nvml, EntryPoint = "nvmlDeviceGetCudaComputeCapability")] static extern int Capability(IntPtr device, out int major, out int minor);

    static void Status(int status, string call)
    {
        if (status != 0) throw new InvalidOperationException($"{call} failed with NVML status {status}");
    }
}
