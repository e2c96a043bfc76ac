// Loads libtorch for every way SnnDsl runs (CLI, tests, fsi scripts), applying the Debian 12 GLIBCXX fix where needed.
using System.Reflection;
using System.Runtime.InteropServices;
using TorchSharp;

namespace SnnDsl.Core.Runtime;

/// <summary>Raised when libtorch cannot be loaded; the message names the real cause.</summary>
public sealed class NativeRuntimeException(string message) : Exception(message);

/// <summary>
/// TorchSharp 0.107's <c>libLibTorchSharp.so</c> requires <c>GLIBCXX_3.4.32</c>, which Debian 12's libstdc++ lacks;
/// the only symbol behind it is never called. Where the system libstdc++ lacks it, this marks the requirement weak
/// in the copy that will be loaded (idempotent), preloads libtorch by full path, and reports load failures with the
/// dynamic loader's own message instead of TorchSharp's misleading one.
/// </summary>
public static class NativeRuntime
{
    const string MissingVersion = "GLIBCXX_3.4.32";
    const string AnchorSymbol = "_ZSt21ios_base_library_initv"; // std::ios_base_library_init(), defined from 3.4.32 on
    static readonly object Gate = new();
    static bool _loaded;

    /// <summary>The folder libtorch's libraries were loaded from (after <see cref="EnsureLoaded"/>).</summary>
    public static string? LibTorchDirectory { get; private set; }

    /// <summary>The user's libtorch (SNNDSL_LIBTORCH) when one was loaded instead of the NuGet package's; null otherwise.</summary>
    public static LibTorchFolder? UserLibTorch { get; private set; }

    /// <summary>Makes libtorch usable in this process; safe to call many times and from several threads.</summary>
    public static void EnsureLoaded()
    {
        lock (Gate)
        {
            if (_loaded) return;
            NativeMemory.Configure();
            if (OperatingSystem.IsLinux()) PrepareLinux();
            try { torch.InitializeDeviceType(DeviceType.CPU); }
            catch (Exception e) { throw new NativeRuntimeException($"libtorch could not be initialised: {Innermost(e).Message}"); }
            Nnpack.TrySet(false);
            _loaded = true;
        }
    }

    static void PrepareLinux()
    {
        var dir = FindNativeDirectory()
            ?? throw new NativeRuntimeException(
                "libLibTorchSharp.so was not found next to TorchSharp.dll or in its runtimes/linux-x64/native folder; " +
                "build the project (dotnet build) so the libtorch-cpu-linux-x64 natives are copied.");
        var bridge = Path.Combine(dir, "libLibTorchSharp.so");
        if (!SystemLibStdCxxHas(AnchorSymbol)) PatchBridge(bridge);
        UserLibTorch = LibTorchFolder.FromEnvironment(Environment.GetEnvironmentVariable);
        if (UserLibTorch is { } user) LoadUserLibTorch(user, bridge);
        else LoadPackageLibTorch(dir, bridge);
    }

    static void LoadPackageLibTorch(string dir, string bridge)
    {
        if (FindLibrary("libtorch_cpu.so", dir) is null)
            throw new NativeRuntimeException(
                $"no libtorch was found beside {bridge} or in the NuGet cache (a build with -p:SnnExternalLibTorch=true ships none); " +
                $"set {LibTorchFolder.FolderVariable} to a libtorch {LibTorchFolder.ExpectedVersion} lib/ folder or to PyTorch's torch/lib.");
        foreach (var lib in new[] { "libc10.so", "libtorch_cpu.so", "libtorch.so" })
        {
            var path = FindLibrary(lib, dir);
            if (path is null) continue;
            Load(path);
            LibTorchDirectory ??= Path.GetDirectoryName(path);
        }
        Load(bridge);
    }

