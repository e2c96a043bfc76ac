// Surrogate gradients on tensors: Heaviside forward, the catalog's derivative backward (Dsl/Model/Surrogates).
using SnnDsl.Dsl.Model;
using SnnDsl.Dsl.Model.Surrogates;
using static TorchSharp.torch;

namespace SnnDsl.Core.Surrogates;

/// <summary>
/// A surrogate gradient for the spike non-linearity s = H(x), x = u − V_th, on tensors. The forward pass is the
/// Heaviside step (H(0) = 1); the backward pass uses <see cref="Derivative"/>, the definition's derivative evaluated
/// with <see cref="TensorMath"/>, the same formula the fused kernel evaluates on SIMD lanes.
/// </summary>
public abstract class Surrogate
{
    protected Surrogate(SurrogateSpec spec) => Spec = spec;

    /// <summary>The surrogate's name and arguments.</summary>
    public SurrogateSpec Spec { get; }

    /// <summary>The smooth function whose derivative is the surrogate gradient (differentiable with autograd).</summary>
    public abstract Tensor Primitive(Tensor x);

    /// <summary>The derivative of <see cref="Primitive"/>; no autograd graph.</summary>
    public abstract Tensor Derivative(Tensor x);

    /// <summary>H(x) with H(0) = 1, in the dtype of x.</summary>
    public static Tensor Heaviside(Tensor x) => Heaviside(x, 0.0);

    /// <summary>H(u − θ) = [u ≥ θ] (exact in floating point: u − θ rounds to ≥ 0 exactly when u ≥ θ), in the dtype of u.</summary>
    public static Tensor Heaviside(Tensor u, double threshold)
    {
        using var fired = u.ge(threshold);
        return fired.to_type(u.dtype);
    }

    /// <summary>The tensor form of a catalog surrogate.</summary>
    public static Surrogate From(SurrogateSpec spec) => spec.Definition.Accept(new Factory(spec));

    public override string ToString() => Spec.ToString();

    sealed class Factory(SurrogateSpec spec) : ISurrogateVisitor<Surrogate>
    {
        public Surrogate Visit<S>() where S : struct, ISurrogate => new Of<S>(spec);
    }

    sealed class Of<S>(SurrogateSpec spec) : Surrogate(spec) where S : struct, ISurrogate
    {
        public override Tensor Primitive(Tensor x)
        {
            using var scope = NewDisposeScope();
            return S.Primitive(new Real<TensorMath, Tensor>(x), Spec.Arguments).Value.MoveToOuterDisposeScope();
        }

        public override Tensor Derivative(Tensor x)
        {
            using var scope = NewDisposeScope();
            using var _ = no_grad();
            return S.Derivative(new Real<TensorMath, Tensor>(x), Spec.Arguments).Value.MoveToOuterDisposeScope();
        }
    }
}
