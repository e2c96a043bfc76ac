// The canonical printer: any syntax tree back to text, so that parse -> format -> parse gives the same tree.
using System.Globalization;
using System.Text;
using SnnDsl.Dsl.Syntax;

namespace SnnDsl.Dsl.Formatting;

public static class Formatter
{
    const string Indent = "  ";

    /// <summary>The canonical text of a file: two-space indents, one space around '=', ';' between statements on a line.</summary>
    public static string Format(CompilationUnitSyntax unit)
    {
        var output = new StringBuilder();
        if (unit.Version is { } version)
        {
            Comments(output, version.Trivia.Leading, "");
            output.Append("snn ").Append(version.Number);
            Trailing(output, version.Trivia.Trailing).Append('\n');
            if (unit.Network is not null) output.Append('\n');
        }
        if (unit.Network is { } network)
        {
            Comments(output, network.Trivia.Leading, "");
            output.Append("network ").Append(network.Name.Text).Append(Parameters(network.Parameters)).Append(' ');
            Body(output, network.Body, "");
            Trailing(output, network.Trivia.Trailing).Append('\n');
        }
        Comments(output, unit.EndComments, "");
        return output.ToString();
    }

    static void Comments(StringBuilder output, IEnumerable<string> comments, string indent)
    {
        foreach (var comment in comments) output.Append(indent).Append(CommentText(comment)).Append('\n');
    }

    static string CommentText(string comment) => comment.Length == 0 ? "#" : "# " + comment;

    static StringBuilder Trailing(StringBuilder output, string? comment) =>
        comment is null ? output : output.Append("  ").Append(CommentText(comment));

    static bool HasComments(BodySyntax body) =>
        body.ClosingComments.Count > 0 || body.Statements.Any(s => !s.Trivia.IsEmpty);

    static void Body(StringBuilder output, BodySyntax body, string indent)
    {
        if (body.SingleLine && !HasComments(body))
        {
            if (body.Statements.Count == 0) { output.Append("{ }"); return; }
            output.Append("{ ");
            for (int i = 0; i < body.Statements.Count; i++)
            {
                if (i > 0) output.Append("; ");
                Statement(output, body.Statements[i], indent);
            }
            output.Append(" }");
            return;
        }
        output.Append('{');
        string inner = indent + Indent;
        StatementSyntax? previous = null;
        foreach (var statement in body.Statements)
        {
            bool join = statement.SameLine && previous is not null && previous.Trivia.Trailing is null && statement.Trivia.Leading.Count == 0;
            if (join) output.Append("; ");
            else
            {
                output.Append('\n');
                if (statement.BlankLineBefore && previous is not null) output.Append('\n');
                Comments(output, statement.Trivia.Leading, inner);
                output.Append(inner);
            }
            Statement(output, statement, inner);
            Trailing(output, statement.Trivia.Trailing);
            previous = statement;
        }
        output.Append('\n');
        Comments(output, body.ClosingComments, inner);
        output.Append(indent).Append('}');
    }

    static void Statement(StringBuilder output, StatementSyntax statement, string indent)
    {
        switch (statement)
        {
            case InputSyntax input:
                output.Append("input ").Append(Expression(input.Shape));
                break;
            case InitDeclarationSyntax init:
                output.Append("init ").Append(Expression(init.Scheme));
                break;
            case NeuronDeclarationSyntax neuron:
                output.Append("neuron ").Append(neuron.Kind.Text).Append(Arguments(neuron.Arguments));
                break;
            case BlockDeclarationSyntax block:
                output.Append("block ").Append(block.Name.Text).Append(Parameters(block.Parameters)).Append(' ');
                Body(output, block.Body, indent);
                break;
            case ItemSyntax item:
                if (item.Label is { } label) output.Append(label.Text).Append(": ");
                Item(output, item, indent);
                break;
        }
    }

