// Reading and writing network weights: our weights files (safetensors of the state dict), safetensors and PyTorch .pt state dicts.
using System.Collections;
using System.IO.Compression;
using System.Text;
using TorchSharp;
using TorchSharp.PyBridge;
using static TorchSharp.torch;

namespace SnnDsl.Core.Model;

/// <summary>How file tensors find their network tensors: by state-dict name, or by position with shape checks.</summary>
public enum WeightMapping { ByName, ByOrder }

/// <summary>File formats for weights.</summary>
public enum WeightFormat { Safetensors, PyTorch }

/// <summary>A weights file that cannot be read or does not fit the network: a user error with an exact message.</summary>
public sealed class WeightsException(string message) : Errors.UserException(message);

/// <summary>
/// Weights I/O. Our weights file (and checkpoint, until the trainer defines more) is a safetensors file of the network's
/// state_dict(): parameter and buffer names as `snn check` lists them. PyTorch .pt/.pth files are state dicts
/// written by torch.save (read through TorchSharp.PyBridge); anything else is read as safetensors.
/// </summary>
public static class WeightIO
{
    /// <summary>The tensors of a weights file, in file order.</summary>
    public static List<KeyValuePair<string, Tensor>> Read(string path)
    {
        if (!File.Exists(path)) throw new WeightsException($"no such weights file '{path}'");
        try
        {
            return FormatOf(path) == WeightFormat.PyTorch ? ReadPyTorch(path) : Safetensors.LoadStateDict(path).ToList();
        }
        catch (Exception e) when (e is not WeightsException)
        {
            throw new WeightsException($"cannot read weights from '{path}' as {FormatOf(path)}: {e.Message}");
        }
    }

    /// <summary>.pt/.pth/.pkl → PyTorch, everything else → safetensors.</summary>
    public static WeightFormat FormatOf(string path) =>
        Path.GetExtension(path).ToLowerInvariant() is ".pt" or ".pth" or ".pkl" ? WeightFormat.PyTorch : WeightFormat.Safetensors;

    /// <summary>Reads a file and copies it into the network's state (parameters and buffers) under no_grad.</summary>
    public static void Load(nn.Module network, string path, WeightMapping mapping) => Load(network, path, new WeightMap(mapping));

    /// <summary>Reads a file and copies it into the network's state; a name map first renames the file's tensors to ours.</summary>
    public static void Load(nn.Module network, string path, WeightMap map)
    {
        using var scope = NewDisposeScope();
        var source = Read(path);
        Apply(network, map.Names is null ? source : map.Names.ToOurs(source), map.Mapping);
    }

    /// <summary>Copies source tensors into the network's state; throws <see cref="WeightsException"/> naming the first tensor that does not fit.</summary>
    public static void Apply(nn.Module network, IReadOnlyList<KeyValuePair<string, Tensor>> source, WeightMapping mapping)
    {
        RefuseNonFinite(source);
        var target = StateDict(network);
        var pairs = mapping == WeightMapping.ByName ? PairByName(target, source) : PairByOrder(target, source);
        using var _ = no_grad();
        foreach (var (into, from) in pairs) into.copy_(from);
    }

    /// <summary>A file whose floating-point tensors hold NaN or infinity is refused, naming the first such tensor.</summary>
    static void RefuseNonFinite(IReadOnlyList<KeyValuePair<string, Tensor>> source)
    {
        foreach (var (name, tensor) in source)
            if (tensor.is_floating_point() && !isfinite(tensor).all().item<bool>())
                throw new WeightsException($"the file's tensor '{name}' holds NaN or infinity; these weights come from a diverged run and cannot be used");
    }

    static List<(Tensor Into, Tensor From)> PairByName(List<KeyValuePair<string, Tensor>> target, IReadOnlyList<KeyValuePair<string, Tensor>> source)
    {
        var byName = source.ToDictionary(kv => kv.Key, kv => kv.Value);
        var missing = target.Where(kv => !byName.ContainsKey(kv.Key)).Select(kv => kv.Key).ToList();
        if (missing.Count > 0)
            throw new WeightsException($"the file has no tensor '{missing[0]}' ({missing.Count} of the network's {target.Count} missing); if its names differ, use --weights-map order");
        var known = target.Select(kv => kv.Key).ToHashSet();
        var extra = source.FirstOrDefault(kv => !known.Contains(kv.Key));
        if (extra.Key is not null) throw new WeightsException($"the file's tensor '{extra.Key}' has no place in the network");
        var filePosition = source.Select((kv, i) => (kv.Key, i)).ToDictionary(p => p.Key, p => p.i + 1);
        return target.Select((kv, i) => (kv.Value, Fit(kv.Key, kv.Value, i + 1, kv.Key, byName[kv.Key], filePosition[kv.Key]))).ToList();
    }

