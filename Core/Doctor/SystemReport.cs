// What `snn doctor` reports about the machine: .NET, TorchSharp, libtorch and where it was loaded from, CPU, CUDA, MPI.
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;
using SnnDsl.Core.Distributed;
using SnnDsl.Core.Runtime;
using TorchSharp;
using SnnDsl.Core.Metrics;

namespace SnnDsl.Core.Doctor;

/// <summary>One line of the report: what was looked at, and what was found.</summary>
public sealed record Fact(string Name, string Value);

/// <summary>The facts of this process and machine; reading them never fails (unknowns are said to be unknown).</summary>
public static class SystemReport
{
    public static IReadOnlyList<Fact> Read()
    {
        var facts = new List<Fact>
        {
            new(".NET", RuntimeInformation.FrameworkDescription + " " + RuntimeInformation.RuntimeIdentifier),
            new("TorchSharp", typeof(torch).Assembly.GetName().Version?.ToString() ?? "unknown"),
            new("libtorch", LibTorchLine()),
            new("libtorch loaded from", LoadedFrom("libtorch_cpu.so") ?? NativeRuntime.LibTorchDirectory ?? "unknown"),
            new("CPU", CpuModel()),
            new("vector extensions", VectorExtensions()),
            new("bf16 on the CPU", Bf16Support.CpuLine(Bf16Support.ThisCpu())),
            new("NNPACK", Nnpack.Enabled switch
            {
                false => "off (snn turns it off at load)",
                true => "on",
                null => "unknown (libtorch_cpu's context symbols not found)",
            }),
            new("threads", $"libtorch intra-op {torch.get_num_threads()}, logical processors {Environment.ProcessorCount}"),
        };
        facts.AddRange(CudaFacts());
        facts.Add(new("Open MPI", MpiNative.LibraryVersion() ?? "not found (libmpi.so.40 cannot be loaded; multi-process training needs openmpi-bin and libopenmpi-dev)"));
        return facts;
    }

    static string LibTorchLine() => NativeRuntime.UserLibTorch is { } user
        ? $"{user.Version} (SNNDSL_LIBTORCH; TorchSharp built for {LibTorchFolder.ExpectedVersion})"
        : $"{torch.__version__} (NuGet package)";

    /// <summary>The path the process actually mapped a library from (/proc/self/maps), or null when not mapped or not Linux.</summary>
    public static string? LoadedFrom(string library)
    {
        const string maps = "/proc/self/maps";
        if (!File.Exists(maps)) return null;
        var line = File.ReadLines(maps).FirstOrDefault(l => l.EndsWith("/" + library, StringComparison.Ordinal));
        var path = line?[(line.IndexOf('/'))..];
        return path is null ? null : Path.GetDirectoryName(path);
    }

    static string CpuModel()
    {
        const string cpuinfo = "/proc/cpuinfo";
        var model = File.Exists(cpuinfo)
            ? File.ReadLines(cpuinfo).FirstOrDefault(l => l.StartsWith("model name", StringComparison.Ordinal))?.Split(':', 2)[1].Trim()
            : null;
        return $"{model ?? "unknown model"} ({RuntimeInformation.ProcessArchitecture})";
    }

    /// <summary>What the JIT can use on this CPU, detected at run time (never assumed).</summary>
    public static string VectorExtensions()
    {
        var found = new List<string>();
        if (Avx2.IsSupported) found.Add("AVX2");
        if (Fma.IsSupported) found.Add("FMA");
        if (Avx512F.IsSupported) found.Add("AVX-512F");
        if (Avx512BW.IsSupported) found.Add("AVX-512BW");
        if (System.Runtime.Intrinsics.Arm.AdvSimd.IsSupported) found.Add("NEON");
        string widest = Vector512.IsHardwareAccelerated ? "512" : Vector256.IsHardwareAccelerated ? "256" : Vector128.IsHardwareAccelerated ? "128" : "none";
        return (found.Count == 0 ? "none of AVX2/AVX-512/NEON" : string.Join(", ", found)) + $"; widest accelerated vector: {widest} bits";
    }

    static IEnumerable<Fact> CudaFacts()
    {
        if (!torch.cuda.is_available())
        {
            yield return new("CUDA", "not available (" + (NativeRuntime.UserLibTorch is null
                ? "this build uses the CPU libtorch package: build with -p:SnnCuda=true, or set SNNDSL_LIBTORCH to a CUDA libtorch or PyTorch's torch/lib"
                : "the libtorch in SNNDSL_LIBTORCH finds no usable CUDA device or driver") + ")");
            yield break;
        }
        int count = torch.cuda.device_count();
        yield return new("CUDA", $"{count} device(s); cuDNN {(torch.cuda.is_cudnn_available() ? "available" : "not available")}");
        for (int i = 0; i < count; i++)
        {
            yield return new($"cuda:{i}", DescribeDevice(i));
            yield return new($"cuda:{i} bf16", Bf16Support.CudaLine(i));
        }
    }

    static string DescribeDevice(int index)
    {
        try
        {
            var (name, total) = CudaMemory.Describe(index);
            return $"{name}, {total / (1024.0 * 1024 * 1024):F1} GiB (NVML)";
        }
        catch (Exception e) when (e is DllNotFoundException or EntryPointNotFoundException or InvalidOperationException)
        {
            return $"name and memory unknown: NVML (libnvidia-ml.so.1) unavailable ({e.Message})";
        }
    }
}
