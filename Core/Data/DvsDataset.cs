// CIFAR10-DVS: class folders of AEDAT recordings, explicit train/test splits, and a disk cache of integrated frames.
namespace SnnDsl.Core.Data;

/// <summary>Frame settings; the cache folder is named after them so changed settings never reuse stale frames.</summary>
/// <param name="Frames">Number of frames T.</param>
/// <param name="Split">Split events by number or by time.</param>
/// <param name="Size">Side of the resized frames (48 as published).</param>
/// <param name="Resize">Area averaging of counts, or the paper's Pillow transform (<see cref="PaperFrameResize"/>).</param>
public sealed record DvsSettings(int Frames = 10, FrameSplit Split = FrameSplit.Number, int Size = 48, FrameResize Resize = FrameResize.Area)
{
    /// <summary>Folder name under the cache root holding frames made with these settings.</summary>
    public string CacheFolderName =>
        $"frames-T{Frames}-{Split.ToString().ToLowerInvariant()}-{Size}x{Size}{(Resize == FrameResize.Paper ? "-paper" : "")}";

    /// <summary>Integrated frames [T, 2, sensor, sensor] resized to [T, 2, Size, Size] as <see cref="Resize"/> says.</summary>
    public float[] ResizeFrames(float[] frames, int sensorSize) => Resize == FrameResize.Paper
        ? PaperFrameResize.Resize(frames, Frames, sensorSize, Size)
        : EventFrames.ResizeArea(frames, Frames * 2, sensorSize, Size);
}

/// <summary>The train/test split rules for recordings grouped by class.</summary>
public enum DvsSplitKind
{
    /// <summary>First 90% of each class (by recording index) train, the rest test: 900/100.</summary>
    Index,

    /// <summary>A seeded random 9:1 split within each class.</summary>
    Random,

    /// <summary>The TEBN split: first 10% of each class test, the rest train.</summary>
    Tebn,
}

/// <summary>An explicit split; <see cref="Describe"/> is the line the run log prints.</summary>
public sealed record DvsSplit(DvsSplitKind Kind, int Seed = 0)
{
    /// <summary>Parses "index", "random", "random:SEED" or "tebn".</summary>
    public static DvsSplit Parse(string text)
    {
        var parts = text.Trim().ToLowerInvariant().Split(':');
        return parts switch
        {
            ["index"] => new(DvsSplitKind.Index),
            ["tebn"] => new(DvsSplitKind.Tebn),
            ["random"] => new(DvsSplitKind.Random),
            ["random", var seed] when int.TryParse(seed, out var s) => new(DvsSplitKind.Random, s),
            _ => throw new DataException($"unknown CIFAR10-DVS split '{text}'; expected index, random, random:SEED or tebn"),
        };
    }

    /// <summary>A human description of the rule.</summary>
    public string Describe() => Kind switch
    {
        DvsSplitKind.Index => "index: first 90% of each class train (900/100), the rest test",
        DvsSplitKind.Random => $"random: seeded ({Seed}) 9:1 split within each class",
        _ => "tebn: first 10% of each class test (100), the rest train",
    };

    /// <summary>Positions (within one class's ordered recordings) that belong to <paramref name="part"/>.</summary>
    public IEnumerable<int> Select(int classSize, Split part)
    {
        var trainCount = classSize * 9 / 10;
        var testCount = classSize - trainCount;
        var order = Enumerable.Range(0, classSize).ToArray();
        if (Kind == DvsSplitKind.Random) new Random(Seed).Shuffle(order);
        var (first, rest) = Kind == DvsSplitKind.Tebn ? (order[..testCount], order[testCount..]) : (order[..trainCount], order[trainCount..]);
        var takeFirst = Kind == DvsSplitKind.Tebn ? part == Split.Test : part == Split.Train;
        return (takeFirst ? first : rest).Order();
    }
}

/// <summary>One recording: its AEDAT file, its cached frames and its class.</summary>
public sealed record DvsRecording(string Source, string Cache, int Label);

/// <summary>The recordings of one part of CIFAR10-DVS, with frames cached on disk, and the files that had to be skipped.</summary>
public sealed class DvsDataset
{
    DvsDataset(IReadOnlyList<string> classes, IReadOnlyList<DvsRecording> recordings, IReadOnlyList<string> skipped, DvsSettings settings)
    {
        Classes = classes;
        Recordings = recordings;
        Skipped = skipped;
        Settings = settings;
    }

