// Lexical scopes: network parameters, block arguments and loop variables, plus the neuron and init defaults in force.
using SnnDsl.Dsl.Model;

namespace SnnDsl.Dsl.Binding;

public sealed class Scope(Scope? parent)
{
    readonly Dictionary<string, Value> variables = [];
    readonly Dictionary<string, NeuronSpec> neurons = [];

    public void Define(string name, Value value) => variables[name] = value;

    public Value? Lookup(string name) =>
        variables.TryGetValue(name, out var value) ? value : parent?.Lookup(name);

    public IEnumerable<string> Names => variables.Keys.Concat(parent?.Names ?? []);

    InitSpec? init;

    public void SetNeuron(string kind, NeuronSpec spec) => neurons[kind] = spec;

    public void SetInit(InitSpec spec) => init = spec;

    /// <summary>The initialisation of conv and linear layers: the nearest `init` declaration; null (PyTorch's default) when none.</summary>
    public InitSpec? Init => init ?? parent?.Init;

    /// <summary>The defaults for a neuron kind: the nearest declaration, else the paper's LIF settings for that kind.</summary>
    public NeuronSpec Neuron(string kind) =>
        neurons.TryGetValue(kind, out var spec) ? spec : parent?.Neuron(kind) ?? new NeuronSpec(Kind: kind);
}
