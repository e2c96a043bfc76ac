// The plain network description: the TorchSharp-free records that the language produces and Core builds modules from.
namespace SnnDsl.Dsl.Model;

/// <summary>Per-sample tensor shape without batch or time, e.g. [3, 32, 32] or [512].</summary>
public sealed record Shape(IReadOnlyList<long> Dims)
{
    public static Shape Of(params long[] dims) => new(dims);
    public int Rank => Dims.Count;
    public long this[int i] => Dims[i];
    public long Elements => Dims.Aggregate(1L, (a, b) => checked(a * b));
    public bool Equals(Shape? other) => other is not null && Dims.SequenceEqual(other.Dims);
    public override int GetHashCode() => Dims.Aggregate(17, (h, d) => h * 31 + d.GetHashCode());
    public override string ToString() => "[" + string.Join(", ", Dims) + "]";
}

public enum ResetMode { Soft, Hard }

/// <summary>
/// A surrogate gradient: a name of <see cref="Surrogates.SurrogateCatalog"/> and its argument values (in the order of its
/// <see cref="Surrogates.SurrogateInfo.Arguments"/>). An unknown name or an argument out of range is refused here.
/// </summary>
public sealed record SurrogateSpec
{
    public SurrogateSpec(string name, Surrogates.SurrogateArgs arguments)
    {
        Definition = Surrogates.SurrogateCatalog.Get(name);
        var declared = Definition.Info.Arguments;
        for (int i = 0; i < Surrogates.SurrogateArgs.Capacity; i++)
        {
            if (i >= declared.Count && arguments[i] != 0.0)
                throw new ArgumentException($"surrogate '{name}' takes {declared.Count} argument(s); value {i + 1} is {arguments[i]}", nameof(arguments));
            if (i < declared.Count && !declared[i].Accepts(arguments[i]))
                throw new ArgumentOutOfRangeException(nameof(arguments), arguments[i], $"'{declared[i].Name}' of surrogate '{name}' must be {declared[i].Range}");
        }
        Arguments = arguments;
    }

    public Surrogates.SurrogateDefinition Definition { get; }
    public Surrogates.SurrogateArgs Arguments { get; }
    public string Name => Definition.Name;

    /// <summary>The named surrogate with its default arguments.</summary>
    public static SurrogateSpec Of(string name) => new(name, Surrogates.SurrogateCatalog.Get(name).Defaults);

    /// <summary>A one-argument surrogate with its α (or first argument) given.</summary>
    public static SurrogateSpec Of(string name, double alpha) => new(name, Surrogates.SurrogateCatalog.Get(name).Defaults with { First = alpha });

    /// <summary>The paper's surrogate: sigmoid, α = 4 by default.</summary>
    public static SurrogateSpec Sigmoid(double alpha = 4.0) => Of("sigmoid", alpha);

    /// <summary>As the language writes it: sigmoid(alpha = 4).</summary>
    public override string ToString() =>
        $"{Name}({string.Join(", ", Definition.Info.Arguments.Select((a, i) => $"{a.Name} = {Arguments[i].ToString("R", System.Globalization.CultureInfo.InvariantCulture)}"))})";
}

/// <summary>
/// Neuron dynamics (docs/rate-bp.md §1). Kind is a name of <see cref="Neurons.NeuronCatalog"/> ("lif", "if", "plif",
/// "alif"). Tau is the membrane time constant; the decay is λ = 1 − 1/τ (IF neurons: λ = 1; PLIF: the initial λ of its
/// learnable decay). TauAdapt and Beta are ALIF's adaptation time constant (λ_a = 1 − 1/tau_adapt) and the threshold's
/// gain per unit of adaptation; other kinds ignore them. Defaults are the paper's: τ = 1.25 (λ = 0.2), V_th = 1, soft
/// reset, detached.
/// </summary>
public sealed record NeuronSpec(
    string Kind = "lif",
    double Tau = 1.25,
    double Threshold = 1.0,
    ResetMode Reset = ResetMode.Soft,
    double ResetValue = 0.0,
    bool DetachReset = true,
    SurrogateSpec? Surrogate = null,
    double TauAdapt = 2.0,
    double Beta = 0.5)
{
    /// <summary>The catalog entry of <see cref="Kind"/>; an unknown kind is an error naming it.</summary>
    public Neurons.NeuronInfo Info => Neurons.NeuronCatalog.Get(Kind);
    public SurrogateSpec SurrogateOrDefault => Surrogate ?? SurrogateSpec.Sigmoid();
    public double Decay => Kind == "if" ? 1.0 : 1.0 - 1.0 / Tau;
    /// <summary>ALIF's adaptation decay λ_a = 1 − 1/tau_adapt.</summary>
    public double AdaptationDecay => 1.0 - 1.0 / TauAdapt;
    public static NeuronSpec Paper => new();
    /// <summary>A neuron with decay λ given directly (τ = 1 / (1 − λ)).</summary>
    public static NeuronSpec FromDecay(double decay) => new(Tau: 1.0 / (1.0 - decay));
}