    /// <summary>Class names (folder names, ordinal order).</summary>
    public IReadOnlyList<string> Classes { get; }

    /// <summary>The usable recordings of this part.</summary>
    public IReadOnlyList<DvsRecording> Recordings { get; }

    /// <summary>"file: reason" for each recording skipped because it could not be read.</summary>
    public IReadOnlyList<string> Skipped { get; }

    /// <summary>The frame settings.</summary>
    public DvsSettings Settings { get; }

    /// <summary>
    /// Scans <paramref name="root"/> (one folder per class of .aedat files), selects <paramref name="part"/> by
    /// <paramref name="split"/>, and makes sure every selected recording has frames under
    /// <paramref name="cacheRoot"/>/<see cref="DvsSettings.CacheFolderName"/> (building missing or stale ones with
    /// <paramref name="workers"/> threads). Unreadable recordings are skipped and listed in <see cref="Skipped"/>.
    /// </summary>
    public static DvsDataset Open(string root, string cacheRoot, DvsSettings settings, DvsSplit split, Split part, int workers = 1)
    {
        var classes = ClassFolders(root);
        var cacheFolder = Path.Combine(cacheRoot, settings.CacheFolderName);
        var selected = new List<DvsRecording>();
        var failures = new System.Collections.Concurrent.ConcurrentDictionary<string, string>();
        for (var label = 0; label < classes.Count; label++)
        {
            var folder = Path.Combine(root, classes[label]);
            var files = RecordingFiles(folder, failures);
            selected.AddRange(split.Select(files.Count, part).Select(i => new DvsRecording(
                files[i], Path.Combine(cacheFolder, classes[label], Path.GetFileNameWithoutExtension(files[i]) + ".frames"), label)));
        }
        Parallel.ForEach(selected, new ParallelOptions { MaxDegreeOfParallelism = workers }, r =>
        {
            try { FrameCache.Ensure(r.Source, r.Cache, settings); }
            catch (DataException e) { failures[r.Source] = e.Message; }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException) { failures[r.Source] = $"{r.Source}: its frames could not be cached ({e.Message})"; }
        });
        var usable = selected.Where(r => !failures.ContainsKey(r.Source)).ToList();
        if (usable.Count == 0) throw new DataException($"folder {root}: no readable recordings in the {part.ToString().ToLowerInvariant()} part");
        return new DvsDataset(classes.ToArray(), usable, failures.Values.Order().ToArray(), settings);
    }

    static List<string> ClassFolders(string root)
    {
        if (!Directory.Exists(root)) throw new DataException($"folder {root} does not exist; expected CIFAR10-DVS class folders of .aedat files");
        // hidden folders (such as the default frame cache, root/.snndsl-cache) are not classes
        var classes = Directory.GetDirectories(root).Select(Path.GetFileName).OfType<string>()
            .Where(name => !name.StartsWith('.')).Order(StringComparer.Ordinal).ToList();
        if (classes.Count == 0) throw new DataException($"folder {root} has no class folders; expected one folder of .aedat files per class");
        return classes;
    }

    /// <summary>The recordings of a class folder; one that cannot be listed has none, and is recorded in <paramref name="failures"/>.</summary>
    static List<string> RecordingFiles(string folder, System.Collections.Concurrent.ConcurrentDictionary<string, string> failures)
    {
        List<string> files;
        try { files = Directory.GetFiles(folder, "*.aedat").OrderBy(NaturalKey.Of, NaturalKey.Comparer).ToList(); }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            failures[folder] = $"class folder {folder}: could not be listed ({e.Message}); its recordings are skipped";
            return [];
        }
        if (files.Count == 0) throw new DataException($"class folder {folder} has no .aedat recordings");
        return files;
    }
}

/// <summary>Orders file names so "x_2" comes before "x_10".</summary>
static class NaturalKey
{
    public static (string Prefix, long Number) Of(string path)
    {
        var stem = Path.GetFileNameWithoutExtension(path);
        var digits = stem.Length - stem.Reverse().TakeWhile(char.IsAsciiDigit).Count();
        return digits < stem.Length && long.TryParse(stem[digits..], out var n) ? (stem[..digits], n) : (stem, -1);
    }

    public static readonly IComparer<(string Prefix, long Number)> Comparer = Comparer<(string Prefix, long Number)>.Create(
        (a, b) => string.CompareOrdinal(a.Prefix, b.Prefix) is var c && c != 0 ? c : a.Number.CompareTo(b.Number));
}
