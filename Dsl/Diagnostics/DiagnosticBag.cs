// Every message of the language, worded in this one file, each under its stable code (SNN0001...).
using SnnDsl.Dsl.Text;

namespace SnnDsl.Dsl.Diagnostics;

/// <summary>Collects diagnostics. Each method is one kind of problem with a fixed code; codes never change meaning.</summary>
public sealed class DiagnosticBag
{
    readonly List<Diagnostic> items = [];
    readonly HashSet<(string, int, int, string, string)> seen = [];
    readonly HashSet<(SourceText?, int)> errorStarts = [];

    /// <summary>Every diagnostic: command-line ones first, then in source order.</summary>
    public IReadOnlyList<Diagnostic> Items =>
        items.OrderBy(d => d.FileName == Compiler.CommandLine ? 0 : 1).ThenBy(d => d.Span.Start).ToList();
    public bool HasErrors => items.Any(d => d.IsError);

    /// <summary>Whether an error already starts at this offset of this source (the parser then stays quiet).</summary>
    public bool HasErrorAt(SourceText source, int start) => errorStarts.Contains((source, start));

    public void AddRange(IEnumerable<Diagnostic> diagnostics)
    {
        foreach (var d in diagnostics) Add(d);
    }

    // A block body is bound once per call; the same problem at the same place is reported once.
    void Add(Diagnostic diagnostic)
    {
        var key = (diagnostic.Code, diagnostic.Span.Start, diagnostic.Span.Length, diagnostic.FileName, diagnostic.Message);
        if (!seen.Add(key)) return;
        items.Add(diagnostic);
        if (diagnostic.IsError) errorStarts.Add((diagnostic.Source, diagnostic.Span.Start));
    }

    void Error(string code, SourceText? source, TextSpan span, string message) =>
        Add(new Diagnostic(code, Severity.Error, message, source, span));

    static string DidYouMean(string? suggestion) => suggestion is null ? "" : $"; did you mean '{suggestion}'?";

    // A suggestion when one is close, else the explanation of what is allowed.
    static string HintOr(string name, IEnumerable<string> known, string otherwise) =>
        Suggestions.Closest(name, known) is { } s ? DidYouMean(s) : otherwise;

    static string List(IEnumerable<string> names) => string.Join(", ", names.Select(n => $"'{n}'"));

    // ---- the file as a whole (SNN00xx) ----

    public void EmptyFile(SourceText source) =>
        Error("SNN0001", source, TextSpan.None, "the file is empty; a network file starts with the version line 'snn 1' followed by 'network name { ... }'");

    public void InvalidUtf8(SourceText source, TextSpan span, byte value) =>
        Error("SNN0002", source, span, $"the file is not valid UTF-8: byte 0x{value:X2} here cannot be decoded; save the file as UTF-8");

    public void UnexpectedCharacter(SourceText source, TextSpan span, string character) =>
        Error("SNN0003", source, span, $"unexpected character '{character}'");

    public void UnterminatedString(SourceText source, TextSpan span) =>
        Error("SNN0004", source, span, "this string is never closed; add a '\"' before the end of the line");

    public void NumberTooLarge(SourceText source, TextSpan span, string text) =>
        Error("SNN0005", source, span, $"the number {text} is too large");

    public void UnexpectedToken(SourceText source, TextSpan span, string found, string expected) =>
        Error("SNN0006", source, span, $"unexpected {found}, expected {expected}");

    public void MissingVersion(SourceText source, TextSpan span) =>
        Error("SNN0007", source, span, "a network file starts with the language version line 'snn 1'");

    public void UnsupportedVersion(SourceText source, TextSpan span, long version, long supported) =>
        Error("SNN0008", source, span, $"this file is written for language version {version}, but this tool reads version {supported}");

    public void NestingTooDeep(SourceText source, TextSpan span, int limit) =>
        Error("SNN0009", source, span, $"nesting is deeper than {limit} levels here; the rest of the file was not read");

    public void ExpressionTooLong(SourceText source, TextSpan span, int limit) =>
        Error("SNN0014", source, span, $"this expression has more than {limit} operators; shorten it (a network parameter can hold a computed value)");

