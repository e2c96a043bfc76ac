// Reads a module's own parameters and buffers from TorchSharp's registry, the one place a device or dtype move updates.
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace SnnDsl.Core.Layers;

/// <summary>
/// TorchSharp's <c>Module.to(...)</c> creates a new tensor for every registered parameter and buffer and writes it only
/// into fields named exactly as registered. Layers therefore keep no references of their own: they look each tensor
/// up by its registered name whenever they use it (a dictionary lookup, negligible next to any tensor operation).
/// </summary>
static class Registry
{
    public static Parameter Parameter(nn.Module module, string name) =>
        OptionalParameter(module, name) ?? throw new InvalidOperationException($"module '{module.GetName()}' has no parameter '{name}'");

    public static Parameter? OptionalParameter(nn.Module module, string name) => module.get_parameter(name);

    public static Tensor Buffer(nn.Module module, string name) =>
        module.get_buffer(name) ?? throw new InvalidOperationException($"module '{module.GetName()}' has no buffer '{name}'");
}
