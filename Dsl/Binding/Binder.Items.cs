// The binder's layer items: layer and block calls, repeat, for, and residuals with their shortcuts.
using SnnDsl.Dsl.Model;
using SnnDsl.Dsl.Syntax;

namespace SnnDsl.Dsl.Binding;

public sealed partial class Binder
{
    LayerSpec? Call(CallSyntax call, string name, string path, ref Shape? shape, Scope scope)
    {
        var kind = call.Name.Text;
        if (LayerFactory.Signatures.TryGetValue(kind, out var signature))
        {
            var args = arguments.Bind(signature, call.Name, call.Arguments, scope);
            var layer = args is null ? null : factory.Create(name, kind, args, scope);
            if (layer is not null) Infer(layer, ref shape, path, call);
            return layer;
        }
        if (blocks.TryGetValue(kind, out var block)) return BlockCall(block, call, name, path, ref shape, scope);
        diagnostics.UnknownLayer(source, call.Name.Span, kind, LayerFactory.Signatures.Keys.Concat(blocks.Keys));
        return null;
    }

    void Infer(LayerSpec layer, ref Shape? shape, string path, ItemSyntax at)
    {
        if (shape is null) return;
        try
        {
            var parent = path.Length > layer.Name.Length ? path[..(path.Length - layer.Name.Length - 1)] : "";
            shape = ShapeInference.OutputShape(layer, shape, parent);
        }
        catch (ShapeException e)
        {
            diagnostics.ShapeMismatch(source, at.Span, e.Message);
            shape = null;
        }
    }

    LayerSpec? BlockCall(BlockDeclarationSyntax block, CallSyntax call, string name, string path, ref Shape? shape, Scope caller)
    {
        var blockName = block.Name.Text;
        int cycleStart = callStack.IndexOf(blockName);
        if (cycleStart >= 0)
        {
            diagnostics.Recursion(source, call.Name.Span, callStack.Skip(cycleStart).Append(blockName));
            return null;
        }
        var parameters = block.Parameters.Select(p => p.Name.Text).ToList();
        var signature = new Signature(blockName, parameters, parameters.Count,
            block.Parameters.Where(p => p.Default is null).Select(p => p.Name.Text).ToList());
        var args = arguments.Bind(signature, call.Name, call.Arguments, caller);
        if (args is null) return null;
        var scope = new Scope(globals);
        foreach (var parameter in block.Parameters)
        {
            var value = args.TryGetValue(parameter.Name.Text, out var given) ? given.Value : evaluator.Evaluate(parameter.Default!, scope);
            if (value is null) return null;
            scope.Define(parameter.Name.Text, value);
        }
        callStack.Add(blockName);
        var layers = Sequence(block.Body.Statements, path, ref shape, scope, false);
        callStack.RemoveAt(callStack.Count - 1);
        return new SequenceSpec(name, layers);
    }

    LayerSpec? Repeat(RepeatSyntax repeat, string name, string path, ref Shape? shape, Scope scope)
    {
        if (evaluator.Evaluate(repeat.Count, scope) is not { } value) return null;
        if (value is IntValue { Value: < 0 or > MaxRepeat } outside)
        {
            diagnostics.RepeatCountOutOfRange(source, repeat.Count.Span, outside.Value, MaxRepeat);
            return null;
        }
        if (evaluator.Whole(value, repeat.Count.Span, "the repeat count", scope, 0, MaxRepeat) is not { } count) return null;
        var copies = new List<LayerSpec>();
        for (int i = 0; i < count; i++)
        {
            var copyName = i.ToString();
            if (Item(repeat.Item, copyName, ShapeInference.Join(path, copyName), ref shape, scope) is not { } copy) return null;
            copies.Add(copy);
        }
        return new SequenceSpec(name, copies);
    }