    public void UnterminatedBlock(SourceText source, TextSpan span) =>
        Error("SNN0010", source, span, "this '{' is never closed; add a '}' to end it");

    public void TextAfterNetwork(SourceText source, TextSpan span) =>
        Error("SNN0011", source, span, "unexpected text after the end of the network; a file holds one network");

    public void MissingToken(SourceText source, TextSpan span, string expected, string after) =>
        Error("SNN0012", source, span, $"expected {expected} after '{after}' at the end of this line");

    public void CommentWouldBeLost(SourceText source, TextSpan span) =>
        Error("SNN0013", source, span, "fmt cannot keep a comment inside a statement; move it to a line of its own or to the end of the statement");

    // ---- names, arguments and values (SNN01xx) ----

    public void UnknownLayer(SourceText source, TextSpan span, string name, IEnumerable<string> known) =>
        Error("SNN0100", source, span, $"unknown layer or block '{name}'{DidYouMean(Suggestions.Closest(name, known))}");

    public void UnknownArgument(SourceText source, TextSpan span, string callee, string name, IEnumerable<string> known)
    {
        var names = known.ToList();
        var hint = Suggestions.Closest(name, names) is { } s ? DidYouMean(s)
            : names.Count == 0 ? $"; '{callee}' takes no arguments" : $"; '{callee}' takes {List(names)}";
        Error("SNN0101", source, span, $"'{callee}' has no argument '{name}'{hint}");
    }

    public void TooManyArguments(SourceText source, TextSpan span, string callee, int allowed, int given) =>
        Error("SNN0102", source, span, allowed == 0
            ? $"'{callee}' takes no positional arguments, but {given} {(given == 1 ? "was" : "were")} given"
            : $"'{callee}' takes at most {allowed} positional argument{(allowed == 1 ? "" : "s")}, but {given} were given");

    public void MissingArgument(SourceText source, TextSpan span, string callee, string name) =>
        Error("SNN0103", source, span, $"'{callee}' needs a value for '{name}'");

    public void ArgumentGivenTwice(SourceText source, TextSpan span, string callee, string name) =>
        Error("SNN0104", source, span, $"'{name}' is given twice to '{callee}'");

    public void WrongType(SourceText source, TextSpan span, string what, string expected, string got) =>
        Error("SNN0105", source, span, $"{what} must be {expected}, but this is {got}");

    public void UnknownName(SourceText source, TextSpan span, string name, IEnumerable<string> known) =>
        Error("SNN0106", source, span, $"unknown name '{name}'{DidYouMean(Suggestions.Closest(name, known))}");

    public void DuplicateBlock(SourceText source, TextSpan span, string name) =>
        Error("SNN0107", source, span, $"a block named '{name}' is already declared");

    public void DuplicateLayerName(SourceText source, TextSpan span, string name) =>
        Error("SNN0108", source, span, $"the name '{name}' is already used by another layer here; layer names must be unique within their group");

    public void DuplicateParameter(SourceText source, TextSpan span, string name) =>
        Error("SNN0109", source, span, $"the parameter '{name}' is declared twice");

    public void BlockShadowsLayer(SourceText source, TextSpan span, string name) =>
        Error("SNN0110", source, span, $"'{name}' is a built-in layer; choose another name for this block");

    public void MissingInput(SourceText source, TextSpan span, string network) =>
        Error("SNN0111", source, span, $"network '{network}' has no input shape; add a line such as 'input [3, 32, 32]'");

    public void DuplicateInput(SourceText source, TextSpan span) =>
        Error("SNN0112", source, span, "the input shape is already given");

    public void BadInputShape(SourceText source, TextSpan span, string got) =>
        Error("SNN0113", source, span, $"the input shape must be a list of positive whole numbers such as [3, 32, 32] or [784], but this is {got}");

    public void Recursion(SourceText source, TextSpan span, IEnumerable<string> cycle) =>
        Error("SNN0114", source, span, $"blocks call each other in a cycle ({string.Join(" -> ", cycle)}); a network must be finite");

