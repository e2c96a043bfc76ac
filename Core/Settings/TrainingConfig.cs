// Every setting of a training run in typed sections, with defaults and checks per section; serialised as the run's flat config.json.
using System.Text.Json;
using System.Text.Json.Nodes;
using SnnDsl.Core.Data;

namespace SnnDsl.Core.Settings;

/// <summary>
/// The resolved settings of a run (defaults &lt; --config file &lt; flags, resolved by the runner), in sections. Its
/// config.json is flat and kebab-case (<c>"time-steps": 4</c>), the same keys as the flags, and is written to the run
/// directory before the first step; a resumed run reads it back. A new setting is one property of a section.
/// </summary>
public sealed record TrainingConfig
{
    public string Network { get; init; } = "examples/networks/fashion_cnn.snn";
    public Dictionary<string, string> NetworkParameters { get; init; } = new();
    public EstimatorSettings Estimator { get; init; } = new();
    public OptimizerSettings Optimizer { get; init; } = new();
    public ScheduleSettings Schedule { get; init; } = new();
    public DataSettings Data { get; init; } = new();
    public EventSettings Events { get; init; } = new();
    public RuntimeSettings Runtime { get; init; } = new();

    /// <summary>Refuses settings that cannot run, with a message naming the setting.</summary>
    public TrainingConfig Validated()
    {
        Check.Require(!string.IsNullOrWhiteSpace(Network), "the network file must be named");
        foreach (var section in ConfigJson.SectionsOf(this)) section.Validate();
        if (Data.Dataset.Equals(DatasetNames.Cifar10Dvs, StringComparison.OrdinalIgnoreCase)) Events.ValidateFor(Estimator.TimeSteps);
        return this;
    }

    /// <summary>The CIFAR10-DVS frame settings of this run (frames = T unless set).</summary>
    public Data.DvsSettings DvsFrameSettings() => Events.FrameSettings(Estimator.TimeSteps);

    public string ToJson() => ConfigJson.Write(this).ToJsonString(ConfigJson.Indented);

    /// <summary>Every key of config.json, in the order it is written.</summary>
    public static IReadOnlyList<string> Keys => ConfigJson.Keys;

    /// <summary>The default value of a key as written in config.json ("4", "rate-m"), for help texts.</summary>
    public static string DefaultOf(string key) => Written(ConfigJson.Defaults[key]);

    /// <summary>The value of a key in this config as config.json writes it, for the help of a command with its own defaults.</summary>
    public string ValueOf(string key) => Written(ConfigJson.Write(this)[key]);

    static string Written(JsonNode? node) => node switch
    {
        null => "none",
        JsonValue v when v.TryGetValue<string>(out var s) => s,
        _ => node.ToJsonString(),
    };

    /// <summary>
    /// A copy with settings replaced by config.json key ("time-steps", "network-parameters.classes", ...). The one way
    /// flags and files change a config, so every key means the same everywhere.
    /// </summary>
    public TrainingConfig With(IEnumerable<(string Key, JsonNode? Value)> values, string source)
    {
        var node = ConfigJson.Write(this);
        foreach (var (key, value) in values)
        {
            var dot = key.IndexOf('.');
            if (dot < 0) node[key] = value?.DeepClone();
            else node[key[..dot]]!.AsObject()[key[(dot + 1)..]] = value?.DeepClone();
        }
        return ConfigJson.Read(node, source);
    }

    /// <summary>Reads a config; unknown keys, nulls and wrong types are errors that name the key.</summary>
    public static TrainingConfig FromJson(string json, string source)
    {
        JsonNode? node;
        try { node = JsonNode.Parse(json); }
        catch (JsonException e) { throw new ConfigException($"{source} is not valid JSON: {e.Message}"); }
        return node is JsonObject root ? ConfigJson.Read(root, source) : throw new ConfigException($"{source}: expected a JSON object of settings");
    }
}

/// <summary>A setting that cannot be used; the message names it.</summary>
public sealed class ConfigException(string message) : Errors.UserException(message);
