// The checkpoints of a run: complete folders named per save, made current by replacing the `last`/`best` links atomically.
namespace SnnDsl.Core.Runs;

using SnnDsl.Core.Model;
using TorchSharp.Modules;

/// <summary>
/// <c>checkpoints/last</c> and <c>checkpoints/best</c> are symbolic links to complete checkpoint folders
/// (<c>epoch-0003-1a2b3c4d</c>). A save writes a new folder durably, then replaces each link with one rename(2)
/// (best first, then last), then deletes folders no link names. A kill at any point leaves each link on a complete
/// folder, old or new; <see cref="Recover"/> repairs what older versions of snn or a lost link left.
/// </summary>
public sealed class CheckpointStore(string root)
{
    public const string LastName = "last", BestName = "best";

    public string Root { get; } = root;
    public string Last => Path.Combine(Root, LastName);
    public string Best => Path.Combine(Root, BestName);

    /// <summary>Called with the name of each step of a save as it completes: the seam that tests inject kills through.</summary>
    public Action<string>? AfterStep { get; set; }

    /// <summary>Writes the checkpoint of <paramref name="state"/> and makes it `last` (and `best` when it is).</summary>
    public void Save(SpikingNetwork network, OptimizerHelper optimizer, CheckpointState state, bool best)
    {
        Directory.CreateDirectory(Root);
        var name = $"epoch-{state.EpochsDone:D4}-{Guid.NewGuid().ToString("N")[..8]}";
        Checkpoint.Write(Path.Combine(Root, name), network, optimizer, state);
        DurableFiles.SyncFolder(Root);
        AfterStep?.Invoke("written");
        if (best) Link(BestName, name);
        Link(LastName, name);
        RemoveUnlinked();
        AfterStep?.Invoke("cleaned");
    }

    /// <summary>Points <paramref name="link"/> at folder <paramref name="target"/> with one atomic rename.</summary>
    void Link(string link, string target)
    {
        var temp = Path.Combine(Root, link + ".new");
        File.Delete(temp);
        File.CreateSymbolicLink(temp, target);
        AfterStep?.Invoke($"{link}-link-created");
        DurableFiles.Rename(temp, Path.Combine(Root, link));
        DurableFiles.SyncFolder(Root);
        AfterStep?.Invoke($"{link}-promoted");
    }

    /// <summary>The folder a link names, or null when the link is missing or dangles.</summary>
    string? Target(string link)
    {
        var info = new DirectoryInfo(Path.Combine(Root, link));
        if (info.LinkTarget is null) return null;
        var target = Path.Combine(Root, info.LinkTarget);
        return Directory.Exists(target) ? Path.GetFileName(target) : null;
    }

    static bool IsLink(string path) => new FileInfo(path).LinkTarget is not null;

    /// <summary>The complete checkpoint folders (not links), with their progress.</summary>
    List<(string Name, CheckpointState State)> Complete() =>
        [.. new DirectoryInfo(Root).EnumerateDirectories()
            .Where(d => d.LinkTarget is null)
            .Select(d => (d.Name, State: Checkpoint.TryReadState(d.FullName)))
            .Where(c => c.State is not null)
            .Select(c => (c.Name, c.State!))];

    /// <summary>True when the store holds a complete checkpoint folder (read only: nothing is repaired).</summary>
    public bool HasComplete() => Directory.Exists(Root) && Complete().Count > 0;

    /// <summary>
    /// Repairs the folder after an interrupted save: real `last`/`best` folders of older versions become linked
    /// folders, a missing or dangling `last` links the newest complete checkpoint, `best` is made to match the
    /// state `last` records, and unfinished folders are deleted. Returns the state of `last`, or null when none exists.
    /// </summary>
    public CheckpointState? Recover()
    {
        if (!Directory.Exists(Root)) return null;
        foreach (var link in new[] { LastName, BestName })
        {
            File.Delete(Path.Combine(Root, link + ".new"));
            AdoptFolder(link, "legacy-" + link);
            AdoptFolder(link + ".tmp", "legacy-" + link + "-tmp");
            AdoptFolder(link + ".old", "legacy-" + link + "-old");
        }
        var complete = Complete();
        if (Target(LastName) is null)
        {
            if (complete.Count == 0) return null;
            Link(LastName, complete.MaxBy(c => (c.State.EpochsDone, c.Name.StartsWith("legacy-last-tmp")))!.Name);
        }
        var last = Checkpoint.TryReadState(Last) ?? throw new RunException(
            $"{Path.Combine(Last, Checkpoint.StateFile)} is empty or damaged, so checkpoint {Target(LastName)} is incomplete " +
            $"(state.json is written last); delete the link {Last} and resume again to continue from the newest complete checkpoint");
        RepairBest(complete, last);
        RemoveUnlinked();
        return last;
    }

    void RepairBest(List<(string Name, CheckpointState State)> complete, CheckpointState last)
    {
        var current = Target(BestName);
        var wanted = last.BestEpoch + 1;
        if (current is not null && Checkpoint.TryReadState(Path.Combine(Root, current))?.EpochsDone == wanted) return;
        var match = complete.Where(c => c.State.EpochsDone == wanted).OrderByDescending(c => c.Name.StartsWith("legacy-best")).FirstOrDefault();
        if (match.Name is not null) Link(BestName, match.Name);
        else if (IsLink(Best)) File.Delete(Best);
    }

    /// <summary>Renames a real folder of the former layout to a name links can point at.</summary>
    void AdoptFolder(string name, string adopted)
    {
        var path = Path.Combine(Root, name);
        if (!Directory.Exists(path) || IsLink(path)) return;
        var target = Path.Combine(Root, adopted);
        if (Directory.Exists(target)) Directory.Delete(target, recursive: true);
        Directory.Move(path, target);
        DurableFiles.SyncFolder(Root);
    }

    /// <summary>Deletes checkpoint folders that neither link names (superseded or unfinished saves).</summary>
    void RemoveUnlinked()
    {
        var keep = new HashSet<string?> { Target(LastName), Target(BestName) };
        foreach (var folder in new DirectoryInfo(Root).EnumerateDirectories())
            if (folder.LinkTarget is null && !keep.Contains(folder.Name)) folder.Delete(recursive: true);
    }
}
