// The spike non-linearity with a surrogate gradient, as a custom autograd function or in straight-through form.
using TorchSharp;
using static TorchSharp.torch;

namespace SnnDsl.Core.Surrogates;

/// <summary>How the surrogate gradient enters autograd. Both give identical gradients; they differ in speed and memory.</summary>
public enum SpikeGradientForm
{
    /// <summary>A custom autograd function: Heaviside forward, saves x, closed-form derivative backward (a managed callback).</summary>
    CustomFunction,
    /// <summary>s = p(x) + (H(x) − p(x)).detach() with p the smooth primitive: native ops only, autograd differentiates p.</summary>
    StraightThrough,
}

/// <summary>Heaviside forward, surrogate derivative backward, through autograd.</summary>
public static class SpikeFunction
{
    /// <summary>s = H(x) with ∂s/∂x := surrogate'(x). x = u − V_th.</summary>
    public static Tensor Apply(Tensor x, Surrogate surrogate, SpikeGradientForm form)
    {
        if (!x.requires_grad) return Surrogate.Heaviside(x);
        return form == SpikeGradientForm.CustomFunction ? SurrogateSpike.Apply(x, surrogate) : StraightThrough(x, surrogate);
    }

    static Tensor StraightThrough(Tensor x, Surrogate surrogate)
    {
        using var smooth = surrogate.Primitive(x);
        using var step = Surrogate.Heaviside(x);
        using (no_grad()) step.sub_(smooth); // H − p, a constant
        return smooth + step;
    }
}

/// <summary>The custom autograd function behind <see cref="SpikeGradientForm.CustomFunction"/>.</summary>
public sealed class SurrogateSpike : torch.autograd.SingleTensorFunction<SurrogateSpike>
{
    const string SurrogateKey = "surrogate";

    public override string Name => "SurrogateSpike";

    public static Tensor Apply(Tensor x, Surrogate surrogate) => apply(x, surrogate);

    public override Tensor forward(torch.autograd.AutogradContext ctx, params object[] vars)
    {
        var x = (Tensor)vars[0];
        ctx.save_for_backward([x]);
        ctx.save_data(SurrogateKey, vars[1]);
        return Surrogate.Heaviside(x);
    }

    public override List<Tensor> backward(torch.autograd.AutogradContext ctx, Tensor gradOutput)
    {
        var x = ctx.get_saved_variables()[0];
        var surrogate = (Surrogate)ctx.get_data(SurrogateKey);
        using var derivative = surrogate.Derivative(x);
        return [gradOutput * derivative, null!]; // one entry per input of apply(x, surrogate); the surrogate has none
    }
}