    static List<(Tensor Into, Tensor From)> PairByOrder(List<KeyValuePair<string, Tensor>> target, IReadOnlyList<KeyValuePair<string, Tensor>> source)
    {
        if (source.Count != target.Count)
            throw new WeightsException($"the file has {source.Count} tensors, the network {target.Count}: order mapping needs the same number");
        return target.Select((kv, i) => (kv.Value, Fit(kv.Key, kv.Value, i + 1, source[i].Key, source[i].Value, i + 1))).ToList();
    }

    // positions are 1-based, in PyTorch's order on the network's side
    static Tensor Fit(string name, Tensor into, int position, string fileName, Tensor from, int filePosition)
    {
        if (into.shape.SequenceEqual(from.shape)) return from;
        throw new WeightsException($"tensor {filePosition} of the file, '{fileName}', has shape {Show(from.shape)} " +
            $"but tensor {position} of the network, '{name}', has shape {Show(into.shape)}");
    }

    /// <summary>
    /// The network's parameters and buffers in PyTorch's state_dict order: module by module in registration order
    /// (depth-first), each module's own parameters and then its own buffers; the order `snn check` lists, and the
    /// order of a file written by torch.save(model.state_dict()). (TorchSharp's state_dict() lists every parameter
    /// before every buffer.)
    /// </summary>
    public static List<KeyValuePair<string, Tensor>> StateDict(nn.Module network)
    {
        var result = new List<KeyValuePair<string, Tensor>>();
        AddModule(network, "", result);
        return result;
    }

    static void AddModule(nn.Module module, string prefix, List<KeyValuePair<string, Tensor>> into)
    {
        foreach (var (name, p) in module.named_parameters(recurse: false)) into.Add(new(prefix + name, p));
        foreach (var (name, b) in module.named_buffers(recurse: false)) into.Add(new(prefix + name, b));
        foreach (var (name, child) in module.named_children()) AddModule(child, prefix + name + ".", into);
    }

    /// <summary>Shapes as [a, b, c].</summary>
    public static string Show(long[] shape) => "[" + string.Join(", ", shape) + "]";

    /// <summary>Writes the network's state dict (on the CPU, in PyTorch's order) as safetensors or a PyTorch .pt state dict.</summary>
    public static void Save(nn.Module network, string path, WeightFormat format) =>
        Write(StateDict(network), path, format);

    /// <summary>Writes named tensors (moved to the CPU) in the given format.</summary>
    public static void Write(IEnumerable<KeyValuePair<string, Tensor>> tensors, string path, WeightFormat format)
    {
        using var scope = NewDisposeScope();
        var cpu = tensors.ToDictionary(kv => kv.Key, kv => kv.Value.detach().cpu().contiguous());
        Directory.CreateDirectory(Path.GetDirectoryName(Path.GetFullPath(path))!);
        if (format == WeightFormat.PyTorch) PyTorchPickler.PickleStateDict(path, cpu);
        else Safetensors.SaveStateDict(path, cpu);
    }

    /// <summary>
    /// A torch.save state dict. PyBridge returns a Hashtable (unordered); the order is recovered from the pickle,
    /// where the keys appear in the OrderedDict's order as BINUNICODE strings.
    /// </summary>
    static List<KeyValuePair<string, Tensor>> ReadPyTorch(string path)
    {
        var table = PyTorchUnpickler.UnpickleStateDict(path);
        var tensors = new Dictionary<string, Tensor>();
        foreach (DictionaryEntry entry in table)
            if (entry.Key is string key && entry.Value is Tensor t) tensors[key] = t;
        var ordered = PickledStrings(path).Where(tensors.ContainsKey).Distinct().ToList();
        ordered.AddRange(tensors.Keys.Except(ordered).Order(StringComparer.Ordinal));
        return ordered.Select(k => new KeyValuePair<string, Tensor>(k, tensors[k])).ToList();
    }

    /// <summary>Strings of the pickle inside a torch.save zip (opcode 'X': 4-byte little-endian length + UTF-8), in order.</summary>
    static IEnumerable<string> PickledStrings(string path)
    {
        using var zip = ZipFile.OpenRead(path);
        var entry = zip.Entries.FirstOrDefault(e => e.FullName.EndsWith("data.pkl", StringComparison.Ordinal));
        if (entry is null) return [];
        using var stream = entry.Open();
        using var memory = new MemoryStream();
        stream.CopyTo(memory);
        return ScanStrings(memory.ToArray()).ToList();
    }

    static IEnumerable<string> ScanStrings(byte[] pickle)
    {
        for (int i = 0; i + 5 <= pickle.Length; i++)
        {
            if (pickle[i] != (byte)'X') continue;
            int length = BitConverter.ToInt32(pickle, i + 1);
            if (length <= 0 || i + 5 + length > pickle.Length) continue;
            yield return Encoding.UTF8.GetString(pickle, i + 5, length);
            i += 4 + length;
        }
    }
}