    static void Item(StringBuilder output, ItemSyntax item, string indent)
    {
        switch (item)
        {
            case CallSyntax call:
                output.Append(call.Name.Text).Append(Arguments(call.Arguments));
                break;
            case RepeatSyntax repeat:
                output.Append("repeat ").Append(Expression(repeat.Count)).Append(' ');
                Item(output, repeat.Item, indent);
                break;
            case ForSyntax loop:
                output.Append("for ").Append(loop.Variable.Text).Append(" in ").Append(Expression(loop.Values)).Append(' ');
                Body(output, loop.Body, indent);
                break;
            case ResidualSyntax residual:
                output.Append("residual ");
                if (residual.Merge is { } merge) output.Append(merge.Text).Append(' ');
                Body(output, residual.Body, indent);
                if (residual.Shortcut is { } shortcut) Shortcut(output, shortcut, indent);
                break;
            case GroupSyntax group:
                Body(output, group.Body, indent);
                break;
        }
    }

    static void Shortcut(StringBuilder output, ShortcutSyntax shortcut, string indent)
    {
        output.Append(" shortcut ");
        if (shortcut.Body is { } body) Body(output, body, indent);
        else output.Append(shortcut.Word?.Text ?? "auto");
    }

    static string Parameters(SyntaxList<ParameterSyntax> parameters) =>
        parameters.Count == 0 ? "" : "(" + string.Join(", ", parameters.Select(p =>
            p.Default is null ? p.Name.Text : p.Name.Text + " = " + Expression(p.Default))) + ")";

    static string Arguments(SyntaxList<ArgumentSyntax> arguments) =>
        arguments.Count == 0 ? "" : "(" + string.Join(", ", arguments.Select(a =>
            a.Name is null ? Expression(a.Value) : a.Name.Text + " = " + Expression(a.Value))) + ")";

    /// <summary>The canonical text of an expression; parentheses are added only where the tree needs them.</summary>
    public static string Expression(ExpressionSyntax expression) => expression switch
    {
        IntegerSyntax i => i.Value.ToString(CultureInfo.InvariantCulture),
        FloatSyntax f => Number(f.Value),
        StringSyntax s => "\"" + s.Value.Replace("\\", "\\\\").Replace("\"", "\\\"") + "\"",
        BooleanSyntax b => b.Value ? "true" : "false",
        NameExpressionSyntax n => n.Name,
        CallExpressionSyntax c => c.Name.Text + Arguments(c.Arguments),
        ListSyntax l => "[" + string.Join(", ", l.Elements.Select(Expression)) + "]",
        BinarySyntax b => Operand(b.Left, b.Operator, false) + " " + Symbol(b.Operator) + " " + Operand(b.Right, b.Operator, true),
        NegateSyntax n => "-" + (n.Operand is BinarySyntax ? "(" + Expression(n.Operand) + ")" : Expression(n.Operand)),
        ParenthesizedSyntax p => "(" + Expression(p.Inner) + ")",
        _ => "",
    };

    static string Number(double value)
    {
        var text = value.ToString("R", CultureInfo.InvariantCulture);
        return text.Contains('.') || text.Contains('E') ? text : text + ".0";
    }

    static string Symbol(BinaryOperator op) => op switch
    {
        BinaryOperator.Add => "+", BinaryOperator.Subtract => "-", BinaryOperator.Multiply => "*", _ => "/",
    };

    static int Precedence(BinaryOperator op) => op is BinaryOperator.Multiply or BinaryOperator.Divide ? 2 : 1;

    // Left-associative: a right operand of equal precedence needs parentheses, a left one does not.
    static string Operand(ExpressionSyntax operand, BinaryOperator parent, bool isRight)
    {
        var text = Expression(operand);
        if (operand is not BinarySyntax child) return text;
        bool needs = Precedence(child.Operator) < Precedence(parent) || (isRight && Precedence(child.Operator) == Precedence(parent));
        return needs ? "(" + text + ")" : text;
    }
}
