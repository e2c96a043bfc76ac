// A run as its directory records it: config.json and network.snn, read once, the network checked against its hash.
using System.Security.Cryptography;
using System.Text;
using SnnDsl.Core.Settings;

namespace SnnDsl.Core.Runs;

/// <summary>
/// The recorded config and network of the run in <paramref name="Path"/>. Resume and eval read it once and pass it on
/// (to <see cref="RunDirectory.Open"/>, to the network compiler, to <see cref="Run.Open"/>).
/// </summary>
public sealed record RecordedRun(string Path, TrainingConfig Config, string NetworkSource)
{
    /// <summary>The run's copy of its network file.</summary>
    public string NetworkFile => System.IO.Path.Combine(Path, RunDirectory.NetworkName);

    /// <summary>Reads the run's config and network source, refusing a network edited since the run began.</summary>
    public static RecordedRun Read(string path)
    {
        var configFile = System.IO.Path.Combine(path, RunDirectory.ConfigName);
        if (!File.Exists(configFile)) throw new RunException($"'{path}' is not a run directory (no {RunDirectory.ConfigName})");
        var json = ReadFile(path, RunDirectory.ConfigName);
        var config = RecordedBeforePreciseBn(json, TrainingConfig.FromJson(json, configFile));
        var source = ReadFile(path, RunDirectory.NetworkName);
        var hashFile = System.IO.Path.Combine(path, RunDirectory.HashName);
        if (File.Exists(hashFile))
        {
            var recorded = File.ReadAllText(hashFile).Trim();
            if (recorded != Hash(source))
                throw new RunException($"{System.IO.Path.Combine(path, RunDirectory.NetworkName)} was changed after the run started (its SHA-256 differs from " +
                    $"{RunDirectory.HashName}); restore the original file, or start a new run with the edited network");
        }
        return new RecordedRun(path, config, source);
    }

    /// <summary>
    /// A run recorded before the precise-bn-batches setting existed evaluated with the running averages training left:
    /// it resumes and evaluates as it began (0), not with today's default.
    /// </summary>
    static TrainingConfig RecordedBeforePreciseBn(string json, TrainingConfig config) =>
        System.Text.Json.Nodes.JsonNode.Parse(json) is System.Text.Json.Nodes.JsonObject root && !root.ContainsKey("precise-bn-batches")
            ? config with { Schedule = config.Schedule with { PreciseBnBatches = 0 } }
            : config;

    public static string Hash(string text) => Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(text)));

    static string ReadFile(string dir, string name)
    {
        var file = System.IO.Path.Combine(dir, name);
        try { return File.ReadAllText(file); }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new RunException($"cannot read {file}: {e.Message}; the run directory is incomplete or not readable");
        }
    }
}
