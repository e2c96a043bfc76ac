// The syntax tree: one small record per node. Spans locate nodes for messages but take no part in equality.
using SnnDsl.Dsl.Text;

namespace SnnDsl.Dsl.Syntax;

/// <summary>Base of every node. Two trees are equal when they have the same shape and content, wherever they came from.</summary>
public abstract record SyntaxNode
{
    public TextSpan Span { get; init; }
    public virtual bool Equals(SyntaxNode? other) => other is not null && EqualityContract == other.EqualityContract;
    public override int GetHashCode() => EqualityContract.GetHashCode();
}

/// <summary>Comments kept with a statement: whole lines before it and one comment after it on its last line.</summary>
public sealed record Trivia(SyntaxList<string> Leading, string? Trailing)
{
    public static readonly Trivia None = new(SyntaxList<string>.Empty, null);
    public bool IsEmpty => Leading.Count == 0 && Trailing is null;
}

/// <summary>A name as written, with its span (declared names, labels, argument names).</summary>
public sealed record NameSyntax(string Text) : SyntaxNode
{
    public override string ToString() => Text;
}

/// <summary>The whole file: the version line, the network, and comments after it.</summary>
public sealed record CompilationUnitSyntax(VersionSyntax? Version, NetworkSyntax? Network, SyntaxList<string> EndComments) : SyntaxNode;

/// <summary>The language version line, `snn 1`.</summary>
public sealed record VersionSyntax(long Number) : SyntaxNode
{
    public Trivia Trivia { get; init; } = Trivia.None;
}

/// <summary>`network name(param = default, ...) { ... }`.</summary>
public sealed record NetworkSyntax(NameSyntax Name, SyntaxList<ParameterSyntax> Parameters, BodySyntax Body) : SyntaxNode
{
    public Trivia Trivia { get; init; } = Trivia.None;
}

/// <summary>A declared parameter of a network or block, with an optional default value.</summary>
public sealed record ParameterSyntax(NameSyntax Name, ExpressionSyntax? Default) : SyntaxNode;

/// <summary>`{ statements }`. SingleLine: written on one line; ClosingComments: comment lines before the '}'.</summary>
public sealed record BodySyntax(SyntaxList<StatementSyntax> Statements, bool SingleLine, SyntaxList<string> ClosingComments) : SyntaxNode;

/// <summary>
/// A statement. SameLine: written on the same line as the statement before it (separated by ';');
/// BlankLineBefore: an empty line separates it from the statement before it.
/// </summary>
public abstract record StatementSyntax : SyntaxNode
{
    public Trivia Trivia { get; init; } = Trivia.None;
    public bool SameLine { get; init; }
    public bool BlankLineBefore { get; init; }
}

/// <summary>`input [3, 32, 32]`: the per-sample input shape of the network.</summary>
public sealed record InputSyntax(ExpressionSyntax Shape) : StatementSyntax;

/// <summary>`neuron lif(tau = 1.25, ...)`: defaults for every later layer of that neuron kind in the enclosing body.</summary>
public sealed record NeuronDeclarationSyntax(NameSyntax Kind, SyntaxList<ArgumentSyntax> Arguments) : StatementSyntax;

/// <summary>`init normal(std = 0.5)`: the initialisation of every later conv and linear layer in the enclosing body.</summary>
public sealed record InitDeclarationSyntax(ExpressionSyntax Scheme) : StatementSyntax;

/// <summary>`block name(params) { ... }`: a parameterised group of layers, used like a layer.</summary>
public sealed record BlockDeclarationSyntax(NameSyntax Name, SyntaxList<ParameterSyntax> Parameters, BodySyntax Body) : StatementSyntax;

/// <summary>A statement that produces a layer. Label, when given (`stem: conv(...)`), names the layer.</summary>
public abstract record ItemSyntax : StatementSyntax
{
    public NameSyntax? Label { get; init; }
}

/// <summary>`conv(64, 3, stride = 2)` or `bn`: a built-in layer or a block.</summary>
public sealed record CallSyntax(NameSyntax Name, SyntaxList<ArgumentSyntax> Arguments) : ItemSyntax;

/// <summary>`repeat 2 basic(64)`: the item, repeated.</summary>
public sealed record RepeatSyntax(ExpressionSyntax Count, ItemSyntax Item) : ItemSyntax;

/// <summary>`for w in [64, 128] { ... }`: the body once per list element.</summary>
public sealed record ForSyntax(NameSyntax Variable, ExpressionSyntax Values, BodySyntax Body) : ItemSyntax;

/// <summary>`residual add { ... } shortcut auto`: merge(body(x), shortcut(x)).</summary>
public sealed record ResidualSyntax(NameSyntax? Merge, BodySyntax Body, ShortcutSyntax? Shortcut) : ItemSyntax;

/// <summary>The shortcut of a residual: a word (`auto`, `identity`) or a body of layers.</summary>
public sealed record ShortcutSyntax(NameSyntax? Word, BodySyntax? Body) : SyntaxNode;

/// <summary>`{ ... }` as an item: a nested sequence of layers.</summary>
public sealed record GroupSyntax(BodySyntax Body) : ItemSyntax;

/// <summary>A positional (`64`) or named (`stride = 2`) argument.</summary>
public sealed record ArgumentSyntax(NameSyntax? Name, ExpressionSyntax Value) : SyntaxNode;

public abstract record ExpressionSyntax : SyntaxNode;

public sealed record IntegerSyntax(long Value) : ExpressionSyntax;

public sealed record FloatSyntax(double Value) : ExpressionSyntax;

public sealed record StringSyntax(string Value) : ExpressionSyntax;

public sealed record BooleanSyntax(bool Value) : ExpressionSyntax;

/// <summary>A name in an expression: a parameter or loop variable, or a word such as `soft`, `global`, `sigmoid`.</summary>
public sealed record NameExpressionSyntax(string Name) : ExpressionSyntax;

/// <summary>`sigmoid(alpha = 4)`: a word with arguments, e.g. a surrogate.</summary>
public sealed record CallExpressionSyntax(NameSyntax Name, SyntaxList<ArgumentSyntax> Arguments) : ExpressionSyntax;

public sealed record ListSyntax(SyntaxList<ExpressionSyntax> Elements) : ExpressionSyntax;

public enum BinaryOperator { Add, Subtract, Multiply, Divide }

public sealed record BinarySyntax(ExpressionSyntax Left, BinaryOperator Operator, ExpressionSyntax Right) : ExpressionSyntax;

public sealed record NegateSyntax(ExpressionSyntax Operand) : ExpressionSyntax;

public sealed record ParenthesizedSyntax(ExpressionSyntax Inner) : ExpressionSyntax;

/// <summary>Stands where the parser expected an expression and found none (an error has been reported).</summary>
public sealed record MissingExpressionSyntax : ExpressionSyntax;

public static class ItemSyntaxExtensions
{
    /// <summary>The same item with a label (for builders in languages without C#'s `with`).</summary>
    public static ItemSyntax WithLabel(this ItemSyntax item, NameSyntax label) => item with { Label = label };
}
