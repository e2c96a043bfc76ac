// Device names from the command line ("cpu", "cuda", "cuda:1") to torch devices, with clear errors.
using TorchSharp;
using SnnDsl.Core.Errors;

namespace SnnDsl.Core.Runtime;

/// <summary>A device name that cannot be used here; the message names it.</summary>
public sealed class DeviceException(string message) : UserException(message);

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
                throw new DeviceException($"device '{name}': no CUDA device is usable here (this build uses the CPU libtorch unless built with -p:SnnCuda=true, and the machine needs an NVIDIA driver)");
            int index = text == "cuda" ? 0 : ParseIndex(name, text[5..]);
            if (index >= torch.cuda.device_count())
                throw new DeviceException($"device '{name}': only {torch.cuda.device_count()} CUDA device(s) present");
            return torch.device(DeviceType.CUDA, index);
        }
        throw new DeviceException($"unknown device '{name}'; expected cpu, cuda or cuda:<index>");
    }

    /// <summary>Waits until every kernel queued on <paramref name="device"/> has finished (a no-op on the CPU, whose work is synchronous).</summary>
    public static void Synchronise(torch.Device device)
    {
        if (device.type == DeviceType.CUDA) torch.cuda.synchronize(device);
    }

    static int ParseIndex(string name, string digits) =>
        int.TryParse(digits, out var index) && index >= 0 ? index
            : throw new DeviceException($"device '{name}': expected cuda:<index> with a non-negative number");
}
