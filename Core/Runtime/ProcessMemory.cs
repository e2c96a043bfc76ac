// The process's resident-memory figures from /proc (Linux), for run summaries and benchmarks.
namespace SnnDsl.Core.Runtime;

public static class ProcessMemory
{
    /// <summary>Peak resident set size (VmHWM) in bytes, or null where /proc is not available.</summary>
    public static long? PeakResidentBytes() => ReadStatus("VmHWM:");

    /// <summary>Current resident set size (VmRSS) in bytes, or null where /proc is not available.</summary>
    public static long? ResidentBytes() => ReadStatus("VmRSS:");

    static long? ReadStatus(string key)
    {
        const string status = "/proc/self/status";
        if (!File.Exists(status)) return null;
        var line = File.ReadLines(status).FirstOrDefault(l => l.StartsWith(key, StringComparison.Ordinal));
        if (line is null) return null;
        var parts = line[key.Length..].Trim().Split(' ', StringSplitOptions.RemoveEmptyEntries);
        return long.TryParse(parts[0], out var kib) ? kib * 1024 : null;
    }
}
