// The surrogate formulas' arithmetic on tensors: the autograd path of every surrogate in Dsl/Model/Surrogates.
using SnnDsl.Dsl.Model.Surrogates;
using static TorchSharp.torch;

namespace SnnDsl.Core.Surrogates;

/// <summary>
/// <see cref="IPrimitiveMath{T}"/> on tensors, each operation a libtorch op that keeps the dtype and device of its
/// operands (so float64 tests and CUDA runs use the same definitions). Every result is a new tensor; callers run the
/// formulas inside a dispose scope and keep only the result.
/// </summary>
public readonly struct TensorMath : IPrimitiveMath<Tensor>
{
    public static Tensor Add(Tensor a, Tensor b) => a + b;
    public static Tensor Subtract(Tensor a, Tensor b) => a - b;
    public static Tensor Multiply(Tensor a, Tensor b) => a * b;
    public static Tensor Divide(Tensor a, Tensor b) => a / b;
    public static Tensor Add(Tensor a, double k) => a + k;
    public static Tensor Multiply(Tensor a, double k) => a * k;
    public static Tensor SubtractFrom(double k, Tensor a) => k - a;
    public static Tensor DivideInto(double k, Tensor a) => a.reciprocal().mul_(k);
    public static Tensor Abs(Tensor a) => a.abs();
    public static Tensor Exp(Tensor a) => a.exp();
    public static Tensor Power(Tensor a, double k) => a.pow(k);
    public static Tensor Sigmoid(Tensor a) => a.sigmoid();
    public static Tensor Max(Tensor a, double k) => a.clamp_min(k);
    public static Tensor Below(Tensor a, double k) => a.lt(k).to_type(a.dtype);
    public static Tensor Atan(Tensor a) => a.atan();
    public static Tensor Erfc(Tensor a) => a.erfc();
    public static Tensor Clamp(Tensor a, double min, double max) => a.clamp(min, max);
    public static Tensor Step(Tensor a) => a.ge(0.0).to_type(a.dtype);
}
