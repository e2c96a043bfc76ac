// Surrogate gradients: Heaviside forward, closed-form derivative of a smooth primitive backward.
using SnnDsl.Dsl.Model;
using TorchSharp;
using static TorchSharp.torch;

namespace SnnDsl.Core.Surrogates;

/// <summary>
/// A surrogate gradient for the spike non-linearity s = H(x), x = u − V_th. The forward pass is the Heaviside step
/// (H(0) = 1); the backward pass uses <see cref="Derivative"/>, the closed-form derivative of the smooth
/// <see cref="Primitive"/> (tests check the one against autograd of the other).
/// </summary>
public abstract class Surrogate
{
    protected Surrogate(double alpha) => Alpha = alpha;

    /// <summary>Sharpness of the primitive.</summary>
    public double Alpha { get; }

    /// <summary>The smooth function whose derivative is the surrogate gradient (differentiable with autograd).</summary>
    public abstract Tensor Primitive(Tensor x);

    /// <summary>Closed-form derivative of <see cref="Primitive"/>; no autograd graph.</summary>
    public abstract Tensor Derivative(Tensor x);

    /// <summary>H(x) with H(0) = 1, in the dtype of x.</summary>
    public static Tensor Heaviside(Tensor x) => Heaviside(x, 0.0);

    /// <summary>H(u − θ) = [u ≥ θ] (exact in floating point: u − θ rounds to ≥ 0 exactly when u ≥ θ), in the dtype of u.</summary>
    public static Tensor Heaviside(Tensor u, double threshold)
    {
        using var fired = u.ge(threshold);
        return fired.to_type(u.dtype);
    }

    public static Surrogate From(SurrogateSpec spec) => spec.Kind switch
    {
        SurrogateKind.Sigmoid => new SigmoidSurrogate(spec.Alpha),
        SurrogateKind.ATan => new ATanSurrogate(spec.Alpha),
        SurrogateKind.PiecewiseQuadratic => new PiecewiseQuadraticSurrogate(spec.Alpha),
        SurrogateKind.Rectangular => new RectangularSurrogate(spec.Alpha),
        _ => throw new ArgumentOutOfRangeException(nameof(spec), spec.Kind, "unknown surrogate"),
    };
}

/// <summary>σ(α·x); derivative α·σ(α·x)·(1 − σ(α·x)). The paper's surrogate (α = 4).</summary>
public sealed class SigmoidSurrogate(double alpha) : Surrogate(alpha)
{
    public override Tensor Primitive(Tensor x) => (x * Alpha).sigmoid_();

    public override Tensor Derivative(Tensor x)
    {
        using var sig = (x * Alpha).sigmoid_();
        var complement = 1.0 - sig;
        return complement.mul_(sig).mul_(Alpha);
    }
}

/// <summary>atan(π/2·α·x)/π + 1/2; derivative (α/2) / (1 + (π/2·α·x)²). SpikingJelly's ATan (α = 2).</summary>
public sealed class ATanSurrogate(double alpha) : Surrogate(alpha)
{
    public override Tensor Primitive(Tensor x) => (x * (Math.PI / 2 * Alpha)).atan() / Math.PI + 0.5;

    public override Tensor Derivative(Tensor x)
    {
        var z = x * (Math.PI / 2 * Alpha);
        return z.mul_(z).add_(1.0).reciprocal_().mul_(Alpha / 2);
    }
}

/// <summary>
/// Piecewise quadratic: 0 below −1/α, ½(αx+1)² up to 0, 1 − ½(1−αx)² up to 1/α, then 1;
/// derivative max(0, α − α²·|x|). SpikingJelly's PiecewiseQuadratic (α = 1).
/// </summary>
public sealed class PiecewiseQuadraticSurrogate(double alpha) : Surrogate(alpha)
{
    public override Tensor Primitive(Tensor x)
    {
        var ax = (x * Alpha).clamp(-1.0, 1.0);
        var lower = (ax + 1.0).square() * 0.5;
        var upper = 1.0 - (1.0 - ax).square() * 0.5;
        return where(ax.lt(0), lower, upper);
    }

    public override Tensor Derivative(Tensor x) => (Alpha - x.abs() * (Alpha * Alpha)).clamp_min_(0.0);
}

/// <summary>Rectangular window: primitive clamp(x/α + ½, 0, 1); derivative 1/α on |x| &lt; α/2, else 0.</summary>
public sealed class RectangularSurrogate(double alpha) : Surrogate(alpha)
{
    public override Tensor Primitive(Tensor x) => (x / Alpha + 0.5).clamp(0.0, 1.0);

    public override Tensor Derivative(Tensor x) => x.abs().lt(Alpha / 2).to_type(x.dtype).div_(Alpha);
}
