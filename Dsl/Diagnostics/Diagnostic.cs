// One diagnostic: a stable code, a message for people, and where in which source it points.
using SnnDsl.Dsl.Text;

namespace SnnDsl.Dsl.Diagnostics;

public enum Severity { Error, Warning }

/// <summary>A message about the input. Source is null only for problems that have no text to point at.</summary>
public sealed record Diagnostic(string Code, Severity Severity, string Message, SourceText? Source, TextSpan Span)
{
    public bool IsError => Severity == Severity.Error;
    public string FileName => Source?.FileName ?? "snn";
    public LinePosition Position => Source?.Position(Span.Start) ?? new LinePosition(1, 1);

    /// <summary>The first line, as editors and CI parse it: file:line:col: error SNN0123: message.</summary>
    public string Headline
    {
        get
        {
            var severity = Severity == Severity.Error ? "error" : "warning";
            return Source is null
                ? $"{FileName}: {severity} {Code}: {Message}"
                : $"{FileName}:{Position.Line}:{Position.Column}: {severity} {Code}: {Message}";
        }
    }

    public override string ToString() => Headline;
}
