// The parser: a recursive-descent reader that never throws, reports every error, inserts what is missing and skips junk.
using SnnDsl.Dsl.Diagnostics;
using SnnDsl.Dsl.Text;

namespace SnnDsl.Dsl.Syntax;

public sealed class Parser
{
    public const long LanguageVersion = 1;
    const int MaxDepth = 64;
    const int MaxOperators = 1000;

    readonly SourceText source;
    readonly DiagnosticBag diagnostics;
    readonly List<Token> tokens;
    int position;
    int depth;
    int openOperators;
    bool chainReported;
    int lastReportedAt = -1;
    bool abandoned;

    Parser(SourceText source, DiagnosticBag diagnostics, int start)
    {
        this.source = source;
        this.diagnostics = diagnostics;
        tokens = Lexer.LexForParser(source, diagnostics, start);
    }

    /// <summary>Parses a whole file. Problems go to the bag; the tree is always returned.</summary>
    public static CompilationUnitSyntax ParseFile(SourceText source, DiagnosticBag diagnostics) =>
        new Parser(source, diagnostics, 0).CompilationUnit();

    /// <summary>Parses one expression starting at offset start (used for --set values); reports text after it.</summary>
    public static ExpressionSyntax ParseExpression(SourceText source, DiagnosticBag diagnostics, int start)
    {
        var parser = new Parser(source, diagnostics, start);
        var expression = parser.Expression();
        if (parser.Current.Kind != TokenKind.EndOfFile)
            parser.Unexpected(parser.Current, "the end of the value");
        return expression;
    }

    Token Current => tokens[Math.Min(position, tokens.Count - 1)];
    Token PeekToken(int ahead) => tokens[Math.Min(position + ahead, tokens.Count - 1)];
    Token Previous => tokens[Math.Max(0, position - 1)];

    Token Advance()
    {
        var token = Current;
        if (position < tokens.Count - 1) position++;
        return token;
    }

    // Consumes the expected token or reports it and stands in a zero-width one (nothing is consumed).
    Token Match(TokenKind kind)
    {
        if (Current.Kind == kind) return Advance();
        if (abandoned || diagnostics.HasErrorAt(source, Previous.Span.Start)) { }
        else if (position > 0 && !SameLine(Previous, Current) && Current.Span.Start != lastReportedAt)
        {
            lastReportedAt = Current.Span.Start;
            diagnostics.MissingToken(source, new TextSpan(Previous.Span.End, 0), TokenFacts.Describe(kind), Previous.Text);
        }
        else Unexpected(Current, TokenFacts.Describe(kind));
        return new Token(kind, new TextSpan(Current.Span.Start, 0), "", null);
    }

    // One message per position: a missing token and the junk that follows it are the same mistake.
    void Unexpected(Token token, string expected)
    {
        if (abandoned || token.Kind == TokenKind.Bad || token.Span.Start == lastReportedAt || diagnostics.HasErrorAt(source, token.Span.Start)) return;
        lastReportedAt = token.Span.Start;
        diagnostics.UnexpectedToken(source, token.Span, Describe(token), expected);
    }

    static string Describe(Token token) => token.Kind switch
    {
        TokenKind.Identifier => $"name '{token.Text}'",
        TokenKind.Integer or TokenKind.Float => $"number {token.Text}",
        TokenKind.String => $"string {token.Text}",
        TokenKind.EndOfFile => "end of file",
        _ => TokenFacts.Describe(token.Kind),
    };

    TextSpan From(int start) => TextSpan.FromBounds(start, Math.Max(start, Previous.Span.End));

    static Trivia TriviaOf(Token first, Token last) =>
        new(SyntaxList.Of(first.LeadingComments.Select(Token.CommentText)), last.TrailingComment is { } c ? Token.CommentText(c) : null);

    bool SameLine(Token a, Token b) => source.LineIndex(a.Span.End) == source.LineIndex(b.Span.Start);

    // ---- file, network, bodies ----

    CompilationUnitSyntax CompilationUnit()
    {
        if (Current.Kind == TokenKind.EndOfFile && Current.LeadingComments.Count == 0 && source.Text.Trim().Length == 0)
        {
            diagnostics.EmptyFile(source);
            return new CompilationUnitSyntax(null, null, SyntaxList<string>.Empty);
        }
        var version = Version();
        var network = Network();
        if (Current.Kind != TokenKind.EndOfFile)
        {
            diagnostics.TextAfterNetwork(source, Current.Span);
            while (Current.Kind != TokenKind.EndOfFile) Advance();
        }
        var end = SyntaxList.Of(Current.LeadingComments.Select(Token.CommentText));
        return new CompilationUnitSyntax(version, network, end) { Span = new TextSpan(0, source.Length) };
    }

