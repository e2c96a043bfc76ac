// Turns libtorch's NNPACK convolutions off at load, as torch.backends.nnpack.set_flags(False) does in PyTorch.
using System.Runtime.InteropServices;

namespace SnnDsl.Core.Runtime;

/// <summary>
/// libtorch may route a graph-free CPU convolution to NNPACK, and where NNPACK cannot initialise (this project's EPYC
/// VM: "Unsupported hardware") it prints "Could not initialize NNPACK! Reason: Unsupported hardware." on every such
/// call: 79 lines per epoch of the default job, all during evaluation; training printed none. With NNPACK off those
/// convolutions take libtorch's other CPU paths and the output is clean. TorchSharp exposes no switch for it; this
/// calls <c>at::globalContext().setUserEnabledNNPACK(false)</c> through libtorch_cpu's exported symbols (the Itanium
/// C++ ABI that Linux and macOS builds share).
/// </summary>
public static unsafe class Nnpack
{
    const string GlobalContext = "_ZN2at13globalContextEv";              // at::globalContext()
    const string SetEnabled = "_ZN2at7Context20setUserEnabledNNPACKEb";   // at::Context::setUserEnabledNNPACK(bool)
    const string GetEnabled = "_ZNK2at7Context17userEnabledNNPACKEv";     // at::Context::userEnabledNNPACK() const

    /// <summary>Whether libtorch may use NNPACK now; null where libtorch_cpu or its symbols were not found.</summary>
    public static bool? Enabled => Context() is { } c ? ((delegate* unmanaged<IntPtr, byte>)c.Get)(c.Context) != 0 : null;

    /// <summary>Sets libtorch's NNPACK switch; returns false (and changes nothing) where the symbols are missing.</summary>
    public static bool TrySet(bool enabled)
    {
        if (Context() is not { } c) return false;
        ((delegate* unmanaged<IntPtr, byte, void>)c.Set)(c.Context, enabled ? (byte)1 : (byte)0);
        return true;
    }

    readonly record struct Handles(IntPtr Context, IntPtr Set, IntPtr Get);

    static Handles? Context()
    {
        var dir = NativeRuntime.LibTorchDirectory;
        if (dir is null || !NativeLibrary.TryLoad(Path.Combine(dir, "libtorch_cpu.so"), out var lib)) return null;
        if (!NativeLibrary.TryGetExport(lib, GlobalContext, out var global)
            || !NativeLibrary.TryGetExport(lib, SetEnabled, out var set)
            || !NativeLibrary.TryGetExport(lib, GetEnabled, out var get)) return null;
        return new Handles(((delegate* unmanaged<IntPtr>)global)(), set, get);
    }
}
