// The command-line and config.json spellings of an enum's values, in one table per enum, with aliases and clear errors.
using System.Text.Json;
using System.Text.Json.Serialization;

namespace SnnDsl.Core.Settings;

/// <summary>
/// Names of an enum's values: the first spelling of a value is the one written; later rows with the same value are
/// aliases accepted on reading (e.g. "1/t" for "1/T"). Matching ignores case and surrounding spaces.
/// </summary>
public sealed class NameTable<T>(string what, params (string Name, T Value)[] rows) where T : struct, Enum
{
    /// <summary>What the values are called in messages ("estimator", "schedule").</summary>
    public string What { get; } = what;

    /// <summary>Every row, aliases included, in table order.</summary>
    public IReadOnlyList<(string Name, T Value)> Rows { get; } = rows;

    /// <summary>The written names, one per value.</summary>
    public IEnumerable<string> Names => Rows.DistinctBy(r => r.Value).Select(r => r.Name);

    public string NameOf(T value)
    {
        foreach (var row in Rows) if (EqualityComparer<T>.Default.Equals(row.Value, value)) return row.Name;
        throw new ArgumentOutOfRangeException(nameof(value), value, $"no name for this {What}");
    }

    /// <summary>The value of a name, or null when the name is unknown.</summary>
    public T? TryParse(string name)
    {
        foreach (var row in Rows) if (string.Equals(row.Name, name.Trim(), StringComparison.OrdinalIgnoreCase)) return row.Value;
        return null;
    }

    /// <summary>The value of a name; an unknown name is a settings error listing the known ones.</summary>
    public T Parse(string name) => TryParse(name) ?? throw new ConfigException($"unknown {What} '{name}'; expected {Expected}");

    /// <summary>"a, b or c".</summary>
    public string Expected
    {
        get
        {
            var names = Names.ToList();
            return names.Count == 1 ? names[0] : string.Join(", ", names.Take(names.Count - 1)) + " or " + names[^1];
        }
    }

    /// <summary>The JSON converter that reads and writes these names.</summary>
    public JsonConverter<T> Converter => new NameConverter(this);

    sealed class NameConverter(NameTable<T> table) : JsonConverter<T>
    {
        public override T Read(ref Utf8JsonReader reader, Type typeToConvert, JsonSerializerOptions options) =>
            reader.TokenType == JsonTokenType.String
                ? table.Parse(reader.GetString()!)
                : throw new ConfigException($"the {table.What} must be a string: {table.Expected}");

        public override void Write(Utf8JsonWriter writer, T value, JsonSerializerOptions options) => writer.WriteStringValue(table.NameOf(value));
    }
}
