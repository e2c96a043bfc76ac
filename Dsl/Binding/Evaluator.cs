// Evaluates expressions in a scope and converts values to the types layers need, reporting what does not fit.
using SnnDsl.Dsl.Diagnostics;
using SnnDsl.Dsl.Syntax;
using SnnDsl.Dsl.Text;

namespace SnnDsl.Dsl.Binding;

public sealed class Evaluator(SourceText source, DiagnosticBag diagnostics)
{
    /// <summary>The value of an expression, or null after reporting why it has none.</summary>
    public Value? Evaluate(ExpressionSyntax expression, Scope scope) => expression switch
    {
        IntegerSyntax i => new IntValue(i.Value),
        FloatSyntax f => new FloatValue(f.Value),
        StringSyntax s => new TextValue(s.Value),
        BooleanSyntax b => new BoolValue(b.Value),
        NameExpressionSyntax n => scope.Lookup(n.Name) ?? new WordValue(n.Name),
        ParenthesizedSyntax p => Evaluate(p.Inner, scope),
        ListSyntax l => List(l, scope),
        CallExpressionSyntax c => Call(c, scope),
        NegateSyntax n => Negate(n, scope),
        BinarySyntax b => Binary(b, scope),
        _ => null,
    };

    Value? List(ListSyntax list, Scope scope)
    {
        var items = list.Elements.Select(e => Evaluate(e, scope)).ToList();
        return items.Any(i => i is null) ? null : new ListValue(items!);
    }

    Value? Call(CallExpressionSyntax call, Scope scope)
    {
        var arguments = new List<(string?, Value)>();
        foreach (var argument in call.Arguments)
        {
            if (Evaluate(argument.Value, scope) is not { } value) return null;
            arguments.Add((argument.Name?.Text, value));
        }
        return new CallValue(call.Name.Text, arguments);
    }

    Value? Negate(NegateSyntax negate, Scope scope) => Evaluate(negate.Operand, scope) switch
    {
        null => null,
        IntValue i when i.Value != long.MinValue => new IntValue(-i.Value),
        FloatValue f => new FloatValue(-f.Value),
        var other => NotANumber(negate.Operand, other, scope),
    };

    Value? NotANumber(ExpressionSyntax at, Value value, Scope scope)
    {
        if (value is WordValue w) diagnostics.UnknownName(source, at.Span, w.Word, scope.Names);
        else diagnostics.WrongType(source, at.Span, "arithmetic", "done on numbers", value.Describe());
        return null;
    }

    Value? Binary(BinarySyntax binary, Scope scope)
    {
        var left = Evaluate(binary.Left, scope);
        var right = Evaluate(binary.Right, scope);
        if (left is null || right is null) return null;
        if (left is not (IntValue or FloatValue)) return NotANumber(binary.Left, left, scope);
        if (right is not (IntValue or FloatValue)) return NotANumber(binary.Right, right, scope);
        if (left is IntValue a && right is IntValue b) return Whole(binary, a.Value, b.Value);
        double x = AsDouble(left), y = AsDouble(right);
        if (binary.Operator == BinaryOperator.Divide && y == 0) return DivisionByZero(binary);
        return new FloatValue(binary.Operator switch
        {
            BinaryOperator.Add => x + y, BinaryOperator.Subtract => x - y, BinaryOperator.Multiply => x * y, _ => x / y,
        });
    }

    static double AsDouble(Value value) => value is IntValue i ? i.Value : ((FloatValue)value).Value;

    // Whole numbers stay whole, except a division that does not come out even.
    Value? Whole(BinarySyntax binary, long x, long y)
    {
        try
        {
            return binary.Operator switch
            {
                BinaryOperator.Add => new IntValue(checked(x + y)),
                BinaryOperator.Subtract => new IntValue(checked(x - y)),
                BinaryOperator.Multiply => new IntValue(checked(x * y)),
                _ when y == 0 => DivisionByZero(binary),
                _ when x % y == 0 => new IntValue(x / y),
                _ => new FloatValue((double)x / y),
            };
        }
        catch (OverflowException)
        {
            diagnostics.BadArithmetic(source, binary.Span, "this arithmetic overflows: the result is too large");
            return null;
        }
    }

    Value? DivisionByZero(BinarySyntax binary)
    {
        diagnostics.BadArithmetic(source, binary.Span, "division by zero");
        return null;
    }

    // ---- conversions ----

    /// <summary>A whole number in [min, max]; a number with no fraction counts as whole.</summary>
    public long? Whole(Value value, TextSpan span, string what, Scope scope, long min, long max)
    {
        long? whole = value switch
        {
            IntValue i => i.Value,
            FloatValue f when f.Value == Math.Floor(f.Value) && Math.Abs(f.Value) < 9e18 => (long)f.Value,
            _ => null,
        };
        if (whole is null) { Mismatch(value, span, what, "a whole number", scope); return null; }
        if (whole < min || whole > max)
        {
            diagnostics.ValueOutOfRange(source, span, what, Range(min, max), whole.Value.ToString("N0"));
            return null;
        }
        return whole;
    }

    static string Range(long min, long max) =>
        max == long.MaxValue ? (min == 0 ? "zero or more" : $"at least {min}") : $"between {min} and {max:N0}";

    public double? Number(Value value, TextSpan span, string what, Scope scope, double min, double max, bool includeMin = true)
    {
        double? number = value switch { IntValue i => i.Value, FloatValue f => f.Value, _ => null };
        if (number is null) { Mismatch(value, span, what, "a number", scope); return null; }
        bool below = includeMin ? number < min : number <= min;
        if (below || number > max || double.IsNaN(number.Value))
        {
            var range = double.IsPositiveInfinity(max) ? (includeMin ? $"at least {min}" : $"greater than {min}") : $"between {min} and {max}";
            diagnostics.ValueOutOfRange(source, span, what, range, number.Value.ToString("R", System.Globalization.CultureInfo.InvariantCulture));
            return null;
        }
        return number;
    }

    public bool? Boolean(Value value, TextSpan span, string what, Scope scope)
    {
        if (value is BoolValue b) return b.Value;
        Mismatch(value, span, what, "true or false", scope);
        return null;
    }

    /// <summary>One of the given words (a bare word or a string with that text).</summary>
    public string? Choice(Value value, TextSpan span, string what, IReadOnlyList<string> choices)
    {
        string? word = value switch { WordValue w => w.Word, TextValue t => t.Text, _ => null };
        if (word is null)
        {
            diagnostics.WrongType(source, span, what, "one of " + string.Join(", ", choices.Select(c => $"'{c}'")), value.Describe());
            return null;
        }
        if (choices.Contains(word)) return word;
        diagnostics.UnknownChoice(source, span, what, word, choices);
        return null;
    }

    // An unknown bare word where a value was expected is most likely a misspelt parameter.
    void Mismatch(Value value, TextSpan span, string what, string expected, Scope scope)
    {
        if (value is WordValue w) diagnostics.UnknownName(source, span, w.Word, scope.Names);
        else diagnostics.WrongType(source, span, what, expected, value.Describe());
    }
}
