// Source text of one file: the characters, the line starts, and the mapping from offsets to line and column.
namespace SnnDsl.Dsl.Text;

/// <summary>A half-open range [Start, Start + Length) of characters in a source text.</summary>
public readonly record struct TextSpan(int Start, int Length)
{
    public int End => Start + Length;
    public static TextSpan FromBounds(int start, int end) => new(start, Math.Max(0, end - start));
    public static readonly TextSpan None = new(0, 0);
    public override string ToString() => $"[{Start}..{End})";
}

/// <summary>A 1-based line and column, as editors show them.</summary>
public readonly record struct LinePosition(int Line, int Column);

/// <summary>The text of a file with its name; answers line/column questions about spans.</summary>
public sealed class SourceText
{
    readonly List<int> lineStarts = [0];

    public SourceText(string text, string fileName)
    {
        Text = text;
        FileName = fileName;
        for (int i = 0; i < text.Length; i++)
            if (text[i] == '\n') lineStarts.Add(i + 1);
    }

    public string Text { get; }
    public string FileName { get; }
    public int Length => Text.Length;
    public char this[int index] => index < Text.Length ? Text[index] : '\0';
    public int LineCount => lineStarts.Count;

    /// <summary>0-based index of the line holding the offset.</summary>
    public int LineIndex(int offset)
    {
        int found = lineStarts.BinarySearch(Math.Clamp(offset, 0, Text.Length));
        return found >= 0 ? found : ~found - 1;
    }

    public LinePosition Position(int offset)
    {
        int line = LineIndex(offset);
        return new LinePosition(line + 1, Math.Clamp(offset, 0, Text.Length) - lineStarts[line] + 1);
    }

    /// <summary>The text of a 0-based line, without its line break.</summary>
    public string Line(int lineIndex)
    {
        int start = lineStarts[lineIndex];
        int end = lineIndex + 1 < lineStarts.Count ? lineStarts[lineIndex + 1] : Text.Length;
        return Text[start..end].TrimEnd('\n', '\r');
    }

    public int LineStart(int lineIndex) => lineStarts[lineIndex];

    public string Slice(TextSpan span) => Text.Substring(span.Start, Math.Min(span.Length, Text.Length - span.Start));
}