/// <summary>A layer of the description. Name is its path segment in parameter names ("0", "conv1", ...).</summary>
public abstract record LayerSpec(string Name);

/// <summary>A layer with a weight and an optional bias; Init says how they start (null: PyTorch's default).</summary>
public interface IWeightedSpec
{
    InitSpec? Init { get; }
}

public sealed record ConvSpec(string Name, long OutChannels, int Kernel, int Stride = 1, int Padding = 0,
    bool Bias = true, int Groups = 1, int Dilation = 1, InitSpec? Init = null) : LayerSpec(Name), IWeightedSpec
{
    // as the compiler's, without "Init = " when the layer keeps PyTorch's default
    protected override bool PrintMembers(System.Text.StringBuilder b)
    {
        if (base.PrintMembers(b)) b.Append(", ");
        b.Append($"OutChannels = {OutChannels}, Kernel = {Kernel}, Stride = {Stride}, Padding = {Padding}, ");
        b.Append($"Bias = {Bias}, Groups = {Groups}, Dilation = {Dilation}");
        if (Init is not null) b.Append($", Init = {Init}");
        return true;
    }
}

public sealed record LinearSpec(string Name, long OutFeatures, bool Bias = true, InitSpec? Init = null) : LayerSpec(Name), IWeightedSpec
{
    // as the compiler's, without "Init = " when the layer keeps PyTorch's default
    protected override bool PrintMembers(System.Text.StringBuilder b)
    {
        if (base.PrintMembers(b)) b.Append(", ");
        b.Append($"OutFeatures = {OutFeatures}, Bias = {Bias}");
        if (Init is not null) b.Append($", Init = {Init}");
        return true;
    }
}

public sealed record BatchNormSpec(string Name, double Eps = 1e-5, double Momentum = 0.1) : LayerSpec(Name);

/// <summary>A spiking neuron layer (any kind of the neuron catalog) with its fully resolved parameters.</summary>
public sealed record NeuronLayerSpec(string Name, NeuronSpec Neuron) : LayerSpec(Name);

public sealed record AvgPoolSpec(string Name, int Kernel, int Stride, int Padding = 0) : LayerSpec(Name);

public sealed record MaxPoolSpec(string Name, int Kernel, int Stride, int Padding = 0) : LayerSpec(Name);

/// <summary>Adaptive average pooling to OutputSize × OutputSize (1 = global average pooling).</summary>
public sealed record AdaptiveAvgPoolSpec(string Name, int OutputSize = 1) : LayerSpec(Name);

/// <summary>Flattens every per-sample dimension into one.</summary>
public sealed record FlattenSpec(string Name) : LayerSpec(Name);

/// <summary>Dropout with one mask per sample shared by all time steps (as SpikingJelly's layer.Dropout).</summary>
public sealed record DropoutSpec(string Name, double P) : LayerSpec(Name);

public sealed record IdentitySpec(string Name) : LayerSpec(Name);

/// <summary>Layers applied in order; a named block or stage of the network.</summary>
public sealed record SequenceSpec(string Name, IReadOnlyList<LayerSpec> Layers) : LayerSpec(Name);

/// <summary>How a residual merges its body with its shortcut (SEW-ResNet's connect functions).</summary>
public enum MergeKind
{
    /// <summary>body + shortcut</summary>
    Add,
    /// <summary>body · shortcut (spikes: logical and)</summary>
    And,
    /// <summary>(1 − body) · shortcut (spikes: and-not)</summary>
    IAnd,
}

/// <summary>
/// merge(body(x), shortcut(x)). Shortcut null means identity. A shortcut "derived from shapes" is resolved by the
/// language into either null or a concrete sequence (conv 1×1 + BN) before it reaches this record.
/// In parameter names the two branches are always "body" and "shortcut" (their own Name is not used).
/// </summary>
public sealed record ResidualSpec(string Name, SequenceSpec Body, SequenceSpec? Shortcut, MergeKind Merge = MergeKind.Add)
    : LayerSpec(Name)
{
    public const string BodyName = "body";
    public const string ShortcutName = "shortcut";
}

/// <summary>
/// A whole network: per-sample input shape, class count, and the layers. The network output is the mean over
/// time steps of the last layer's outputs (a non-spiking linear read-out).
/// </summary>
public sealed record NetworkSpec(string Name, Shape Input, IReadOnlyList<LayerSpec> Layers)
{
    public SequenceSpec Root => new("", Layers);
}
