// Name maps between a network's own tensor names and another code's (the paper's reference models), read from .names.tsv files.
namespace SnnDsl.Core.Model;

/// <summary>
/// A one-to-one map between the network's state-dict names and foreign ones (e.g. the reference code's), in the foreign
/// state dict's order. The file has one line per tensor, <c>our-name TAB foreign-name</c>; lines starting with '#' and
/// blank lines are comments. The zoo ships one beside each network whose names differ from the reference's:
/// <c>examples/networks/resnet18.names.tsv</c> for <c>resnet18.snn</c>.
/// </summary>
public sealed class NameMap
{
    readonly Dictionary<string, string> _toOurs, _toForeign;

    NameMap(IReadOnlyList<(string Ours, string Foreign)> pairs)
    {
        Pairs = pairs;
        _toOurs = pairs.ToDictionary(p => p.Foreign, p => p.Ours);
        _toForeign = pairs.ToDictionary(p => p.Ours, p => p.Foreign);
    }

    /// <summary>(our name, foreign name) in the foreign state dict's order.</summary>
    public IReadOnlyList<(string Ours, string Foreign)> Pairs { get; }

    public const string Extension = ".names.tsv";

    /// <summary>The map file beside a network file: <c>x.snn</c> → <c>x.names.tsv</c>.</summary>
    public static string PathBeside(string networkFile) =>
        Path.Combine(Path.GetDirectoryName(Path.GetFullPath(networkFile))!, Path.GetFileNameWithoutExtension(networkFile) + Extension);

    /// <summary>The map beside a network file; a <see cref="WeightsException"/> when there is none.</summary>
    public static NameMap Beside(string networkFile)
    {
        var path = PathBeside(networkFile);
        if (!File.Exists(path))
            throw new WeightsException($"no reference name map '{path}' beside the network file '{networkFile}'");
        return Read(path);
    }

    public static NameMap FromPairs(IEnumerable<(string Ours, string Foreign)> pairs) => Check(pairs.ToList(), "the name map");

    /// <summary>Reads a map file; a <see cref="WeightsException"/> with the line number when a line is malformed or a name repeats.</summary>
    public static NameMap Read(string path)
    {
        if (!File.Exists(path)) throw new WeightsException($"no such name map '{path}'");
        var pairs = new List<(string, string)>();
        var lines = File.ReadAllLines(path);
        for (int i = 0; i < lines.Length; i++)
        {
            var line = lines[i].Trim();
            if (line.Length == 0 || line.StartsWith('#')) continue;
            var cells = line.Split('\t');
            if (cells.Length != 2 || cells.Any(c => c.Trim().Length == 0))
                throw new WeightsException($"{path}:{i + 1}: expected 'our-name<TAB>reference-name', got '{line}'");
            pairs.Add((cells[0].Trim(), cells[1].Trim()));
        }
        return Check(pairs, path);
    }

    static NameMap Check(List<(string Ours, string Foreign)> pairs, string where)
    {
        var ours = pairs.GroupBy(p => p.Ours).FirstOrDefault(g => g.Count() > 1);
        if (ours is not null) throw new WeightsException($"{where}: the name '{ours.Key}' is mapped twice");
        var foreign = pairs.GroupBy(p => p.Foreign).FirstOrDefault(g => g.Count() > 1);
        if (foreign is not null) throw new WeightsException($"{where}: the reference name '{foreign.Key}' is mapped twice");
        return new NameMap(pairs);
    }

    /// <summary>A file's tensors under foreign names, renamed to ours (file order kept); a name the map lacks is refused.</summary>
    public List<KeyValuePair<string, T>> ToOurs<T>(IEnumerable<KeyValuePair<string, T>> foreign) =>
        foreign.Select(kv => new KeyValuePair<string, T>(
            _toOurs.TryGetValue(kv.Key, out var ours) ? ours
                : throw new WeightsException($"the file's tensor '{kv.Key}' is not in the name map"), kv.Value)).ToList();

    /// <summary>Our tensors under foreign names, in the map's (the foreign state dict's) order; every mapped name must be present.</summary>
    public List<KeyValuePair<string, T>> ToForeign<T>(IEnumerable<KeyValuePair<string, T>> ours)
    {
        var byName = ours.ToDictionary(kv => kv.Key, kv => kv.Value);
        var unmapped = byName.Keys.FirstOrDefault(k => !_toForeign.ContainsKey(k));
        if (unmapped is not null) throw new WeightsException($"the tensor '{unmapped}' is not in the name map");
        return Pairs.Select(p => new KeyValuePair<string, T>(p.Foreign,
            byName.TryGetValue(p.Ours, out var t) ? t : throw new WeightsException($"the name map's tensor '{p.Ours}' is not in the file"))).ToList();
    }
}

/// <summary>How a weights file is matched to a network, as the --weights-map setting names it.</summary>
/// <param name="Mapping">By name or by position.</param>
/// <param name="Names">For files under the reference's names: the map that renames them before matching by name.</param>
public sealed record WeightMap(WeightMapping Mapping, NameMap? Names = null)
{
    public const string Choices = "name, order, reference (the name map beside the network file) or a .names.tsv file";

    /// <summary>True for a setting <see cref="Parse"/> accepts (a .names.tsv path is checked when read).</summary>
    public static bool IsValid(string text) => Keyword(text) is not null || text.Trim().EndsWith(NameMap.Extension, StringComparison.Ordinal);

    /// <summary>
    /// name | order | reference (any case) | path/to/x.names.tsv, for a network read from <paramref name="networkFile"/>:
    /// the one parser of --weights-map for every command.
    /// </summary>
    public static WeightMap Parse(string text, string networkFile) => Keyword(text) switch
    {
        "name" => new(WeightMapping.ByName),
        "order" => new(WeightMapping.ByOrder),
        "reference" => new(WeightMapping.ByName, NameMap.Beside(networkFile)),
        _ when text.Trim().EndsWith(NameMap.Extension, StringComparison.Ordinal) => new(WeightMapping.ByName, NameMap.Read(text.Trim())),
        _ => throw new WeightsException($"'{text}' is not a weights mapping; expected {Choices}"),
    };

    static string? Keyword(string text) => text.Trim().ToLowerInvariant() switch
    {
        var k and ("name" or "order" or "reference") => k,
        _ => null,
    };
}