    VersionSyntax? Version()
    {
        if (Current.Kind != TokenKind.SnnKeyword)
        {
            diagnostics.MissingVersion(source, Current.Span);
            return null;
        }
        var first = Advance();
        var number = Match(TokenKind.Integer);
        long value = number.Value as long? ?? LanguageVersion;
        if (!number.IsMissing && value != LanguageVersion)
            diagnostics.UnsupportedVersion(source, number.Span, value, LanguageVersion);
        return new VersionSyntax(value) { Span = From(first.Span.Start), Trivia = TriviaOf(first, Previous) };
    }

    NetworkSyntax? Network()
    {
        if (Current.Kind != TokenKind.NetworkKeyword)
        {
            Unexpected(Current, "'network'");
            if (Current.Kind == TokenKind.EndOfFile) return null;
        }
        else Advance();
        var first = Previous.Kind == TokenKind.NetworkKeyword ? Previous : Current;
        var name = Name();
        var parameters = Current.Kind == TokenKind.OpenParen ? Parameters() : SyntaxList<ParameterSyntax>.Empty;
        var body = Body();
        return new NetworkSyntax(name, parameters, body) { Span = From(first.Span.Start), Trivia = TriviaOf(first, Previous) };
    }

    NameSyntax Name()
    {
        var token = Match(TokenKind.Identifier);
        return new NameSyntax(token.Text) { Span = token.Span };
    }

    SyntaxList<ParameterSyntax> Parameters()
    {
        Match(TokenKind.OpenParen);
        var parameters = new List<ParameterSyntax>();
        while (Current.Kind == TokenKind.Identifier)
        {
            var name = Name();
            ExpressionSyntax? value = null;
            if (Current.Kind == TokenKind.Equals) { Advance(); value = Expression(); }
            parameters.Add(new ParameterSyntax(name, value) { Span = From(name.Span.Start) });
            if (Current.Kind != TokenKind.Comma) break;
            Advance();
        }
        Match(TokenKind.CloseParen);
        return SyntaxList.Of(parameters);
    }

    BodySyntax Body()
    {
        var open = Match(TokenKind.OpenBrace);
        if (!Enter(open)) return new BodySyntax(SyntaxList<StatementSyntax>.Empty, true, SyntaxList<string>.Empty);
        var statements = new List<StatementSyntax>();
        Token? lastEnd = null;
        if (open.TrailingComment is { } afterOpen) Current.LeadingComments.Insert(0, afterOpen);
        while (Current.Kind is not (TokenKind.CloseBrace or TokenKind.EndOfFile))
        {
            if (Current.Kind == TokenKind.Semicolon) { Advance(); continue; }
            int before = position;
            var statement = Statement(lastEnd);
            if (statement is not null) { statements.Add(statement); lastEnd = Previous; }
            if (position == before) SkipJunk();
        }
        depth--;
        var closing = SyntaxList.Of(Current.LeadingComments.Select(Token.CommentText));
        if (Current.Kind == TokenKind.EndOfFile)
        {
            if (!open.IsMissing && !abandoned) diagnostics.UnterminatedBlock(source, open.Span);
            return new BodySyntax(SyntaxList.Of(statements), false, closing) { Span = From(open.Span.Start) };
        }
        var close = Advance();
        bool singleLine = !open.IsMissing && SameLine(open, close) && closing.Count == 0;
        return new BodySyntax(SyntaxList.Of(statements), singleLine, closing) { Span = From(open.Span.Start) };
    }

    bool Enter(Token at)
    {
        if (++depth <= MaxDepth) return true;
        if (!abandoned) diagnostics.NestingTooDeep(source, at.Span, MaxDepth);
        abandoned = true;
        while (Current.Kind != TokenKind.EndOfFile) Advance();
        depth--;
        return false;
    }

    // Reports the unexpected token once and skips to something that can start a statement on a new line.
    void SkipJunk()
    {
        Unexpected(Current, "a layer, a block or a statement");
        Advance();
        while (Current.Kind is not (TokenKind.CloseBrace or TokenKind.EndOfFile or TokenKind.Semicolon)
               && !(StartsStatement(Current) && !SameLine(Previous, Current)))
            Advance();
    }

