// Thin P/Invoke over Open MPI's libmpi.so.40: the few calls data-parallel training needs, bound at run time.
using System.Runtime.InteropServices;

namespace SnnDsl.Core.Distributed;

/// <summary>Open MPI is not installed, or a call failed; the message says what to do.</summary>
public sealed class MpiException(string message) : Exception(message);

/// <summary>The element types the collectives move.</summary>
public enum MpiType { Byte, Float, Double }

/// <summary>The reductions the collectives use.</summary>
public enum MpiOp { Sum, Min, Max }

/// <summary>
/// Binds MPI_Init_thread, MPI_Comm_rank/size, MPI_Allreduce, MPI_Bcast, MPI_Barrier, MPI_Abort and MPI_Finalize of
/// Open MPI. Open MPI's predefined handles (MPI_COMM_WORLD, MPI_FLOAT, MPI_SUM, ...) are the ADDRESSES of exported
/// objects (<c>ompi_mpi_comm_world</c>, ...), so they are looked up as symbols. MPICH-style integer handles and the
/// MPI.NET package do not apply (../shared/PLATFORM.md). Every call is on the world communicator.
/// </summary>
public static unsafe class MpiNative
{
    const string Library = "libmpi.so.40";
    const int Success = 0, ThreadSerialized = 2;
    static readonly IntPtr InPlace = 1; // Open MPI's MPI_IN_PLACE

    static IntPtr _lib, _world;
    static readonly Dictionary<MpiType, IntPtr> Types = new();
    static readonly Dictionary<MpiOp, IntPtr> Ops = new();

    /// <summary>Loads the library (idempotent); a missing library becomes a message naming the packages to install.</summary>
    public static void Load()
    {
        if (_lib != IntPtr.Zero) return;
        if (!NativeLibrary.TryLoad(Library, out var lib))
            throw new MpiException($"this job was launched by mpirun but Open MPI's {Library} cannot be loaded; install it (Debian/Ubuntu: apt-get install -y openmpi-bin libopenmpi-dev)");
        _lib = lib;
        _world = Symbol("ompi_mpi_comm_world");
        Types[MpiType.Byte] = Symbol("ompi_mpi_byte");
        Types[MpiType.Float] = Symbol("ompi_mpi_float");
        Types[MpiType.Double] = Symbol("ompi_mpi_double");
        Ops[MpiOp.Sum] = Symbol("ompi_mpi_op_sum");
        Ops[MpiOp.Min] = Symbol("ompi_mpi_op_min");
        Ops[MpiOp.Max] = Symbol("ompi_mpi_op_max");
    }

    /// <summary>
    /// The MPI library's own version line (MPI_Get_library_version, callable before MPI_Init), or null when
    /// libmpi.so.40 cannot be loaded here: what `snn doctor` reports.
    /// </summary>
    public static string? LibraryVersion()
    {
        if (!NativeLibrary.TryLoad(Library, out var lib)) return null;
        if (!NativeLibrary.TryGetExport(lib, "MPI_Get_library_version", out var function)) return null;
        var buffer = new byte[8192]; // MPI_MAX_LIBRARY_VERSION_STRING is 256 in Open MPI; generous for others
        int length = 0;
        fixed (byte* p = buffer) ((delegate* unmanaged<byte*, int*, int>)function)(p, &length);
        return VersionLine(buffer, length);
    }

    /// <summary>
    /// The first line of a version buffer of <paramref name="length"/> bytes, up to its first NUL: Open MPI counts the
    /// terminating NUL in the length, and a NUL printed to a log makes grep treat the whole log as binary.
    /// </summary>
    public static string? VersionLine(byte[] buffer, int length)
    {
        int end = Math.Clamp(length, 0, buffer.Length);
        int nul = Array.IndexOf(buffer, (byte)0, 0, end);
        var text = System.Text.Encoding.ASCII.GetString(buffer, 0, nul >= 0 ? nul : end);
        return text.Split('\n', StringSplitOptions.RemoveEmptyEntries).FirstOrDefault()?.Trim().TrimEnd(',');
    }

    static IntPtr Symbol(string name) => NativeLibrary.GetExport(_lib, name);

    /// <summary>MPI_Init_thread with MPI_THREAD_SERIALIZED (autograd may call from its own thread, never concurrently), unless already initialised.</summary>
    public static void Init()
    {
        Load();
        int flag;
        Check(((delegate* unmanaged<int*, int>)Symbol("MPI_Initialized"))(&flag), "MPI_Initialized");
        if (flag != 0) return;
        int provided;
        Check(((delegate* unmanaged<int*, IntPtr, int, int*, int>)Symbol("MPI_Init_thread"))(null, IntPtr.Zero, ThreadSerialized, &provided), "MPI_Init_thread");
    }

    public static int Rank() => WorldQuery("MPI_Comm_rank");

    public static int Size() => WorldQuery("MPI_Comm_size");

    static int WorldQuery(string function)
    {
        int value;
        Check(((delegate* unmanaged<IntPtr, int*, int>)Symbol(function))(_world, &value), function);
        return value;
    }

    /// <summary>In-place all-reduce of <paramref name="count"/> elements at <paramref name="buffer"/>.</summary>
    public static void AllReduce(void* buffer, int count, MpiType type, MpiOp op) =>
        Check(((delegate* unmanaged<IntPtr, void*, int, IntPtr, IntPtr, IntPtr, int>)Symbol("MPI_Allreduce"))(InPlace, buffer, count, Types[type], Ops[op], _world), "MPI_Allreduce");

    /// <summary>Broadcast of <paramref name="count"/> elements at <paramref name="buffer"/> from <paramref name="root"/>.</summary>
    public static void Broadcast(void* buffer, int count, MpiType type, int root) =>
        Check(((delegate* unmanaged<void*, int, IntPtr, int, IntPtr, int>)Symbol("MPI_Bcast"))(buffer, count, Types[type], root, _world), "MPI_Bcast");

    public static void Barrier() => Check(((delegate* unmanaged<IntPtr, int>)Symbol("MPI_Barrier"))(_world), "MPI_Barrier");

    /// <summary>Terminates every process of the job with <paramref name="code"/> (mpirun reports it); does not return.</summary>
    public static void Abort(int code) => ((delegate* unmanaged<IntPtr, int, int>)Symbol("MPI_Abort"))(_world, code);

    /// <summary>MPI_Finalize, unless MPI was already finalised.</summary>
    public static void Shutdown()
    {
        int finalized;
        Check(((delegate* unmanaged<int*, int>)Symbol("MPI_Finalized"))(&finalized), "MPI_Finalized");
        if (finalized == 0) Check(((delegate* unmanaged<int>)Symbol("MPI_Finalize"))(), "MPI_Finalize");
    }

    static void Check(int code, string function)
    {
        if (code != Success) throw new MpiException($"{function} failed with MPI error code {code}");
    }
}
