// Renders diagnostics for people: the headline, the source line as written, and carets under the span.
using System.Text;

namespace SnnDsl.Dsl.Diagnostics;

public static class DiagnosticRenderer
{
    /// <summary>All diagnostics, each as headline + source line + carets, separated by blank lines.</summary>
    public static string Render(IEnumerable<Diagnostic> diagnostics) =>
        string.Join(Environment.NewLine, diagnostics.Select(Render));

    public static string Render(Diagnostic diagnostic)
    {
        var output = new StringBuilder(diagnostic.Headline).Append(Environment.NewLine);
        if (diagnostic.Source is not { } source || source.Length == 0) return output.ToString();
        int lineIndex = source.LineIndex(diagnostic.Span.Start);
        string line = source.Line(lineIndex);
        string number = (lineIndex + 1).ToString();
        string gutter = new(' ', number.Length);
        int column = diagnostic.Span.Start - source.LineStart(lineIndex);
        int width = Math.Max(1, Math.Min(diagnostic.Span.Length, line.Length - column));
        output.Append($" {number} | {line}").Append(Environment.NewLine);
        output.Append($" {gutter} | {Indentation(line, column)}{new string('^', width)}").Append(Environment.NewLine);
        return output.ToString();
    }

    // Tabs stay tabs so the carets line up under the text as the terminal shows it.
    static string Indentation(string line, int column) =>
        new(line.Take(Math.Min(column, line.Length)).Select(c => c == '\t' ? '\t' : ' ').Concat(Enumerable.Repeat(' ', Math.Max(0, column - line.Length))).ToArray());
}