    public void NotAllowedHere(SourceText source, TextSpan span, string what) =>
        Error("SNN0115", source, span, $"{what} is only allowed at the top level of the network");

    public void UnknownMerge(SourceText source, TextSpan span, string name) =>
        Error("SNN0116", source, span, $"unknown merge '{name}'{HintOr(name, ["add", "and", "iand"], "; a residual merges with 'add', 'and' or 'iand'")}");

    public void UnknownShortcut(SourceText source, TextSpan span, string name) =>
        Error("SNN0117", source, span, $"unknown shortcut '{name}'{HintOr(name, ["auto", "identity"], "; write 'auto', 'identity' or '{ layers }'")}");

    public void UnknownNeuron(SourceText source, TextSpan span, string name) =>
        Error("SNN0118", source, span, $"unknown neuron kind '{name}'{HintOr(name, Model.Neurons.NeuronCatalog.Names, "; the neurons are " + List(Model.Neurons.NeuronCatalog.Names))}");

    public void UnknownChoice(SourceText source, TextSpan span, string what, string name, IReadOnlyList<string> choices) =>
        Error("SNN0119", source, span, $"{what} cannot be '{name}'{HintOr(name, choices, "; choose one of " + List(choices))}");

    public void RepeatCountOutOfRange(SourceText source, TextSpan span, long count, long limit) =>
        Error("SNN0120", source, span, $"the repeat count must be between 0 and {limit:N0}, but it is {count:N0}");

    public void NetworkTooLarge(SourceText source, TextSpan span, long limit) =>
        Error("SNN0121", source, span, $"the network expands to more than {limit:N0} layers; this is refused before anything is built");

    public void NotAList(SourceText source, TextSpan span, string got) =>
        Error("SNN0122", source, span, $"'for' needs a list such as [64, 128], but this is {got}");

    public void BadArithmetic(SourceText source, TextSpan span, string problem) =>
        Error("SNN0123", source, span, problem);

    public void ValueOutOfRange(SourceText source, TextSpan span, string what, string range, string got) =>
        Error("SNN0124", source, span, $"{what} must be {range}, but it is {got}");

    public void UnknownOverride(SourceText source, TextSpan span, string name, IEnumerable<string> parameters)
    {
        var names = parameters.ToList();
        var hint = Suggestions.Closest(name, names) is { } s ? DidYouMean(s)
            : names.Count == 0 ? "; this network declares no parameters" : $"; the network's parameters are {List(names)}";
        Error("SNN0127", source, span, $"--set {name}: the network has no parameter '{name}'{hint}");
    }

    public void MalformedOverride(SourceText source, TextSpan span) =>
        Error("SNN0128", source, span, "--set expects name=value, for example --set classes=100");

    public void ParameterWithoutValue(SourceText source, TextSpan span, string name) =>
        Error("SNN0126", source, span, $"network parameter '{name}' has no value; give it a default or pass --set {name}=...");

    public void NotInBlock(SourceText source, TextSpan span, string what) =>
        Error("SNN0125", source, span, $"{what} is not allowed inside a block");

    // ---- shapes and sizes (SNN02xx) ----

    public void ShapeMismatch(SourceText source, TextSpan span, string message) =>
        Error("SNN0200", source, span, message);

    public void ResidualMismatch(SourceText source, TextSpan span, string merge, string body, string shortcut) =>
        Error("SNN0201", source, span, $"this residual cannot {merge} its branches: the body gives {body} but the shortcut gives {shortcut}");

    public void SizeTooLarge(SourceText source, TextSpan span, string what, long value, long limit) =>
        Error("SNN0202", source, span, $"{what} is {value:N0}, above the limit of {limit:N0}; this is refused before anything is allocated");

    public void CannotDeriveShortcut(SourceText source, TextSpan span, string input, string output) =>
        Error("SNN0203", source, span, $"'shortcut auto' cannot map {input} to {output} with a 1x1 convolution; give the shortcut layers explicitly");

    public void InternalShapeError(SourceText source, TextSpan span, string message) =>
        Error("SNN0204", source, span, message);
}