    LayerSpec? For(ForSyntax loop, string name, string path, ref Shape? shape, Scope scope)
    {
        if (evaluator.Evaluate(loop.Values, scope) is not { } value) return null;
        if (value is not ListValue list)
        {
            diagnostics.NotAList(source, loop.Values.Span, value.Describe());
            return null;
        }
        var iterations = new List<LayerSpec>();
        for (int i = 0; i < list.Items.Count; i++)
        {
            var iterationName = i.ToString();
            var inner = new Scope(scope);
            inner.Define(loop.Variable.Text, list.Items[i]);
            var layers = Sequence(loop.Body.Statements, ShapeInference.Join(path, iterationName), ref shape, inner, false);
            iterations.Add(layers.Count == 1 ? layers[0] with { Name = iterationName } : new SequenceSpec(iterationName, layers));
        }
        return new SequenceSpec(name, iterations);
    }

    static readonly IReadOnlyDictionary<string, MergeKind> Merges =
        new Dictionary<string, MergeKind> { ["add"] = MergeKind.Add, ["and"] = MergeKind.And, ["iand"] = MergeKind.IAnd };

    // The merge may name a parameter holding the word (SEW-ResNet's `connect`), so --set can change it.
    static string MergeWord(string name, Scope scope) => scope.Lookup(name) switch
    {
        WordValue w => w.Word,
        TextValue t => t.Text,
        _ => name,
    };

    LayerSpec? Residual(ResidualSyntax residual, string name, string path, ref Shape? shape, Scope scope)
    {
        var merge = MergeKind.Add;
        if (residual.Merge is { } mergeName && !Merges.TryGetValue(MergeWord(mergeName.Text, scope), out merge))
        {
            diagnostics.UnknownMerge(source, mergeName.Span, MergeWord(mergeName.Text, scope));
            return null;
        }
        var input = shape;
        Shape? bodyShape = input;
        var body = new SequenceSpec("body", Sequence(residual.Body.Statements, ShapeInference.Join(path, "body"), ref bodyShape, scope, false));
        Shape? shortcutShape = input;
        if (!Shortcut(residual, path, input, bodyShape, ref shortcutShape, scope, out var shortcut)) return null;
        if (input is not null && bodyShape is not null && shortcutShape is not null && !bodyShape.Equals(shortcutShape))
        {
            diagnostics.ResidualMismatch(source, residual.Span, merge.ToString().ToLowerInvariant(), bodyShape.ToString(), shortcutShape.ToString());
            bodyShape = null;
        }
        shape = bodyShape;
        return new ResidualSpec(name, body, shortcut, merge);
    }

    // The shortcut branch: identity, the given layers, or (auto) identity or conv1x1 + bn when the body changes the shape.
    bool Shortcut(ResidualSyntax residual, string path, Shape? input, Shape? bodyShape, ref Shape? shape, Scope scope, out SequenceSpec? shortcut)
    {
        shortcut = null;
        var syntax = residual.Shortcut;
        var shortcutPath = ShapeInference.Join(path, "shortcut");
        if (syntax?.Body is { } layers)
        {
            shortcut = new SequenceSpec("shortcut", Sequence(layers.Statements, shortcutPath, ref shape, scope, false));
            return true;
        }
        var word = syntax?.Word?.Text ?? "auto";
        if (word == "identity") return true;
        if (word != "auto")
        {
            diagnostics.UnknownShortcut(source, syntax!.Word!.Span, word);
            return false;
        }
        if (input is null || bodyShape is null || input.Equals(bodyShape)) return true;
        shortcut = Projection(input, bodyShape, scope.Init);
        if (shortcut is not null) { shape = bodyShape; return true; }
        diagnostics.CannotDeriveShortcut(source, syntax?.Span ?? residual.Span, input.ToString(), bodyShape.ToString());
        return false;
    }

    // the derived conv 1×1 starts as the `init` declaration in force says, like every written conv
    static SequenceSpec? Projection(Shape input, Shape output, InitSpec? init)
    {
        if (input.Rank != 3 || output.Rank != 3 || output[1] == 0 || output[2] == 0) return null;
        int stride = (int)Math.Max(1, (input[1] + output[1] - 1) / output[1]);
        var projection = new SequenceSpec("shortcut", [new ConvSpec("0", output[0], 1, stride, 0, Bias: false, Init: init), new BatchNormSpec("1")]);
        try
        {
            return ShapeInference.OutputShape(projection, input).Equals(output) ? projection : null;
        }
        catch (ShapeException)
        {
            return null;
        }
    }
}
