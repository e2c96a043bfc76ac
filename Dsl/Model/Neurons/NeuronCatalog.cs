// The one table of neuron models: the language's names and arguments, the fused-kernel flag, the docs and the tests read it.
namespace SnnDsl.Dsl.Model.Neurons;

/// <summary>
/// A neuron model as the language and the docs see it: its name, the arguments a layer or `neuron` line may give, its
/// learnable parameters (their names in the built network, one scalar each per layer), whether the fused CPU kernel
/// runs it without a graph (opt-in; otherwise the tensor path runs), and its equations for the docs table. Core's
/// implementation of each name (Core/Neurons) is looked up by the same name; a test checks that every name has one.
/// </summary>
public sealed record NeuronInfo(string Name, IReadOnlyList<string> Arguments, IReadOnlyList<string> Learnable, bool Fused,
    string Equations, string Source);

/// <summary>Every neuron model the language knows, in the order the docs list them.</summary>
public static class NeuronCatalog
{
    /// <summary>The arguments every LIF-family neuron takes.</summary>
    static readonly string[] Common = ["threshold", "reset", "reset_value", "detach_reset", "surrogate"];

    public static NeuronInfo Lif { get; } = new("lif", ["tau", "decay", .. Common], [], true,
        "u = λ·v + x, λ = 1 − 1/τ; s = H(u − V_th)", "the rate-BP paper's neuron (SpikingJelly `LIFNode`, decay_input = false)");

    public static NeuronInfo If { get; } = new("if", Common, [], true,
        "u = v + x; s = H(u − V_th)", "SpikingJelly `IFNode`");

    public static NeuronInfo Plif { get; } = new("plif", ["tau", "decay", .. Common], ["w"], false,
        "u = λ·v + x, λ = 1 − sigmoid(w), w learnable (one per layer), initialised to −ln(τ − 1)",
        "Fang et al. 2021 (SpikingJelly `ParametricLIFNode`, decay_input = false)");

    public static NeuronInfo Alif { get; } = new("alif", ["tau", "decay", "tau_adapt", "beta", .. Common], [], false,
        "u = λ·v + x; θ = V_th + β·a, a_t = λ_a·a_{t−1} + s_{t−1}, λ_a = 1 − 1/tau_adapt; s = H(u − θ)",
        "Bellec et al. 2018 (LSNN)");

    /// <summary>Adding a neuron: one line here, its implementation in Core/Neurons (docs/extending.md).</summary>
    public static IReadOnlyList<NeuronInfo> All { get; } = [Lif, If, Plif, Alif];

    public static IReadOnlyList<string> Names { get; } = All.Select(n => n.Name).ToList();

    public static NeuronInfo? Find(string name) => All.FirstOrDefault(n => n.Name == name);

    /// <summary>The model of a name; an unknown name is an error that lists the known ones.</summary>
    public static NeuronInfo Get(string name) =>
        Find(name) ?? throw new ArgumentException($"unknown neuron '{name}'; the neurons are {string.Join(", ", Names)}", nameof(name));

    /// <summary>The docs table (docs/language.md shows exactly this; a test keeps them equal).</summary>
    public static string MarkdownTable()
    {
        var rows = All.Select(n =>
            $"| `{n.Name}` | {string.Join(", ", n.Arguments.Select(a => $"`{a}`"))} | {(n.Learnable.Count == 0 ? "–" : string.Join(", ", n.Learnable.Select(p => $"`{p}`")))} | {(n.Fused ? "yes" : "no (tensor path)")} | {n.Equations} | {n.Source} |");
        return string.Join("\n", ["| neuron | arguments | learnable | fused CPU kernel | equations | source |", "|---|---|---|---|---|---|", .. rows]);
    }
}
