// SIMD lanes for the fused LIF kernel: one interface, implemented for AVX-512, AVX2 (256-bit) and plain scalars.
using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using SnnDsl.Dsl.Model.Surrogates;

namespace SnnDsl.Core.Neurons;

/// <summary>
/// The operations the fused LIF kernel needs on a register of <see cref="Width"/> float32 lanes, and (through
/// <see cref="ISurrogateMath{T}"/>) those a surrogate's derivative is written in. The kernel and the surrogate
/// definitions are written once against these interfaces; the JIT specialises them per implementing struct, so each
/// width compiles to straight vector code. Comparisons return 1.0f / 0.0f per lane (spikes are numbers). Constants
/// given as double are rounded to float32, as libtorch converts the scalars of float32 tensor ops. The vector
/// transcendental functions are compiled fully optimised on first use and not inlined: the runtime's
/// <c>Vector512.Exp</c> is too large to inline into the kernel, and called from there it would run unoptimised (tier 0)
/// for the first dozens of kernel calls.
/// </summary>
interface ILanes<TV> : ISurrogateMath<TV> where TV : struct
{
    static abstract int Width { get; }
    static abstract unsafe TV Load(float* p);
    static abstract unsafe void Store(TV v, float* p);
    static abstract TV Splat(float f);
    /// <summary>a·b + c with one rounding (libtorch's vectorised add with alpha is an fmadd).</summary>
    static abstract TV MulAdd(TV a, TV b, TV c);
    /// <summary>1 where a ≥ b, else 0.</summary>
    static abstract TV AtLeast(TV a, TV b);
}

/// <summary>16 lanes (AVX-512F).</summary>
readonly struct Lanes512 : ILanes<Vector512<float>>
{
    public static int Width => Vector512<float>.Count;
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static unsafe Vector512<float> Load(float* p) => Vector512.Load(p);
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static unsafe void Store(Vector512<float> v, float* p) => v.Store(p);
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector512<float> Splat(float f) => Vector512.Create(f);
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector512<float> MulAdd(Vector512<float> a, Vector512<float> b, Vector512<float> c) => Vector512.FusedMultiplyAdd(a, b, c);
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector512<float> AtLeast(Vector512<float> a, Vector512<float> b) => Vector512.GreaterThanOrEqual(a, b) & Vector512<float>.One;
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector512<float> Add(Vector512<float> a, Vector512<float> b) => a + b;
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector512<float> Subtract(Vector512<float> a, Vector512<float> b) => a - b;
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector512<float> Multiply(Vector512<float> a, Vector512<float> b) => a * b;
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector512<float> Divide(Vector512<float> a, Vector512<float> b) => a / b;
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector512<float> Add(Vector512<float> a, double k) => a + Vector512.Create((float)k);
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector512<float> Multiply(Vector512<float> a, double k) => a * Vector512.Create((float)k);
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector512<float> SubtractFrom(double k, Vector512<float> a) => Vector512.Create((float)k) - a;
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector512<float> DivideInto(double k, Vector512<float> a) => Vector512.Create((float)k) / a;
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector512<float> Abs(Vector512<float> a) => Vector512.Abs(a);
    [MethodImpl(MethodImplOptions.NoInlining | MethodImplOptions.AggressiveOptimization)]
    public static Vector512<float> Exp(Vector512<float> a) => Vector512.Exp(a);
    [MethodImpl(MethodImplOptions.NoInlining | MethodImplOptions.AggressiveOptimization)]
    public static Vector512<float> Power(Vector512<float> a, double k) => Vector512.Exp(Vector512.Log(a) * Vector512.Create((float)k));
    [MethodImpl(MethodImplOptions.NoInlining | MethodImplOptions.AggressiveOptimization)]
    public static Vector512<float> Sigmoid(Vector512<float> a) => Vector512<float>.One / (Vector512<float>.One + Vector512.Exp(-a));
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector512<float> Max(Vector512<float> a, double k) => Vector512.Max(a, Vector512.Create((float)k));
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector512<float> Below(Vector512<float> a, double k) => Vector512.LessThan(a, Vector512.Create((float)k)) & Vector512<float>.One;
}

