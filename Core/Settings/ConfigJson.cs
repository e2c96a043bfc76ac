// The flat kebab-case config.json of a TrainingConfig: each section's properties are top-level keys, as before sections existed.
using System.Reflection;
using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.Json.Serialization;

namespace SnnDsl.Core.Settings;

/// <summary>
/// Writes and reads <see cref="TrainingConfig"/> as one flat object (<c>"estimator"</c>, <c>"time-steps"</c>, ...), so
/// run directories written before the sections existed still resume. Keys come from the sections' properties
/// (kebab-case, or their JsonPropertyName); a key no section owns, or a null where the default is not null, is refused.
/// </summary>
public static class ConfigJson
{
    const string NetworkKey = "network", ParametersKey = "network-parameters";

    static readonly JsonSerializerOptions SectionOptions = CreateOptions(indented: false);

    public static readonly JsonSerializerOptions Indented = CreateOptions(indented: true);

    static JsonSerializerOptions CreateOptions(bool indented)
    {
        var options = new JsonSerializerOptions
        {
            WriteIndented = indented,
            PropertyNamingPolicy = JsonNamingPolicy.KebabCaseLower,
            DefaultIgnoreCondition = JsonIgnoreCondition.Never,
            UnmappedMemberHandling = JsonUnmappedMemberHandling.Disallow,
        };
        foreach (var converter in SettingNames.Converters) options.Converters.Add(converter);
        return options;
    }

    /// <summary>The section properties of TrainingConfig, each with the keys its record owns.</summary>
    static readonly IReadOnlyList<(PropertyInfo Property, IReadOnlyList<string> Keys)> Sections =
        [.. typeof(TrainingConfig).GetProperties()
            .Where(p => typeof(ISettingsSection).IsAssignableFrom(p.PropertyType))
            .Select(p => (p, (IReadOnlyList<string>)[.. SerializeSection(Activator.CreateInstance(p.PropertyType)!, p.PropertyType).Select(kv => kv.Key)]))];

    /// <summary>The defaults, as written.</summary>
    public static readonly JsonObject Defaults = Write(new TrainingConfig());

    public static readonly IReadOnlyList<string> Keys = [.. Defaults.Select(kv => kv.Key)];

    public static IEnumerable<ISettingsSection> SectionsOf(TrainingConfig config) =>
        Sections.Select(s => (ISettingsSection)s.Property.GetValue(config)!);

    static JsonObject SerializeSection(object section, Type type) => JsonSerializer.SerializeToNode(section, type, SectionOptions)!.AsObject();

    public static JsonObject Write(TrainingConfig config)
    {
        var root = new JsonObject
        {
            [NetworkKey] = config.Network,
            [ParametersKey] = JsonSerializer.SerializeToNode(config.NetworkParameters, SectionOptions),
        };
        foreach (var (property, _) in Sections)
            foreach (var (key, value) in SerializeSection(property.GetValue(config)!, property.PropertyType))
                root[key] = value?.DeepClone();
        return root;
    }

    /// <summary>Computed properties that config.json files written before the sections carried; ignored on reading.</summary>
    static readonly string[] FormerlyWritten = ["estimator-kind", "scaling"];

    public static TrainingConfig Read(JsonObject root, string source)
    {
        foreach (var key in FormerlyWritten) root.Remove(key);
        foreach (var (key, value) in root)
        {
            if (!Defaults.ContainsKey(key)) throw new ConfigException($"{source}: unknown setting '{key}'; the settings are: {string.Join(", ", Keys)}");
            if (value is null && Defaults[key] is not null)
                throw new ConfigException($"{source}: '{key}' is null; give it a value, or leave it out for the default {TrainingConfig.DefaultOf(key)}");
        }
        var config = new TrainingConfig
        {
            Network = Value<string>(root, NetworkKey, source) ?? new TrainingConfig().Network,
            NetworkParameters = Value<Dictionary<string, string>>(root, ParametersKey, source) ?? new(),
        };
        foreach (var (property, keys) in Sections)
        {
            var part = new JsonObject();
            foreach (var key in keys) if (root.ContainsKey(key)) part[key] = root[key]?.DeepClone();
            property.SetValue(config, Deserialize(part, property.PropertyType, source));
        }
        return config;
    }

    static T? Value<T>(JsonObject root, string key, string source) =>
        root.TryGetPropertyValue(key, out var node) ? (T?)Deserialize(node, typeof(T), source, key) : default;

    static object Deserialize(JsonNode? node, Type type, string source, string? key = null)
    {
        try { return node.Deserialize(type, SectionOptions) ?? throw new ConfigException($"{source}: '{key}' is null"); }
        catch (JsonException e)
        {
            var name = key ?? e.Path?.TrimStart('$', '.') ?? "a setting";
            throw new ConfigException($"{source}: '{name}' has the wrong type: {e.Message}");
        }
    }
}
