// Bytes held by live tensors: the storages reachable from the tensor handles of dispose scopes, each counted once.
using TorchSharp;
using static TorchSharp.torch;

namespace SnnDsl.Core.Metrics;

/// <summary>
/// Counts the bytes of the distinct storages behind the live (not disposed) tensors registered in dispose scopes.
/// Views, detached aliases and in-place results share a storage and are counted once. Tensors that only the autograd
/// graph holds (saved inside native ops) are not seen; everything a layer creates in TorchSharp is.
/// </summary>
public static class TensorMemory
{
    /// <summary>Bytes of the distinct storages held by live tensors of the given scopes (null scopes are skipped).</summary>
    public static long LiveBytes(params DisposeScope?[] scopes)
    {
        var seen = new HashSet<IntPtr>();
        long total = 0;
        foreach (var scope in scopes.Distinct())
        {
            if (scope is null) continue;
            foreach (var item in scope.DisposablesView)
                if (item is Tensor t && !t.IsInvalid) total += Count(t, seen);
        }
        return total;
    }

    static long Count(Tensor t, HashSet<IntPtr> seen)
    {
        var (pointer, bytes) = StorageOf(t);
        if (pointer == IntPtr.Zero) return t.numel() * t.element_size();
        return seen.Add(pointer) ? bytes : 0;
    }

    /// <summary>The data pointer and size of a tensor's storage; (0, 0) for dtypes without a typed storage view here.</summary>
    static (IntPtr Pointer, long Bytes) StorageOf(Tensor t) => t.dtype switch
    {
        ScalarType.Float32 => Of(t.storage<float>()),
        ScalarType.Float64 => Of(t.storage<double>()),
        ScalarType.Int64 => Of(t.storage<long>()),
        ScalarType.Int32 => Of(t.storage<int>()),
        ScalarType.Byte => Of(t.storage<byte>()),
        ScalarType.Bool => Of(t.storage<bool>()),
        _ => (IntPtr.Zero, 0),
    };

    static (IntPtr, long) Of<T>(Storage<T> storage) where T : unmanaged
    {
        using (storage) return (storage.data_ptr(), (long)storage.nbytes());
    }
}