    static bool StartsStatement(Token token) => token.Kind is TokenKind.InputKeyword or TokenKind.NeuronKeyword
        or TokenKind.BlockKeyword or TokenKind.RepeatKeyword or TokenKind.ForKeyword or TokenKind.ResidualKeyword
        or TokenKind.OpenBrace or TokenKind.Identifier;

    // ---- statements ----

    StatementSyntax? Statement(Token? previousEnd)
    {
        if (!StartsStatement(Current)) return null;
        var first = Current;
        StatementSyntax statement = Current.Kind switch
        {
            TokenKind.InputKeyword => Input(),
            TokenKind.NeuronKeyword => NeuronDeclaration(),
            TokenKind.BlockKeyword => BlockDeclaration(),
            TokenKind.Identifier when StartsInitDeclaration() => InitDeclaration(),
            _ => LabelledItem(),
        };
        bool sameLine = previousEnd is not null && SameLine(previousEnd, first);
        int firstLine = source.LineIndex((first.LeadingComments.FirstOrDefault() ?? first).Span.Start);
        bool blankLine = previousEnd is not null && firstLine - source.LineIndex(previousEnd.Span.End) > 1;
        return statement with
        {
            Span = From(first.Span.Start), Trivia = TriviaOf(first, Previous), SameLine = sameLine, BlankLineBefore = blankLine,
        };
    }

    InputSyntax Input()
    {
        Advance();
        return new InputSyntax(Expression());
    }

    NeuronDeclarationSyntax NeuronDeclaration()
    {
        Advance();
        var kind = Name();
        return new NeuronDeclarationSyntax(kind, Current.Kind == TokenKind.OpenParen ? Arguments() : SyntaxList<ArgumentSyntax>.Empty);
    }

    // `init` is a keyword only where a scheme name follows it (`init normal(std = 0.5)`), so layers may still be labelled init
    bool StartsInitDeclaration() => Current.Text == "init" && PeekToken(1).Kind == TokenKind.Identifier && SameLine(Current, PeekToken(1));

    InitDeclarationSyntax InitDeclaration()
    {
        Advance();
        return new InitDeclarationSyntax(Expression());
    }

    BlockDeclarationSyntax BlockDeclaration()
    {
        Advance();
        var name = Name();
        var parameters = Current.Kind == TokenKind.OpenParen ? Parameters() : SyntaxList<ParameterSyntax>.Empty;
        return new BlockDeclarationSyntax(name, parameters, Body());
    }

    ItemSyntax LabelledItem()
    {
        if (Current.Kind == TokenKind.Identifier && PeekToken(1).Kind == TokenKind.Colon)
        {
            var label = Name();
            Advance();
            return Item() with { Label = label };
        }
        return Item();
    }

    ItemSyntax Item()
    {
        var first = Current;
        ItemSyntax item = Current.Kind switch
        {
            TokenKind.RepeatKeyword => Repeat(),
            TokenKind.ForKeyword => For(),
            TokenKind.ResidualKeyword => Residual(),
            TokenKind.OpenBrace => new GroupSyntax(Body()),
            _ => Call(),
        };
        return item with { Span = From(first.Span.Start) };
    }

    CallSyntax Call()
    {
        var name = Name();
        return new CallSyntax(name, Current.Kind == TokenKind.OpenParen ? Arguments() : SyntaxList<ArgumentSyntax>.Empty);
    }

    RepeatSyntax Repeat()
    {
        Advance();
        var count = Expression();
        return new RepeatSyntax(count, Item());
    }

    ForSyntax For()
    {
        Advance();
        var variable = Name();
        Match(TokenKind.InKeyword);
        var values = Expression();
        return new ForSyntax(variable, values, Body());
    }

    ResidualSyntax Residual()
    {
        Advance();
        var merge = Current.Kind == TokenKind.Identifier ? Name() : null;
        var body = Body();
        if (Current.Kind != TokenKind.ShortcutKeyword) return new ResidualSyntax(merge, body, null);
        var start = Advance().Span.Start;
        var shortcut = Current.Kind == TokenKind.OpenBrace
            ? new ShortcutSyntax(null, Body())
            : new ShortcutSyntax(Name(), null);
        return new ResidualSyntax(merge, body, shortcut with { Span = From(start) });
    }

    SyntaxList<ArgumentSyntax> Arguments()
    {
        var open = Match(TokenKind.OpenParen);
        var arguments = new List<ArgumentSyntax>();
        while (Current.Kind is not (TokenKind.CloseParen or TokenKind.EndOfFile))
        {
            int start = Current.Span.Start;
            NameSyntax? name = null;
            if (Current.Kind == TokenKind.Identifier && PeekToken(1).Kind == TokenKind.Equals) { name = Name(); Advance(); }
            var value = Expression();
            arguments.Add(new ArgumentSyntax(name, value) { Span = From(start) });
            if (Current.Kind != TokenKind.Comma) break;
            Advance();
        }
        Match(TokenKind.CloseParen);
        return SyntaxList.Of(arguments);
    }

