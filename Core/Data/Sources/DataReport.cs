// What a run records about its data: where it came from, the split rule, and the samples that could not be used.
using System.Text.Json;

namespace SnnDsl.Core.Data.Sources;

/// <summary>
/// The data of a run as the run log and data.json show it. <see cref="Skipped"/> are samples dropped when the
/// dataset was opened (unreadable recordings, empty class folders); <see cref="Failed"/> are samples that failed
/// while loading (corrupt JPEGs, replaced by the next image), read when asked so the count at the end is complete.
/// </summary>
public sealed class DataReport(string dataset, IReadOnlyList<string> description, int trainSamples, int testSamples,
    IReadOnlyList<string> skipped, Func<IReadOnlyCollection<string>> failed)
{
    public const string FileName = "data.json";

    static readonly JsonSerializerOptions Json = new()
    {
        WriteIndented = true,
        PropertyNamingPolicy = JsonNamingPolicy.KebabCaseLower,
        Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping, // '+' and '±' as written
    };

    public string Dataset => dataset;

    /// <summary>Lines for the run log: source folder, split rule, sample counts, preprocessing.</summary>
    public IReadOnlyList<string> Description => description;

    public int TrainSamples => trainSamples;
    public int TestSamples => testSamples;

    /// <summary>"file: reason" for each sample left out when opening.</summary>
    public IReadOnlyList<string> Skipped => skipped;

    /// <summary>"file: reason" for each sample that failed to load so far.</summary>
    public IReadOnlyCollection<string> Failed => failed();

    /// <summary>A report for data that has nothing to skip and cannot fail per sample.</summary>
    public static DataReport Plain(string dataset, string description, int trainSamples, int testSamples) =>
        new(dataset, [description], trainSamples, testSamples, [], () => []);

    /// <summary>The closing line of the run log.</summary>
    public string Summary() =>
        $"data: {Skipped.Count} samples skipped when opening, {Failed.Count} failed to load ({Dataset}; details in {FileName})";

    /// <summary>data.json: the description, counts, and every skipped or failed sample.</summary>
    public string ToJson()
    {
        var failed = Failed.Order(StringComparer.Ordinal).ToArray();
        return JsonSerializer.Serialize(new
        {
            Dataset, Description, TrainSamples, TestSamples,
            SkippedCount = Skipped.Count, FailedCount = failed.Length, Skipped, Failed = failed,
        }, Json);
    }

    /// <summary>Writes data.json into <paramref name="folder"/> (replacing an earlier one).</summary>
    public void WriteTo(string folder) => File.WriteAllText(Path.Combine(folder, FileName), ToJson());
}
