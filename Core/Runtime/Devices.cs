// Device names from the command line ("cpu", "cuda", "cuda:1") to torch devices, with clear errors.
using TorchSharp;
using SnnDsl.Core.Training;

namespace SnnDsl.Core.Runtime;

public static class Devices
{
    /// <summary>Parses a device name; refuses CUDA when this build or machine has none, saying which.</summary>
    public static torch.Device Parse(string name)
    {
        NativeRuntime.EnsureLoaded();
        var text = name.Trim().ToLowerInvariant();
        if (text == "cpu") return torch.CPU;
        if (text == "cuda" || text.StartsWith("cuda:"))
        {
            if (!torch.cuda.is_available())
                throw new ConfigException($"device '{name}': no CUDA device is usable here (this build uses the CPU libtorch unless built with -p:SnnCuda=true, and the machine needs an NVIDIA driver)");
            int index = text == "cuda" ? 0 : ParseIndex(name, text[5..]);
            if (index >= torch.cuda.device_count())
                throw new ConfigException($"device '{name}': only {torch.cuda.device_count()} CUDA device(s) present");
            return torch.device(DeviceType.CUDA, index);
        }
        throw new ConfigException($"unknown device '{name}'; expected cpu, cuda or cuda:<index>");
    }

    /// <summary>Waits until every kernel queued on <paramref name="device"/> has finished (a no-op on the CPU, whose work is synchronous).</summary>
    public static void Synchronise(torch.Device device)
    {
        if (device.type == DeviceType.CUDA) torch.cuda.synchronize(device);
    }

    static int ParseIndex(string name, string digits) =>
        int.TryParse(digits, out var index) && index >= 0 ? index
            : throw new ConfigException($"device '{name}': expected cuda:<index> with a non-negative number");
}