    /// <summary>
    /// Loads the user's libtorch by full path, then the bridge, whose dependencies the dynamic loader resolves by soname to
    /// the libraries already loaded. TorchSharp's own loader would then load the package's copies beside the bridge (a
    /// second libtorch in one process registers every operator twice and aborts), so it is told its backend is loaded.
    /// </summary>
    static void LoadUserLibTorch(LibTorchFolder user, string bridge)
    {
        foreach (var lib in LibTorchFolder.Libraries)
        {
            var path = Path.Combine(user.Directory, lib);
            if (File.Exists(path)) Load(path);
        }
        Load(bridge);
        LibTorchDirectory = user.Directory;
        MarkTorchSharpBackendLoaded();
        Console.Error.WriteLine($"snndsl: libtorch {user.Version} from {user.Directory} ({LibTorchFolder.FolderVariable})");
    }

    static void MarkTorchSharpBackendLoaded()
    {
        const BindingFlags Static = BindingFlags.NonPublic | BindingFlags.Static;
        foreach (var name in new[] { "nativeBackendLoaded", "nativeBackendCudaLoaded" })
        {
            var field = typeof(torch).GetField(name, Static)
                ?? throw new NativeRuntimeException($"this TorchSharp has no '{name}' flag, so {LibTorchFolder.FolderVariable} cannot keep it from loading a second libtorch; unset {LibTorchFolder.FolderVariable}.");
            if (name == "nativeBackendCudaLoaded" && !File.Exists(Path.Combine(LibTorchDirectory!, "libtorch_cuda.so"))) continue;
            field.SetValue(null, true);
        }
    }

    static void PatchBridge(string bridge)
    {
        try
        {
            if (ElfVersionPatch.MarkWeak(bridge, MissingVersion) == ElfVersionPatch.Outcome.Patched)
                Console.Error.WriteLine($"snndsl: system libstdc++ lacks {MissingVersion}; marked it weak in {bridge}");
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new NativeRuntimeException(
                $"the system libstdc++ lacks {MissingVersion}, which {bridge} requires, and the file cannot be patched ({e.Message}); " +
                "make it writable or install a libstdc++ from GCC 13 or newer.");
        }
    }

    static void Load(string path)
    {
        try { NativeLibrary.Load(path); }
        catch (DllNotFoundException e) { throw new NativeRuntimeException($"the dynamic loader refused {path}: {e.Message}"); }
    }

    static bool SystemLibStdCxxHas(string symbol)
    {
        if (!NativeLibrary.TryLoad("libstdc++.so.6", out var handle)) return false;
        return NativeLibrary.TryGetExport(handle, symbol, out _);
    }

    static IEnumerable<string> CandidateDirectories()
    {
        var torchDir = Path.GetDirectoryName(typeof(torch).Assembly.Location);
        var candidates = new List<string?> { AppContext.BaseDirectory, torchDir };
        if (torchDir is not null)
        {
            candidates.Add(Path.Combine(torchDir, "runtimes", "linux-x64", "native"));
            // NuGet cache layout: torchsharp/<v>/lib/net8.0/TorchSharp.dll -> torchsharp/<v>/runtimes/linux-x64/native
            candidates.Add(Path.GetFullPath(Path.Combine(torchDir, "..", "..", "runtimes", "linux-x64", "native")));
        }
        return candidates.OfType<string>().Where(Directory.Exists);
    }

    static string? FindNativeDirectory() =>
        CandidateDirectories().FirstOrDefault(d => File.Exists(Path.Combine(d, "libLibTorchSharp.so")));

    /// <summary>Finds a libtorch library next to the bridge, or in the libtorch-cpu-linux-x64 package of the NuGet cache.</summary>
    static string? FindLibrary(string name, string bridgeDir)
    {
        var local = Path.Combine(bridgeDir, name);
        if (File.Exists(local)) return local;
        var home = Environment.GetEnvironmentVariable("NUGET_PACKAGES")
                   ?? Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.UserProfile), ".nuget", "packages");
        var package = Path.Combine(home, "libtorch-cpu-linux-x64");
        if (!Directory.Exists(package)) return null;
        return Directory.GetDirectories(package).OrderDescending()
            .Select(v => Path.Combine(v, "runtimes", "linux-x64", "native", name)).FirstOrDefault(File.Exists);
    }

    static Exception Innermost(Exception e) => e.InnerException is null ? e : Innermost(e.InnerException);
}