    // ---- expressions ----

    ExpressionSyntax Expression() => Binary(0);

    static BinaryOperator? Operator(TokenKind kind) => kind switch
    {
        TokenKind.Plus => BinaryOperator.Add, TokenKind.Minus => BinaryOperator.Subtract,
        TokenKind.Star => BinaryOperator.Multiply, TokenKind.Slash => BinaryOperator.Divide,
        _ => null,
    };

    static int Precedence(BinaryOperator op) => op is BinaryOperator.Multiply or BinaryOperator.Divide ? 2 : 1;

    // A chain `a * b * c ...` is read in a loop (its right operands recurse one level), and the operator nodes open
    // on the current path are counted: past MaxOperators the rest of the chain is read and reported, not built, so
    // the tree stays shallow enough for the recursive binder, evaluator and formatter.
    ExpressionSyntax Binary(int minimum)
    {
        int start = Current.Span.Start;
        var left = Unary();
        int built = 0;
        while (Operator(Current.Kind) is { } op && Precedence(op) > minimum)
        {
            var token = Advance();
            var right = Binary(Precedence(op));
            if (openOperators >= MaxOperators)
            {
                if (!chainReported) diagnostics.ExpressionTooLong(source, token.Span, MaxOperators);
                chainReported = true;
                continue;
            }
            openOperators++;
            built++;
            left = new BinarySyntax(left, op, right) { Span = From(start) };
        }
        openOperators -= built;
        return left;
    }

    ExpressionSyntax Unary()
    {
        if (Current.Kind != TokenKind.Minus) return Primary();
        var minus = Advance();
        if (!Enter(minus)) return new MissingExpressionSyntax { Span = minus.Span };
        var operand = Unary();
        depth--;
        return new NegateSyntax(operand) { Span = From(minus.Span.Start) };
    }

    ExpressionSyntax Primary()
    {
        var token = Current;
        switch (token.Kind)
        {
            case TokenKind.Integer: Advance(); return new IntegerSyntax((long)token.Value!) { Span = token.Span };
            case TokenKind.Float: Advance(); return new FloatSyntax((double)token.Value!) { Span = token.Span };
            case TokenKind.String: Advance(); return new StringSyntax((string)token.Value!) { Span = token.Span };
            case TokenKind.TrueKeyword: Advance(); return new BooleanSyntax(true) { Span = token.Span };
            case TokenKind.FalseKeyword: Advance(); return new BooleanSyntax(false) { Span = token.Span };
            case TokenKind.Identifier: return NameOrCall();
            case TokenKind.OpenBracket: return Nested(ListExpression);
            case TokenKind.OpenParen: return Nested(Parenthesized);
            default:
                Unexpected(token, "a value");
                if (token.Kind == TokenKind.Bad) Advance();
                return new MissingExpressionSyntax { Span = new TextSpan(token.Span.Start, 0) };
        }
    }

    ExpressionSyntax Nested(Func<ExpressionSyntax> parse)
    {
        if (!Enter(Current)) return new MissingExpressionSyntax { Span = Current.Span };
        var expression = parse();
        depth--;
        return expression;
    }

    ExpressionSyntax NameOrCall()
    {
        var name = Name();
        if (Current.Kind != TokenKind.OpenParen) return new NameExpressionSyntax(name.Text) { Span = name.Span };
        var arguments = Arguments();
        return new CallExpressionSyntax(name, arguments) { Span = From(name.Span.Start) };
    }

    ExpressionSyntax ListExpression()
    {
        int start = Advance().Span.Start;
        var elements = new List<ExpressionSyntax>();
        while (Current.Kind is not (TokenKind.CloseBracket or TokenKind.EndOfFile))
        {
            elements.Add(Expression());
            if (Current.Kind != TokenKind.Comma) break;
            Advance();
        }
        Match(TokenKind.CloseBracket);
        return new ListSyntax(SyntaxList.Of(elements)) { Span = From(start) };
    }

    ExpressionSyntax Parenthesized()
    {
        int start = Advance().Span.Start;
        var inner = Expression();
        Match(TokenKind.CloseParen);
        return new ParenthesizedSyntax(inner) { Span = From(start) };
    }
}
