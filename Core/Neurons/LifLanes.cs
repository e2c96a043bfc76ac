// SIMD lanes for the fused LIF kernel: one interface, implemented for AVX-512, AVX2 (256-bit) and plain scalars.
using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;

namespace SnnDsl.Core.Neurons;

/// <summary>
/// The operations the fused LIF kernel needs on a register of <see cref="Width"/> float32 lanes. The kernel is written
/// once against this interface; the JIT specialises it per implementing struct, so each width compiles to straight
/// vector code. Comparisons return 1.0f / 0.0f per lane (spikes are numbers).
/// </summary>
interface ILanes<TV> where TV : struct
{
    static abstract int Width { get; }
    static abstract unsafe TV Load(float* p);
    static abstract unsafe void Store(TV v, float* p);
    static abstract TV Splat(float f);
    static abstract TV Add(TV a, TV b);
    static abstract TV Sub(TV a, TV b);
    static abstract TV Mul(TV a, TV b);
    static abstract TV Div(TV a, TV b);
    /// <summary>a·b + c with one rounding (libtorch's vectorised add with alpha is an fmadd).</summary>
    static abstract TV MulAdd(TV a, TV b, TV c);
    static abstract TV Max(TV a, TV b);
    static abstract TV Abs(TV a);
    static abstract TV Exp(TV a);
    /// <summary>1 where a ≥ b, else 0.</summary>
    static abstract TV AtLeast(TV a, TV b);
    /// <summary>1 where a &lt; b, else 0.</summary>
    static abstract TV Below(TV a, TV b);
}

/// <summary>16 lanes (AVX-512F).</summary>
readonly struct Lanes512 : ILanes<Vector512<float>>
{
    public static int Width => Vector512<float>.Count;
    public static unsafe Vector512<float> Load(float* p) => Vector512.Load(p);
    public static unsafe void Store(Vector512<float> v, float* p) => v.Store(p);
    public static Vector512<float> Splat(float f) => Vector512.Create(f);
    public static Vector512<float> Add(Vector512<float> a, Vector512<float> b) => a + b;
    public static Vector512<float> Sub(Vector512<float> a, Vector512<float> b) => a - b;
    public static Vector512<float> Mul(Vector512<float> a, Vector512<float> b) => a * b;
    public static Vector512<float> Div(Vector512<float> a, Vector512<float> b) => a / b;
    public static Vector512<float> MulAdd(Vector512<float> a, Vector512<float> b, Vector512<float> c) => Vector512.FusedMultiplyAdd(a, b, c);
    public static Vector512<float> Max(Vector512<float> a, Vector512<float> b) => Vector512.Max(a, b);
    public static Vector512<float> Abs(Vector512<float> a) => Vector512.Abs(a);
    public static Vector512<float> Exp(Vector512<float> a) => Vector512.Exp(a);
    public static Vector512<float> AtLeast(Vector512<float> a, Vector512<float> b) => Vector512.GreaterThanOrEqual(a, b) & Vector512<float>.One;
    public static Vector512<float> Below(Vector512<float> a, Vector512<float> b) => Vector512.LessThan(a, b) & Vector512<float>.One;
}

/// <summary>8 lanes (AVX2 + FMA).</summary>
readonly struct Lanes256 : ILanes<Vector256<float>>
{
    public static int Width => Vector256<float>.Count;
    public static unsafe Vector256<float> Load(float* p) => Vector256.Load(p);
    public static unsafe void Store(Vector256<float> v, float* p) => v.Store(p);
    public static Vector256<float> Splat(float f) => Vector256.Create(f);
    public static Vector256<float> Add(Vector256<float> a, Vector256<float> b) => a + b;
    public static Vector256<float> Sub(Vector256<float> a, Vector256<float> b) => a - b;
    public static Vector256<float> Mul(Vector256<float> a, Vector256<float> b) => a * b;
    public static Vector256<float> Div(Vector256<float> a, Vector256<float> b) => a / b;
    public static Vector256<float> MulAdd(Vector256<float> a, Vector256<float> b, Vector256<float> c) => Vector256.FusedMultiplyAdd(a, b, c);
    public static Vector256<float> Max(Vector256<float> a, Vector256<float> b) => Vector256.Max(a, b);
    public static Vector256<float> Abs(Vector256<float> a) => Vector256.Abs(a);
    public static Vector256<float> Exp(Vector256<float> a) => Vector256.Exp(a);
    public static Vector256<float> AtLeast(Vector256<float> a, Vector256<float> b) => Vector256.GreaterThanOrEqual(a, b) & Vector256<float>.One;
    public static Vector256<float> Below(Vector256<float> a, Vector256<float> b) => Vector256.LessThan(a, b) & Vector256<float>.One;
}

/// <summary>One lane: the tail of a block, and machines without 256-bit SIMD.</summary>
readonly struct Lanes1 : ILanes<float>
{
    public static int Width => 1;
    public static unsafe float Load(float* p) => *p;
    public static unsafe void Store(float v, float* p) => *p = v;
    public static float Splat(float f) => f;
    public static float Add(float a, float b) => a + b;
    public static float Sub(float a, float b) => a - b;
    public static float Mul(float a, float b) => a * b;
    public static float Div(float a, float b) => a / b;
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static float MulAdd(float a, float b, float c) => MathF.FusedMultiplyAdd(a, b, c);
    public static float Max(float a, float b) => MathF.Max(a, b);
    public static float Abs(float a) => MathF.Abs(a);
    public static float Exp(float a) => MathF.Exp(a);
    public static float AtLeast(float a, float b) => a >= b ? 1f : 0f;
    public static float Below(float a, float b) => a < b ? 1f : 0f;
}
