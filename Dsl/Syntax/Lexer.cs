// The lexer: turns source text into tokens, reporting bad characters, numbers and strings without stopping.
using System.Globalization;
using System.Text;
using SnnDsl.Dsl.Diagnostics;
using SnnDsl.Dsl.Text;

namespace SnnDsl.Dsl.Syntax;

public sealed class Lexer(SourceText source, DiagnosticBag diagnostics, int start = 0)
{
    int position = start;

    /// <summary>Every token in order, comments included, ending with EndOfFile.</summary>
    public static List<Token> Lex(SourceText source, DiagnosticBag diagnostics, int start = 0)
    {
        var lexer = new Lexer(source, diagnostics, start);
        var tokens = new List<Token>();
        Token token;
        do { token = lexer.Next(); tokens.Add(token); } while (token.Kind != TokenKind.EndOfFile);
        return tokens;
    }

    /// <summary>The tokens the parser reads: comments removed and attached to the neighbouring tokens.</summary>
    public static List<Token> LexForParser(SourceText source, DiagnosticBag diagnostics, int start = 0)
    {
        var significant = new List<Token>();
        var pending = new List<Token>();
        foreach (var token in Lex(source, diagnostics, start))
        {
            if (token.Kind != TokenKind.Comment)
            {
                token.LeadingComments.AddRange(pending);
                pending.Clear();
                significant.Add(token);
            }
            else if (significant.Count > 0 && pending.Count == 0 && SameLine(source, significant[^1], token))
                significant[^1].TrailingComment = token;
            else
                pending.Add(token);
        }
        return significant;
    }

    static bool SameLine(SourceText source, Token a, Token b) => source.LineIndex(a.Span.End) == source.LineIndex(b.Span.Start);

    char Current => source[position];
    char Peek(int ahead) => source[position + ahead];

    Token Next()
    {
        SkipWhitespace();
        int begin = position;
        if (position >= source.Length) return Make(TokenKind.EndOfFile, begin, null);
        char c = Current;
        if (c == '#') return Comment(begin);
        if (char.IsAsciiDigit(c) || (c == '.' && char.IsAsciiDigit(Peek(1)))) return Number(begin);
        if (c == '"') return StringLiteral(begin);
        if (char.IsLetter(c) || c == '_') return IdentifierOrKeyword(begin);
        if (Punctuation(c) is { } kind) { position++; return Make(kind, begin, null); }
        position++;
        if (char.IsHighSurrogate(c) && char.IsLowSurrogate(Current)) position++;
        diagnostics.UnexpectedCharacter(source, TextSpan.FromBounds(begin, position), source.Text[begin..position]);
        return Make(TokenKind.Bad, begin, null);
    }

    void SkipWhitespace()
    {
        while (position < source.Length && char.IsWhiteSpace(Current)) position++;
    }

    Token Make(TokenKind kind, int begin, object? value) =>
        new(kind, TextSpan.FromBounds(begin, position), source.Text[begin..position], value);

    static TokenKind? Punctuation(char c) => c switch
    {
        '(' => TokenKind.OpenParen, ')' => TokenKind.CloseParen,
        '{' => TokenKind.OpenBrace, '}' => TokenKind.CloseBrace,
        '[' => TokenKind.OpenBracket, ']' => TokenKind.CloseBracket,
        ',' => TokenKind.Comma, ';' => TokenKind.Semicolon, ':' => TokenKind.Colon, '=' => TokenKind.Equals,
        '+' => TokenKind.Plus, '-' => TokenKind.Minus, '*' => TokenKind.Star, '/' => TokenKind.Slash,
        _ => null,
    };

    Token Comment(int begin)
    {
        while (position < source.Length && Current != '\n' && Current != '\r') position++;
        return Make(TokenKind.Comment, begin, null);
    }

    Token IdentifierOrKeyword(int begin)
    {
        while (position < source.Length && (char.IsLetterOrDigit(Current) || Current == '_')) position++;
        var text = source.Text[begin..position];
        return Make(TokenFacts.Keywords.TryGetValue(text, out var keyword) ? keyword : TokenKind.Identifier, begin, text);
    }

    Token Number(int begin)
    {
        bool isFloat = false;
        while (char.IsAsciiDigit(Current)) position++;
        if (Current == '.' && char.IsAsciiDigit(Peek(1))) { isFloat = true; position++; while (char.IsAsciiDigit(Current)) position++; }
        if ((Current == 'e' || Current == 'E') && (char.IsAsciiDigit(Peek(1)) || ((Peek(1) == '-' || Peek(1) == '+') && char.IsAsciiDigit(Peek(2)))))
        {
            isFloat = true;
            position += 2;
            while (char.IsAsciiDigit(Current)) position++;
        }
        var text = source.Text[begin..position];
        if (isFloat)
        {
            double value = double.Parse(text, CultureInfo.InvariantCulture);
            if (double.IsInfinity(value)) { diagnostics.NumberTooLarge(source, TextSpan.FromBounds(begin, position), text); value = 0; }
            return Make(TokenKind.Float, begin, value);
        }
        if (!long.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out long whole))
            diagnostics.NumberTooLarge(source, TextSpan.FromBounds(begin, position), text);
        return Make(TokenKind.Integer, begin, whole);
    }

    Token StringLiteral(int begin)
    {
        position++;
        var value = new StringBuilder();
        while (true)
        {
            if (position >= source.Length || Current == '\n' || Current == '\r')
            {
                diagnostics.UnterminatedString(source, TextSpan.FromBounds(begin, position));
                return Make(TokenKind.String, begin, value.ToString());
            }
            char c = Current;
            position++;
            if (c == '"') return Make(TokenKind.String, begin, value.ToString());
            if (c == '\\' && position < source.Length && (Current == '"' || Current == '\\')) { value.Append(Current); position++; }
            else value.Append(c);
        }
    }
}
