// Resuming a data-parallel job: rank 0 reads its checkpoint, every rank restores the same state from rank 0's bytes.
namespace SnnDsl.Core.Runs;

using SnnDsl.Core.Model;
using TorchSharp.Modules;
using SnnDsl.Core.Settings;
using SnnDsl.Core.Distributed;

/// <summary>
/// Rank 0 packs the files of its checkpoint folder, the collective gives them to every rank, and each rank restores
/// them with <see cref="Checkpoint.Load"/>: weights, BN buffers, momentum, progress and RNG become rank 0's, whatever
/// the world size was when the checkpoint was written. With one process it is a plain load.
/// </summary>
public static class SharedCheckpoint
{
    public static CheckpointState Load(string? folderOnRank0, SpikingNetwork network, OptimizerHelper optimizer, ICollective collective)
    {
        if (collective.WorldSize == 1) return Checkpoint.Load(folderOnRank0!, network, optimizer);
        if (collective.Rank == 0 && Checkpoint.TryReadState(folderOnRank0!) is null)
            throw new RunException($"{folderOnRank0} is not a checkpoint (no state.json); cannot resume");
        var packed = collective.BroadcastBytes(collective.Rank == 0 ? Pack(folderOnRank0!) : []);
        var local = Path.Combine(Path.GetTempPath(), $"snn-resume-{Environment.ProcessId}");
        try
        {
            Unpack(packed, local);
            return Checkpoint.Load(local, network, optimizer);
        }
        finally
        {
            if (Directory.Exists(local)) Directory.Delete(local, recursive: true);
        }
    }

    // [count] then per file [name, length, bytes]
    static byte[] Pack(string folder)
    {
        using var stream = new MemoryStream();
        using (var writer = new BinaryWriter(stream))
        {
            var files = Directory.GetFiles(folder);
            writer.Write(files.Length);
            foreach (var file in files)
            {
                var bytes = File.ReadAllBytes(file);
                writer.Write(Path.GetFileName(file));
                writer.Write(bytes.Length);
                writer.Write(bytes);
            }
        }
        return stream.ToArray();
    }

    static void Unpack(byte[] packed, string folder)
    {
        Directory.CreateDirectory(folder);
        using var reader = new BinaryReader(new MemoryStream(packed));
        int count = reader.ReadInt32();
        for (int i = 0; i < count; i++)
        {
            var name = reader.ReadString();
            var bytes = reader.ReadBytes(reader.ReadInt32());
            File.WriteAllBytes(Path.Combine(folder, Path.GetFileName(name)), bytes);
        }
    }
}
