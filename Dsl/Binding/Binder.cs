// The binder: resolves names, parameters, blocks, repetition and residuals into a network description, checking shapes as it goes.
using SnnDsl.Dsl.Diagnostics;
using SnnDsl.Dsl.Model;
using SnnDsl.Dsl.Syntax;
using SnnDsl.Dsl.Text;

namespace SnnDsl.Dsl.Binding;

/// <summary>A --set override: the parameter name and value, parsed from their own one-line source.</summary>
public sealed record Override(string Name, TextSpan NameSpan, ExpressionSyntax Value, SourceText Source);

public sealed partial class Binder
{
    /// <summary>Most layers (of every kind, containers included) one file may expand to.</summary>
    public const int MaxLayers = 100_000;
    public const long MaxRepeat = 10_000;
    /// <summary>Largest single dimension of the input shape.</summary>
    public const long MaxInputDimension = 1L << 20;

    readonly SourceText source;
    readonly DiagnosticBag diagnostics;
    readonly Evaluator evaluator;
    readonly ArgumentBinder arguments;
    readonly LayerFactory factory;
    readonly Dictionary<string, BlockDeclarationSyntax> blocks = [];
    readonly List<string> callStack = [];
    readonly Scope globals = new(null);
    int layerCount;

    sealed class TooLargeException : Exception;

    Binder(SourceText source, DiagnosticBag diagnostics)
    {
        this.source = source;
        this.diagnostics = diagnostics;
        evaluator = new Evaluator(source, diagnostics);
        arguments = new ArgumentBinder(source, diagnostics, evaluator);
        factory = new LayerFactory(source, diagnostics, evaluator);
    }

    /// <summary>The network a tree describes, or null when it has errors (all reported to the bag).</summary>
    public static NetworkSpec? Bind(CompilationUnitSyntax unit, SourceText source, DiagnosticBag diagnostics, IReadOnlyList<Override> overrides)
    {
        if (unit.Network is not { } network) return null;
        var binder = new Binder(source, diagnostics);
        try
        {
            return binder.Network(network, overrides);
        }
        catch (TooLargeException)
        {
            return null;
        }
    }

    NetworkSpec? Network(NetworkSyntax network, IReadOnlyList<Override> overrides)
    {
        Parameters(network.Parameters, overrides);
        var input = Declarations(network.Body);
        if (input is null && !diagnostics.HasErrors)
            diagnostics.MissingInput(source, network.Name.Span, network.Name.Text);
        Shape? shape = input;
        var layers = Sequence(network.Body.Statements, "", ref shape, globals, topLevel: true);
        return diagnostics.HasErrors || input is null ? null : new NetworkSpec(network.Name.Text, input, layers);
    }

    // ---- network parameters and --set ----

    void Parameters(IReadOnlyList<ParameterSyntax> parameters, IReadOnlyList<Override> overrides)
    {
        var declared = new HashSet<string>();
        foreach (var parameter in parameters)
        {
            var name = parameter.Name.Text;
            if (!declared.Add(name)) { diagnostics.DuplicateParameter(source, parameter.Name.Span, name); continue; }
            var given = overrides.LastOrDefault(o => o.Name == name);
            Value? value = given is not null
                ? new Evaluator(given.Source, diagnostics).Evaluate(given.Value, new Scope(null))
                : parameter.Default is { } fallback ? evaluator.Evaluate(fallback, globals) : null;
            if (given is null && parameter.Default is null) diagnostics.ParameterWithoutValue(source, parameter.Name.Span, name);
            if (value is not null) globals.Define(name, value);
        }
        foreach (var unknown in overrides.Where(o => !declared.Contains(o.Name)))
            diagnostics.UnknownOverride(unknown.Source, unknown.NameSpan, unknown.Name, declared);
    }

    // ---- top-level declarations: input, neuron defaults, blocks ----

    Shape? Declarations(BodySyntax body)
    {
        Shape? input = null;
        bool inputSeen = false;
        foreach (var statement in body.Statements)
        {
            switch (statement)
            {
                case InputSyntax i when inputSeen:
                    diagnostics.DuplicateInput(source, i.Span);
                    break;
                case InputSyntax i:
                    inputSeen = true;
                    input = InputShape(i);
                    break;
                case NeuronDeclarationSyntax n:
                    Neuron(n, globals);
                    break;
                case InitDeclarationSyntax d:
                    Init(d, globals);
                    break;
                case BlockDeclarationSyntax b:
                    Declare(b);
                    break;
            }
        }
        return input;
    }

