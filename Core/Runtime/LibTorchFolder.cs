// SNNDSL_LIBTORCH: a libtorch the user chooses (a libtorch distribution's lib/, or an installed PyTorch's torch/lib).
using System.Reflection;
using System.Text.RegularExpressions;

namespace SnnDsl.Core.Runtime;

/// <summary>
/// A folder holding libtorch's shared libraries, named by <c>SNNDSL_LIBTORCH</c>, with the version it declares: a
/// libtorch distribution writes it to <c>build-version</c> beside <c>lib/</c>, an installed PyTorch to
/// <c>version.py</c> beside <c>torch/lib</c>. TorchSharp's native bridge is compiled against one libtorch release, so
/// a folder of another major.minor version is refused unless <c>SNNDSL_LIBTORCH_ANY_VERSION=1</c>.
/// </summary>
public sealed record LibTorchFolder(string Directory, string Version)
{
    public const string FolderVariable = "SNNDSL_LIBTORCH";
    public const string AnyVersionVariable = "SNNDSL_LIBTORCH_ANY_VERSION";

    /// <summary>Libraries to preload, in dependency order; those absent from the folder are skipped (CUDA ones on a CPU build).</summary>
    public static readonly string[] Libraries = ["libc10.so", "libc10_cuda.so", "libtorch_cpu.so", "libtorch_cuda.so", "libtorch.so"];

    /// <summary>The libtorch version TorchSharp's bridge was built for (Directory.Build.props' LibTorchVersion).</summary>
    public static string ExpectedVersion { get; } =
        typeof(LibTorchFolder).Assembly.GetCustomAttributes<AssemblyMetadataAttribute>()
            .FirstOrDefault(a => a.Key == "LibTorchVersion")?.Value ?? "unknown";

    /// <summary>The folder the environment names, checked; null when SNNDSL_LIBTORCH is unset.</summary>
    public static LibTorchFolder? FromEnvironment(Func<string, string?> variable)
    {
        var named = variable(FolderVariable);
        if (string.IsNullOrWhiteSpace(named)) return null;
        bool anyVersion = variable(AnyVersionVariable) == "1";
        var folder = Open(named, anyVersion);
        if (!anyVersion && !SameRelease(folder.Version, ExpectedVersion))
            throw new NativeRuntimeException(
                $"{FolderVariable}={named} holds libtorch {folder.Version}, but this build of TorchSharp needs libtorch {ExpectedVersion} " +
                $"(the same major.minor); point {FolderVariable} at a libtorch {MajorMinor(ExpectedVersion)}.x, unset it to use the NuGet package, " +
                $"or set {AnyVersionVariable}=1 to try it anyway.");
        return folder;
    }

    /// <summary>
    /// Reads a folder: <paramref name="named"/> may be the lib/ folder itself or the distribution above it. A folder that
    /// does not say its version is refused, or, with <paramref name="allowUnknownVersion"/>, taken as version "unknown".
    /// </summary>
    public static LibTorchFolder Open(string named, bool allowUnknownVersion = false)
    {
        var full = Path.GetFullPath(named);
        var lib = File.Exists(Path.Combine(full, "libtorch_cpu.so")) ? full
            : File.Exists(Path.Combine(full, "lib", "libtorch_cpu.so")) ? Path.Combine(full, "lib")
            : throw new NativeRuntimeException(
                $"{FolderVariable}={named}: no libtorch_cpu.so there or in its lib/ folder; expected a libtorch distribution's lib/ or PyTorch's torch/lib " +
                "(python3 -c 'import torch, os; print(os.path.join(os.path.dirname(torch.__file__), \"lib\"))').");
        var version = ReadVersion(lib) ?? (allowUnknownVersion ? "unknown" : null) ?? throw new NativeRuntimeException(
            $"{FolderVariable}={named}: cannot tell which libtorch this is (no build-version or version.py beside the lib/ folder); " +
            $"set {AnyVersionVariable}=1 to load it without the version check.");
        return new LibTorchFolder(lib, version);
    }

    /// <summary>"2.10.0+cpu" from ../build-version, or "2.11.0+cu128" from ../version.py (__version__ = '...'); null if neither says.</summary>
    public static string? ReadVersion(string lib)
    {
        var parent = Path.GetDirectoryName(Path.TrimEndingDirectorySeparator(lib)) ?? lib;
        var buildVersion = Path.Combine(parent, "build-version");
        if (File.Exists(buildVersion)) return NonEmpty(File.ReadAllText(buildVersion).Trim());
        var versionPy = Path.Combine(parent, "version.py");
        if (!File.Exists(versionPy)) return null;
        var match = Regex.Match(File.ReadAllText(versionPy), @"^__version__\s*=\s*['""]([^'""]+)['""]", RegexOptions.Multiline);
        return match.Success ? match.Groups[1].Value : null;
    }

    /// <summary>True when two versions share major.minor ("2.10.0+cpu" and "2.10.1" do; "2.11.0" does not).</summary>
    public static bool SameRelease(string a, string b) => MajorMinor(a) == MajorMinor(b) && MajorMinor(a).Length > 0;

    static string MajorMinor(string version)
    {
        var match = Regex.Match(version, @"^(\d+)\.(\d+)");
        return match.Success ? $"{match.Groups[1].Value}.{match.Groups[2].Value}" : "";
    }

    static string? NonEmpty(string s) => s.Length == 0 ? null : s;
}
