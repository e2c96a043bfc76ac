// Recognises a process started by Open MPI's mpirun from its environment, and maps its rank to a device.
using TorchSharp;
using static TorchSharp.torch;

namespace SnnDsl.Core.Distributed;

/// <summary>Where this process sits in an mpirun job: global rank, world size, rank on this node.</summary>
public sealed record MpiLaunch(int Rank, int WorldSize, int LocalRank)
{
    /// <summary>The job mpirun started this process in (OMPI_COMM_WORLD_*), or null for a plain launch.</summary>
    public static MpiLaunch? FromEnvironment() => FromVariables(Environment.GetEnvironmentVariable);

    /// <summary>As <see cref="FromEnvironment"/>, reading variables through <paramref name="variable"/>.</summary>
    public static MpiLaunch? FromVariables(Func<string, string?> variable)
    {
        if (!int.TryParse(variable("OMPI_COMM_WORLD_SIZE"), out var size)) return null;
        int.TryParse(variable("OMPI_COMM_WORLD_RANK"), out var rank);
        if (!int.TryParse(variable("OMPI_COMM_WORLD_LOCAL_RANK"), out var local)) local = rank;
        return new MpiLaunch(rank, size, local);
    }

    /// <summary>
    /// The device of this rank: a CUDA device in the config becomes cuda:LocalRank (one process per GPU; wrapped
    /// around the visible devices), CPU stays CPU.
    /// </summary>
    public Device DeviceFor(Device configured) =>
        DeviceFor(configured, configured.type == DeviceType.CUDA ? cuda.device_count() : 0);

    /// <summary>As <see cref="DeviceFor(Device)"/> with the number of visible CUDA devices given (OMPI_COMM_WORLD_LOCAL_RANK → cuda:i).</summary>
    public Device DeviceFor(Device configured, int visibleDevices)
    {
        if (configured.type != DeviceType.CUDA) return configured;
        return new Device(DeviceType.CUDA, LocalRank % Math.Max(visibleDevices, 1));
    }
}
