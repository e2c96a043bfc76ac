// A token: its kind, span and text, the value of a literal, and the comments around it.
using SnnDsl.Dsl.Text;

namespace SnnDsl.Dsl.Syntax;

/// <summary>
/// A lexed token. Value holds a literal's value (long, double or string). LeadingComments are the comment lines
/// before the token; TrailingComment is a comment after it on the same line (text without the '#').
/// </summary>
public sealed record Token(TokenKind Kind, TextSpan Span, string Text, object? Value)
{
    public List<Token> LeadingComments { get; } = [];
    public Token? TrailingComment { get; set; }
    public bool IsMissing => Span.Length == 0 && Kind != TokenKind.EndOfFile;

    public static string CommentText(Token comment) => comment.Text.TrimStart('#').Trim();
}
