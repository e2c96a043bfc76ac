// An immutable list of syntax children that compares by content, so that trees compare structurally.
using System.Collections;

namespace SnnDsl.Dsl.Syntax;

public sealed class SyntaxList<T>(IEnumerable<T> items) : IReadOnlyList<T>, IEquatable<SyntaxList<T>>
{
    readonly T[] items = items.ToArray();

    public static readonly SyntaxList<T> Empty = new([]);
    public int Count => items.Length;
    public T this[int index] => items[index];
    public IEnumerator<T> GetEnumerator() => ((IEnumerable<T>)items).GetEnumerator();
    IEnumerator IEnumerable.GetEnumerator() => items.GetEnumerator();

    public bool Equals(SyntaxList<T>? other) => other is not null && items.SequenceEqual(other.items);
    public override bool Equals(object? obj) => obj is SyntaxList<T> other && Equals(other);
    public override int GetHashCode() => items.Aggregate(items.Length, (h, x) => h * 31 + (x?.GetHashCode() ?? 0));
    public override string ToString() => "[" + string.Join("; ", items) + "]";
}

public static class SyntaxList
{
    public static SyntaxList<T> Of<T>(IEnumerable<T> items) => new(items);
}
