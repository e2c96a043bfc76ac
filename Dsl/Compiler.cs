// The public facade of the language: text (or bytes, or a tree) in; network description, layer table and diagnostics out.
using System.Text;
using SnnDsl.Dsl.Binding;
using SnnDsl.Dsl.Diagnostics;
using SnnDsl.Dsl.Formatting;
using SnnDsl.Dsl.Model;
using SnnDsl.Dsl.Syntax;
using SnnDsl.Dsl.Text;

namespace SnnDsl.Dsl;

/// <summary>
/// What compiling a file gives: the network (null when there are errors), every diagnostic, the layer table
/// (one row per layer with shapes and costs; empty without a network), the stable parameter names, and the tree.
/// </summary>
public sealed record CompileResult(
    NetworkSpec? Network,
    IReadOnlyList<Diagnostic> Diagnostics,
    IReadOnlyList<LayerInfo> LayerTable,
    IReadOnlyList<ParameterName> Parameters,
    CompilationUnitSyntax? Syntax,
    SourceText Source)
{
    public bool Succeeded => Network is not null && !Diagnostics.Any(d => d.IsError);
}

public static class Compiler
{
    /// <summary>Name used for diagnostics about --set values.</summary>
    public const string CommandLine = "<command line>";

    /// <summary>Compiles the text of a file. Overrides are "name=value" strings as given to --set.</summary>
    public static CompileResult Compile(string text, string fileName, IEnumerable<string>? overrides = null)
    {
        var source = new SourceText(text, fileName);
        var diagnostics = new DiagnosticBag();
        var unit = Parser.ParseFile(source, diagnostics);
        var parsedOverrides = ParseOverrides(overrides ?? [], diagnostics);
        if (diagnostics.HasErrors) return Failed(diagnostics, unit, source);
        var network = Binder.Bind(unit, source, diagnostics, parsedOverrides);
        if (network is null || diagnostics.HasErrors) return Failed(diagnostics, unit, source);
        try
        {
            return new CompileResult(network, diagnostics.Items, ShapeInference.Analyse(network), ParameterNames.Of(network), unit, source);
        }
        catch (ShapeException e)
        {
            diagnostics.InternalShapeError(source, unit.Network?.Name.Span ?? TextSpan.None, e.Message);
            return Failed(diagnostics, unit, source);
        }
    }

    /// <summary>Compiles the bytes of a file: refuses text that is not UTF-8 and points at the first bad byte.</summary>
    public static CompileResult CompileBytes(byte[] bytes, string fileName, IEnumerable<string>? overrides = null)
    {
        var (text, problems) = Decode(bytes, fileName);
        return text is null ? new CompileResult(null, problems, [], [], null, new SourceText("", fileName)) : Compile(text, fileName, overrides);
    }

    /// <summary>The text of a UTF-8 file (a byte order mark is dropped), or null and a diagnostic at the first bad byte.</summary>
    public static (string? Text, IReadOnlyList<Diagnostic> Diagnostics) Decode(byte[] bytes, string fileName)
    {
        var start = bytes.AsSpan().StartsWith(Encoding.UTF8.Preamble) ? Encoding.UTF8.Preamble.Length : 0;
        try
        {
            var strict = new UTF8Encoding(false, throwOnInvalidBytes: true);
            return (strict.GetString(bytes, start, bytes.Length - start), []);
        }
        catch (DecoderFallbackException e)
        {
            return (null, InvalidUtf8(bytes, start, e.Index, fileName));
        }
    }

    /// <summary>
    /// Compiles a tree built in code (the F# authoring API): it is printed canonically and compiled as that text,
    /// so its diagnostics point at lines of the .snn file it would save as.
    /// </summary>
    public static CompileResult CompileSyntax(CompilationUnitSyntax unit, string fileName, IEnumerable<string>? overrides = null) =>
        Compile(Formatter.Format(unit), fileName, overrides);

    /// <summary>Parses text into a tree without binding it; diagnostics are the lexer's and parser's.</summary>
    public static (CompilationUnitSyntax Syntax, IReadOnlyList<Diagnostic> Diagnostics) Parse(string text, string fileName)
    {
        var diagnostics = new DiagnosticBag();
        var unit = Parser.ParseFile(new SourceText(text, fileName), diagnostics);
        return (unit, diagnostics.Items);
    }

    /// <summary>
    /// The canonical text of a file, or null with the reasons: syntax errors, or comments the printer could not
    /// keep (those inside an expression), so that formatting never loses a comment silently.
    /// </summary>
    public static (string? Text, IReadOnlyList<Diagnostic> Diagnostics) Format(string text, string fileName)
    {
        var source = new SourceText(text, fileName);
        var diagnostics = new DiagnosticBag();
        var unit = Parser.ParseFile(source, diagnostics);
        if (diagnostics.HasErrors) return (null, diagnostics.Items);
        var formatted = Formatter.Format(unit);
        var kept = Comments(formatted).Select(c => c.Text.Trim()).ToList();
        foreach (var comment in Comments(text))
            if (!kept.Remove(comment.Text.Trim())) diagnostics.CommentWouldBeLost(source, comment.Span);
        return diagnostics.HasErrors ? (null, diagnostics.Items) : (formatted, []);
    }

    static IEnumerable<Token> Comments(string text) =>
        Lexer.Lex(new SourceText(text, ""), new DiagnosticBag()).Where(t => t.Kind == TokenKind.Comment);

    static CompileResult Failed(DiagnosticBag diagnostics, CompilationUnitSyntax? unit, SourceText source) =>
        new(null, diagnostics.Items, [], [], unit, source);

    static IReadOnlyList<Diagnostic> InvalidUtf8(byte[] bytes, int start, int index, string fileName)
    {
        int offset = Math.Clamp(index < 0 ? 0 : index, 0, bytes.Length - start);
        var lenient = new UTF8Encoding(false, false);
        var prefix = lenient.GetString(bytes, start, offset);
        var source = new SourceText(lenient.GetString(bytes, start, bytes.Length - start), fileName);
        var diagnostics = new DiagnosticBag();
        diagnostics.InvalidUtf8(source, new TextSpan(prefix.Length, 1), bytes[Math.Min(start + offset, bytes.Length - 1)]);
        return diagnostics.Items;
    }

    static List<Override> ParseOverrides(IEnumerable<string> overrides, DiagnosticBag diagnostics)
    {
        var result = new List<Override>();
        foreach (var assignment in overrides)
        {
            const string flag = "--set ";
            var source = new SourceText(flag + assignment, CommandLine);
            int equals = assignment.IndexOf('=');
            var name = equals < 0 ? "" : assignment[..equals].Trim();
            if (name.Length == 0 || !name.All(c => char.IsLetterOrDigit(c) || c == '_'))
            {
                diagnostics.MalformedOverride(source, new TextSpan(flag.Length, assignment.Length));
                continue;
            }
            var value = Parser.ParseExpression(source, diagnostics, flag.Length + equals + 1);
            result.Add(new Override(name, new TextSpan(flag.Length + assignment.IndexOf(name, StringComparison.Ordinal), name.Length), value, source));
        }
        return result;
    }
}
