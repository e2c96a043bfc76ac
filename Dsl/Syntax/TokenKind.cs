// The kinds of tokens the lexer produces, and the keywords of the language.
namespace SnnDsl.Dsl.Syntax;

public enum TokenKind
{
    EndOfFile,
    Bad,
    Comment,
    Identifier,
    Integer,
    Float,
    String,
    // keywords
    SnnKeyword,
    NetworkKeyword,
    InputKeyword,
    NeuronKeyword,
    BlockKeyword,
    RepeatKeyword,
    ForKeyword,
    InKeyword,
    ResidualKeyword,
    ShortcutKeyword,
    TrueKeyword,
    FalseKeyword,
    // punctuation
    OpenParen,
    CloseParen,
    OpenBrace,
    CloseBrace,
    OpenBracket,
    CloseBracket,
    Comma,
    Semicolon,
    Colon,
    Equals,
    Plus,
    Minus,
    Star,
    Slash,
}

public static class TokenFacts
{
    public static readonly IReadOnlyDictionary<string, TokenKind> Keywords = new Dictionary<string, TokenKind>
    {
        ["snn"] = TokenKind.SnnKeyword,
        ["network"] = TokenKind.NetworkKeyword,
        ["input"] = TokenKind.InputKeyword,
        ["neuron"] = TokenKind.NeuronKeyword,
        ["block"] = TokenKind.BlockKeyword,
        ["repeat"] = TokenKind.RepeatKeyword,
        ["for"] = TokenKind.ForKeyword,
        ["in"] = TokenKind.InKeyword,
        ["residual"] = TokenKind.ResidualKeyword,
        ["shortcut"] = TokenKind.ShortcutKeyword,
        ["true"] = TokenKind.TrueKeyword,
        ["false"] = TokenKind.FalseKeyword,
    };

    /// <summary>How a token kind is named in messages: the punctuation itself, the keyword, or a description.</summary>
    public static string Describe(TokenKind kind) => kind switch
    {
        TokenKind.EndOfFile => "the end of the file",
        TokenKind.Bad => "an unexpected character",
        TokenKind.Comment => "a comment",
        TokenKind.Identifier => "a name",
        TokenKind.Integer => "a whole number",
        TokenKind.Float => "a number",
        TokenKind.String => "a string",
        TokenKind.OpenParen => "'('",
        TokenKind.CloseParen => "')'",
        TokenKind.OpenBrace => "'{'",
        TokenKind.CloseBrace => "'}'",
        TokenKind.OpenBracket => "'['",
        TokenKind.CloseBracket => "']'",
        TokenKind.Comma => "','",
        TokenKind.Semicolon => "';'",
        TokenKind.Colon => "':'",
        TokenKind.Equals => "'='",
        TokenKind.Plus => "'+'",
        TokenKind.Minus => "'-'",
        TokenKind.Star => "'*'",
        TokenKind.Slash => "'/'",
        _ => "'" + Keywords.First(k => k.Value == kind).Key + "'",
    };
}