/// <summary>8 lanes (AVX2 + FMA).</summary>
readonly struct Lanes256 : ILanes<Vector256<float>>
{
    public static int Width => Vector256<float>.Count;
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static unsafe Vector256<float> Load(float* p) => Vector256.Load(p);
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static unsafe void Store(Vector256<float> v, float* p) => v.Store(p);
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector256<float> Splat(float f) => Vector256.Create(f);
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector256<float> MulAdd(Vector256<float> a, Vector256<float> b, Vector256<float> c) => Vector256.FusedMultiplyAdd(a, b, c);
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector256<float> AtLeast(Vector256<float> a, Vector256<float> b) => Vector256.GreaterThanOrEqual(a, b) & Vector256<float>.One;
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector256<float> Add(Vector256<float> a, Vector256<float> b) => a + b;
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector256<float> Subtract(Vector256<float> a, Vector256<float> b) => a - b;
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector256<float> Multiply(Vector256<float> a, Vector256<float> b) => a * b;
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector256<float> Divide(Vector256<float> a, Vector256<float> b) => a / b;
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector256<float> Add(Vector256<float> a, double k) => a + Vector256.Create((float)k);
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector256<float> Multiply(Vector256<float> a, double k) => a * Vector256.Create((float)k);
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector256<float> SubtractFrom(double k, Vector256<float> a) => Vector256.Create((float)k) - a;
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector256<float> DivideInto(double k, Vector256<float> a) => Vector256.Create((float)k) / a;
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector256<float> Abs(Vector256<float> a) => Vector256.Abs(a);
    [MethodImpl(MethodImplOptions.NoInlining | MethodImplOptions.AggressiveOptimization)]
    public static Vector256<float> Exp(Vector256<float> a) => Vector256.Exp(a);
    [MethodImpl(MethodImplOptions.NoInlining | MethodImplOptions.AggressiveOptimization)]
    public static Vector256<float> Power(Vector256<float> a, double k) => Vector256.Exp(Vector256.Log(a) * Vector256.Create((float)k));
    [MethodImpl(MethodImplOptions.NoInlining | MethodImplOptions.AggressiveOptimization)]
    public static Vector256<float> Sigmoid(Vector256<float> a) => Vector256<float>.One / (Vector256<float>.One + Vector256.Exp(-a));
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector256<float> Max(Vector256<float> a, double k) => Vector256.Max(a, Vector256.Create((float)k));
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector256<float> Below(Vector256<float> a, double k) => Vector256.LessThan(a, Vector256.Create((float)k)) & Vector256<float>.One;
}

/// <summary>One lane: the tail of a block, and machines without 256-bit SIMD.</summary>
readonly struct Lanes1 : ILanes<float>
{
    public static int Width => 1;
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static unsafe float Load(float* p) => *p;
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static unsafe void Store(float v, float* p) => *p = v;
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static float Splat(float f) => f;
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static float MulAdd(float a, float b, float c) => MathF.FusedMultiplyAdd(a, b, c);
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static float AtLeast(float a, float b) => a >= b ? 1f : 0f;
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static float Add(float a, float b) => a + b;
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static float Subtract(float a, float b) => a - b;
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static float Multiply(float a, float b) => a * b;
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static float Divide(float a, float b) => a / b;
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static float Add(float a, double k) => a + (float)k;
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static float Multiply(float a, double k) => a * (float)k;
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static float SubtractFrom(double k, float a) => (float)k - a;
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static float DivideInto(double k, float a) => (float)k / a;
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static float Abs(float a) => MathF.Abs(a);
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static float Exp(float a) => MathF.Exp(a);
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static float Power(float a, double k) => MathF.Pow(a, (float)k);
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static float Sigmoid(float a) => 1f / (1f + MathF.Exp(-a));
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static float Max(float a, double k) => MathF.Max(a, (float)k);
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static float Below(float a, double k) => a < (float)k ? 1f : 0f;
}