    Shape? InputShape(InputSyntax input)
    {
        var value = evaluator.Evaluate(input.Shape, globals);
        if (value is null) return null;
        if (value is not ListValue { Items.Count: 1 or 3 } list)
        {
            diagnostics.BadInputShape(source, input.Shape.Span, value.Describe());
            return null;
        }
        TextSpan SpanOf(int i) => input.Shape is ListSyntax written && i < written.Elements.Count ? written.Elements[i].Span : input.Shape.Span;
        var dims = list.Items.Select((d, i) => evaluator.Whole(d, SpanOf(i), "every input dimension", globals, 1, MaxInputDimension)).ToList();
        if (dims.Any(d => d is null)) return null;
        long elements = dims.Aggregate(1L, (a, d) => a * d!.Value > ShapeInference.MaxElements ? ShapeInference.MaxElements + 1 : a * d!.Value);
        if (elements > ShapeInference.MaxElements)
        {
            diagnostics.SizeTooLarge(source, input.Shape.Span, "the number of input elements", elements, ShapeInference.MaxElements);
            return null;
        }
        return new Shape(dims.Select(d => d!.Value).ToArray());
    }

    void Declare(BlockDeclarationSyntax block)
    {
        var name = block.Name.Text;
        if (LayerFactory.Signatures.ContainsKey(name)) diagnostics.BlockShadowsLayer(source, block.Name.Span, name);
        else if (!blocks.TryAdd(name, block)) diagnostics.DuplicateBlock(source, block.Name.Span, name);
        var seen = new HashSet<string>();
        foreach (var parameter in block.Parameters.Where(p => !seen.Add(p.Name.Text)))
            diagnostics.DuplicateParameter(source, parameter.Name.Span, parameter.Name.Text);
    }

    void Neuron(NeuronDeclarationSyntax declaration, Scope scope)
    {
        var kindName = declaration.Kind.Text;
        if (!LayerFactory.IsNeuron(kindName)) { diagnostics.UnknownNeuron(source, declaration.Kind.Span, kindName); return; }
        var args = arguments.Bind(LayerFactory.Signatures[kindName], declaration.Kind, declaration.Arguments, scope);
        if (args is not null && factory.Neuron(scope.Neuron(kindName), args, kindName, scope) is { } spec)
            scope.SetNeuron(kindName, spec);
    }

    void Init(InitDeclarationSyntax declaration, Scope scope)
    {
        var value = evaluator.Evaluate(declaration.Scheme, scope);
        if (value is not null && factory.Init(value, declaration.Scheme.Span, scope) is { } spec) scope.SetInit(spec);
    }

    // ---- sequences of statements ----

    List<LayerSpec> Sequence(IReadOnlyList<StatementSyntax> statements, string prefix, ref Shape? shape, Scope outer, bool topLevel)
    {
        var scope = topLevel ? outer : new Scope(outer);
        var layers = new List<LayerSpec>();
        var names = new HashSet<string>();
        int position = 0;
        foreach (var statement in statements)
        {
            switch (statement)
            {
                case InputSyntax when !topLevel:
                    diagnostics.NotInBlock(source, statement.Span, "'input'");
                    break;
                case BlockDeclarationSyntax when !topLevel:
                    diagnostics.NotAllowedHere(source, statement.Span, "a block declaration");
                    break;
                case NeuronDeclarationSyntax n when !topLevel:
                    Neuron(n, scope);
                    break;
                case InitDeclarationSyntax d when !topLevel:
                    Init(d, scope);
                    break;
                case ItemSyntax item:
                    var name = item.Label?.Text ?? position.ToString();
                    position++;
                    if (!names.Add(name)) diagnostics.DuplicateLayerName(source, item.Label?.Span ?? item.Span, name);
                    if (Item(item, name, ShapeInference.Join(prefix, name), ref shape, scope) is { } layer) layers.Add(layer);
                    break;
            }
        }
        return layers;
    }

    LayerSpec? Item(ItemSyntax item, string name, string path, ref Shape? shape, Scope scope)
    {
        if (++layerCount > MaxLayers)
        {
            diagnostics.NetworkTooLarge(source, item.Span, MaxLayers);
            throw new TooLargeException();
        }
        var layer = item switch
        {
            CallSyntax call => Call(call, name, path, ref shape, scope),
            RepeatSyntax repeat => Repeat(repeat, name, path, ref shape, scope),
            ForSyntax loop => For(loop, name, path, ref shape, scope),
            ResidualSyntax residual => Residual(residual, name, path, ref shape, scope),
            GroupSyntax group => new SequenceSpec(name, Sequence(group.Body.Statements, path, ref shape, scope, false)),
            _ => null,
        };
        if (layer is null) shape = null;
        return layer;
    }
}
