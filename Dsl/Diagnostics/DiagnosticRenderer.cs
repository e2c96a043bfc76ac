// Renders diagnostics as people read them: headline, the source line (a window of it when long), carets under the span.
using System.Globalization;
using System.Text;

namespace SnnDsl.Dsl.Diagnostics;

public static class DiagnosticRenderer
{
    /// <summary>Source lines longer than this are shown as a window around the span, marked with "...".</summary>
    public const int MaxLineWidth = 160;

    /// <summary>How many diagnostics <see cref="RenderCapped"/> shows before counting the rest.</summary>
    public const int MaxShown = 20;

    /// <summary>All diagnostics, each as headline + source line + carets, separated by blank lines.</summary>
    public static string Render(IEnumerable<Diagnostic> diagnostics) =>
        string.Join(Environment.NewLine, diagnostics.Select(Render));

    /// <summary>The first <paramref name="max"/> diagnostics, then one line "... and N more" counting the others.</summary>
    public static string RenderCapped(IReadOnlyList<Diagnostic> diagnostics, int max = MaxShown)
    {
        var output = new StringBuilder();
        foreach (var d in diagnostics.Take(max)) output.Append(Render(d));
        if (diagnostics.Count > max)
            output.Append("... and ").Append((diagnostics.Count - max).ToString("N0", CultureInfo.InvariantCulture)).Append(" more").Append(Environment.NewLine);
        return output.ToString();
    }

    public static string Render(Diagnostic diagnostic)
    {
        var output = new StringBuilder(diagnostic.Headline).Append(Environment.NewLine);
        if (diagnostic.Source is not { } source || source.Length == 0) return output.ToString();
        int lineIndex = source.LineIndex(diagnostic.Span.Start);
        var (line, column) = Window(source.Line(lineIndex), diagnostic.Span.Start - source.LineStart(lineIndex));
        string number = (lineIndex + 1).ToString();
        string gutter = new(' ', number.Length);
        int width = Math.Max(1, Math.Min(diagnostic.Span.Length, line.Length - column));
        output.Append($" {number} | {line}").Append(Environment.NewLine);
        output.Append($" {gutter} | {Indentation(line, column)}{new string('^', width)}").Append(Environment.NewLine);
        return output.ToString();
    }

    /// <summary>The line, or a window of it around <paramref name="column"/> with "..." where text was cut; the column in it.</summary>
    static (string Line, int Column) Window(string line, int column)
    {
        if (line.Length <= MaxLineWidth) return (line, column);
        const string cut = "...";
        int half = MaxLineWidth / 2;
        int from = Math.Clamp(column - half, 0, line.Length - MaxLineWidth);
        var text = line.Substring(from, MaxLineWidth);
        string before = from > 0 ? cut : "", after = from + MaxLineWidth < line.Length ? cut : "";
        return (before + text + after, column - from + before.Length);
    }

    // Tabs stay tabs so the carets line up under the text as the terminal shows it.
    static string Indentation(string line, int column) =>
        new(line.Take(Math.Min(column, line.Length)).Select(c => c == '\t' ? '\t' : ' ').Concat(Enumerable.Repeat(' ', Math.Max(0, column - line.Length))).ToArray());
}
