// The one table of surrogate gradients: the language's names, the binder, the kernels, `snn check`, the docs and the tests read it.
namespace SnnDsl.Dsl.Model.Surrogates;

/// <summary>Calls code that is generic over a surrogate's struct type (so the JIT specialises it), given only a definition.</summary>
public interface ISurrogateVisitor<out R>
{
    R Visit<S>() where S : struct, ISurrogate;
}

/// <summary>One entry of the catalog: the <see cref="ISurrogate"/> struct behind a name.</summary>
public abstract class SurrogateDefinition
{
    public abstract SurrogateInfo Info { get; }
    public string Name => Info.Name;

    /// <summary>Runs the visitor with this surrogate's struct as its type argument.</summary>
    public abstract R Accept<R>(ISurrogateVisitor<R> visitor);

    /// <summary>The arguments with their defaults.</summary>
    public SurrogateArgs Defaults => SurrogateArgs.Of(Info.Arguments.Select(a => a.Default).ToList());

    public override string ToString() => Name;
}

sealed class SurrogateDefinition<S> : SurrogateDefinition where S : struct, ISurrogate
{
    public override SurrogateInfo Info => S.Info;
    public override R Accept<R>(ISurrogateVisitor<R> visitor) => visitor.Visit<S>();
}

/// <summary>Every surrogate the language knows, in the order the docs list them.</summary>
public static class SurrogateCatalog
{
    /// <summary>Adding a surrogate: one struct file in this folder and one line here (docs/extending.md).</summary>
    public static IReadOnlyList<SurrogateDefinition> All { get; } = Checked(
    [
        Entry<SigmoidSurrogate>(),
        Entry<ATanSurrogate>(),
        Entry<PiecewiseQuadraticSurrogate>(),
        Entry<RectangularSurrogate>(),
        Entry<ErfSurrogate>(),
        Entry<SoftSignSurrogate>(),
        Entry<SuperSpikeSurrogate>(),
        Entry<PiecewiseExpSurrogate>(),
        Entry<PiecewiseLeakyReluSurrogate>(),
        Entry<QPseudoSpikeSurrogate>(),
    ]);

    /// <summary>The names, as the language spells them.</summary>
    public static IReadOnlyList<string> Names { get; } = All.Select(d => d.Name).ToList();

    /// <summary>The definition of a name, or null.</summary>
    public static SurrogateDefinition? Find(string name) => All.FirstOrDefault(d => d.Name == name);

    /// <summary>The definition of a name; an unknown name is an error that lists the known ones.</summary>
    public static SurrogateDefinition Get(string name) =>
        Find(name) ?? throw new ArgumentException($"unknown surrogate '{name}'; the surrogates are {string.Join(", ", Names)}", nameof(name));

    static SurrogateDefinition Entry<S>() where S : struct, ISurrogate => new SurrogateDefinition<S>();

    static IReadOnlyList<SurrogateDefinition> Checked(SurrogateDefinition[] all)
    {
        foreach (var d in all)
        {
            if (d.Info.Arguments.Count > SurrogateArgs.Capacity)
                throw new InvalidOperationException($"surrogate '{d.Name}' declares {d.Info.Arguments.Count} arguments; at most {SurrogateArgs.Capacity} fit");
            if (d.Info.Arguments.FirstOrDefault(a => !a.Accepts(a.Default)) is { } bad)
                throw new InvalidOperationException($"surrogate '{d.Name}': the default of '{bad.Name}' is not {bad.Range}");
        }
        var duplicate = all.GroupBy(d => d.Name).FirstOrDefault(g => g.Count() > 1);
        if (duplicate is not null) throw new InvalidOperationException($"surrogate '{duplicate.Key}' is listed twice");
        return all;
    }

    /// <summary>The docs table (docs/language.md shows exactly this; a test keeps them equal).</summary>
    public static string MarkdownTable()
    {
        var rows = All.Select(d =>
            $"| `{d.Name}` | {string.Join(", ", d.Info.Arguments.Select(a => $"`{a.Name}` = {Number(a.Default)} ({a.Range})"))} | {d.Info.Derivative} | {d.Info.Primitive} | {d.Info.Source} |");
        return string.Join("\n", ["| surrogate | arguments (default, range) | derivative ∂s/∂x, x = u − θ | primitive | source |", "|---|---|---|---|---|", .. rows]);
    }

    static string Number(double value) => value.ToString("R", System.Globalization.CultureInfo.InvariantCulture);
}
