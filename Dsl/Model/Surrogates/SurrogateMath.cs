// The arithmetic a surrogate's formulas are written in: one definition runs on tensors (autograd) and on SIMD lanes (the fused kernel).
using System.Runtime.CompilerServices;

namespace SnnDsl.Dsl.Model.Surrogates;

/// <summary>
/// Element-wise operations on a value type T: float32 SIMD registers in the fused kernel, tensors on the autograd path.
/// A surrogate's derivative is written once against this interface (through <see cref="Real{M, T}"/>); each
/// implementing struct gets its own specialised code from the JIT.
/// </summary>
public interface ISurrogateMath<T>
{
    static abstract T Add(T a, T b);
    static abstract T Subtract(T a, T b);
    static abstract T Multiply(T a, T b);
    static abstract T Divide(T a, T b);
    /// <summary>a + k.</summary>
    static abstract T Add(T a, double k);
    /// <summary>a·k.</summary>
    static abstract T Multiply(T a, double k);
    /// <summary>k − a.</summary>
    static abstract T SubtractFrom(double k, T a);
    /// <summary>k / a.</summary>
    static abstract T DivideInto(double k, T a);
    static abstract T Abs(T a);
    static abstract T Exp(T a);
    /// <summary>a^k for a &gt; 0.</summary>
    static abstract T Power(T a, double k);
    /// <summary>1 / (1 + e^(−a)).</summary>
    static abstract T Sigmoid(T a);
    /// <summary>max(a, k).</summary>
    static abstract T Max(T a, double k);
    /// <summary>1 where a &lt; k, else 0 (a constant: no gradient flows through it).</summary>
    static abstract T Below(T a, double k);
}

/// <summary>The functions a surrogate's smooth primitive needs besides <see cref="ISurrogateMath{T}"/> (tensors only).</summary>
public interface IPrimitiveMath<T> : ISurrogateMath<T>
{
    static abstract T Atan(T a);
    /// <summary>The complementary error function 1 − erf(a).</summary>
    static abstract T Erfc(T a);
    static abstract T Clamp(T a, double min, double max);
    /// <summary>H(a): 1 where a ≥ 0, else 0 (a constant: no gradient flows through it).</summary>
    static abstract T Step(T a);
}

/// <summary>A T with arithmetic operators, so that formulas read as formulas; free after inlining.</summary>
public readonly struct Real<M, T>(T value) where M : ISurrogateMath<T>
{
    public T Value { get; } = value;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Real<M, T> operator +(Real<M, T> a, Real<M, T> b) => new(M.Add(a.Value, b.Value));
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Real<M, T> operator -(Real<M, T> a, Real<M, T> b) => new(M.Subtract(a.Value, b.Value));
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Real<M, T> operator *(Real<M, T> a, Real<M, T> b) => new(M.Multiply(a.Value, b.Value));
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Real<M, T> operator /(Real<M, T> a, Real<M, T> b) => new(M.Divide(a.Value, b.Value));
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Real<M, T> operator +(Real<M, T> a, double k) => new(M.Add(a.Value, k));
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Real<M, T> operator +(double k, Real<M, T> a) => new(M.Add(a.Value, k));
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Real<M, T> operator -(Real<M, T> a, double k) => new(M.Add(a.Value, -k));
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Real<M, T> operator -(double k, Real<M, T> a) => new(M.SubtractFrom(k, a.Value));
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Real<M, T> operator *(Real<M, T> a, double k) => new(M.Multiply(a.Value, k));
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Real<M, T> operator *(double k, Real<M, T> a) => new(M.Multiply(a.Value, k));
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Real<M, T> operator /(Real<M, T> a, double k) => new(M.Multiply(a.Value, 1.0 / k));
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Real<M, T> operator /(double k, Real<M, T> a) => new(M.DivideInto(k, a.Value));
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Real<M, T> operator -(Real<M, T> a) => new(M.Multiply(a.Value, -1.0));

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public Real<M, T> Abs() => new(M.Abs(Value));
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public Real<M, T> Exp() => new(M.Exp(Value));
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public Real<M, T> Power(double k) => new(M.Power(Value, k));
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public Real<M, T> Sigmoid() => new(M.Sigmoid(Value));
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public Real<M, T> Max(double k) => new(M.Max(Value, k));
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public Real<M, T> Below(double k) => new(M.Below(Value, k));
}

/// <summary>The primitive-only functions on <see cref="Real{M, T}"/>.</summary>
public static class PrimitiveFunctions
{
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Real<M, T> Atan<M, T>(this Real<M, T> a) where M : IPrimitiveMath<T> => new(M.Atan(a.Value));
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Real<M, T> Erfc<M, T>(this Real<M, T> a) where M : IPrimitiveMath<T> => new(M.Erfc(a.Value));
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Real<M, T> Clamp<M, T>(this Real<M, T> a, double min, double max) where M : IPrimitiveMath<T> => new(M.Clamp(a.Value, min, max));
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Real<M, T> Step<M, T>(this Real<M, T> a) where M : IPrimitiveMath<T> => new(M.Step(a.Value));
}
