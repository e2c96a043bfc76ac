// Matches the arguments of a call to the parameters of a layer or block: positional first, then by name.
using SnnDsl.Dsl.Diagnostics;
using SnnDsl.Dsl.Syntax;
using SnnDsl.Dsl.Text;

namespace SnnDsl.Dsl.Binding;

/// <summary>What a layer or block accepts: parameter names in order, how many may be positional, which are required.</summary>
public sealed record Signature(string Name, IReadOnlyList<string> Parameters, int Positional, IReadOnlyList<string> Required);

/// <summary>An evaluated argument with the span of its expression, for messages about it.</summary>
public sealed record BoundArgument(Value Value, TextSpan Span);

public sealed class ArgumentBinder(SourceText source, DiagnosticBag diagnostics, Evaluator evaluator)
{
    /// <summary>The arguments by parameter name, or null after reporting every problem with them.</summary>
    public Dictionary<string, BoundArgument>? Bind(Signature signature, NameSyntax callee, IReadOnlyList<ArgumentSyntax> arguments, Scope scope)
    {
        var bound = new Dictionary<string, BoundArgument>();
        bool ok = true;
        int positional = 0;
        foreach (var argument in arguments)
        {
            string? name = argument.Name?.Text;
            if (name is null)
            {
                if (positional >= signature.Positional)
                {
                    int given = arguments.Count(a => a.Name is null);
                    diagnostics.TooManyArguments(source, argument.Span, signature.Name, signature.Positional, given);
                    return null;
                }
                name = signature.Parameters[positional++];
            }
            else if (!signature.Parameters.Contains(name))
            {
                diagnostics.UnknownArgument(source, argument.Name!.Span, signature.Name, name, signature.Parameters);
                ok = false;
                continue;
            }
            if (bound.ContainsKey(name))
            {
                diagnostics.ArgumentGivenTwice(source, argument.Span, signature.Name, name);
                ok = false;
                continue;
            }
            var value = evaluator.Evaluate(argument.Value, scope);
            if (value is null) { ok = false; continue; }
            bound[name] = new BoundArgument(value, argument.Value.Span);
        }
        foreach (var required in signature.Required.Where(r => !bound.ContainsKey(r)))
        {
            if (ok) diagnostics.MissingArgument(source, callee.Span, signature.Name, required);
            ok = false;
        }
        return ok ? bound : null;
    }
}
