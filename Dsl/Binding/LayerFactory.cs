// The built-in layers: their signatures, and how their arguments become layer records (sizes checked before anything is built).
using SnnDsl.Dsl.Diagnostics;
using SnnDsl.Dsl.Model;
using SnnDsl.Dsl.Model.Neurons;
using SnnDsl.Dsl.Model.Surrogates;
using SnnDsl.Dsl.Syntax;
using SnnDsl.Dsl.Text;

namespace SnnDsl.Dsl.Binding;

public sealed class LayerFactory(SourceText source, DiagnosticBag diagnostics, Evaluator evaluator)
{
    /// <summary>Largest channel or feature count a layer may ask for.</summary>
    public const long MaxChannels = 1L << 24;
    /// <summary>Largest kernel, stride, padding or dilation.</summary>
    public const long MaxWindow = 4096;

    public static readonly IReadOnlyList<string> InitSchemes = ["default", "normal", "kaiming_normal"];

    public static readonly IReadOnlyDictionary<string, Signature> Signatures = new[]
    {
        new Signature("conv", ["channels", "kernel", "stride", "padding", "bias", "groups", "dilation", "init"], 2, ["channels", "kernel"]),
        new Signature("linear", ["features", "bias", "init"], 1, ["features"]),
        new Signature("bn", ["eps", "momentum"], 0, []),
        new Signature("avgpool", ["kernel", "stride", "padding"], 1, ["kernel"]),
        new Signature("maxpool", ["kernel", "stride", "padding"], 1, ["kernel"]),
        new Signature("adaptive_avgpool", ["size"], 1, []),
        new Signature("flatten", [], 0, []),
        new Signature("dropout", ["p"], 1, ["p"]),
        new Signature("identity", [], 0, []),
    }.Concat(NeuronCatalog.All.Select(n => new Signature(n.Name, n.Arguments, 0, []))).ToDictionary(s => s.Name);

    SourceText Source => source;
    DiagnosticBag Diagnostics => diagnostics;
    Evaluator Evaluator => evaluator;

    public static bool IsNeuron(string name) => NeuronCatalog.Find(name) is not null;

    /// <summary>The layer record for a built-in layer call, or null after reporting what is wrong.</summary>
    public LayerSpec? Create(string name, string kind, Dictionary<string, BoundArgument> args, Scope scope)
    {
        var reader = new Reader(this, args, kind, scope);
        LayerSpec? layer = kind switch
        {
            "conv" => Conv(name, reader),
            "linear" => reader.Size("features") is { } f && reader.Flag("bias", true) is { } b ? new LinearSpec(name, f, b, LayerInit(reader)) : null,
            "bn" => reader.Real("eps", 1e-5, 0, 1, false) is { } eps && reader.Real("momentum", 0.1, 0, 1) is { } m ? new BatchNormSpec(name, eps, m) : null,
            _ when IsNeuron(kind) => Neuron(scope.Neuron(kind), reader) is { } n ? new NeuronLayerSpec(name, n) : null,
            "avgpool" => AvgPool(name, reader),
            "maxpool" => reader.Window("kernel", null, 1) is { } k && reader.Window("stride", k, 1) is { } s && reader.Window("padding", 0, 0) is { } p
                ? new MaxPoolSpec(name, k, s, p) : null,
            "adaptive_avgpool" => reader.Window("size", 1, 1) is { } size ? new AdaptiveAvgPoolSpec(name, size) : null,
            "flatten" => new FlattenSpec(name),
            "dropout" => reader.Real("p", 0, 0, 1, includeMax: false) is { } p ? new DropoutSpec(name, p) : null,
            "identity" => new IdentitySpec(name),
            _ => null,
        };
        return reader.Failed ? null : layer;
    }

    LayerSpec? Conv(string name, Reader r)
    {
        var channels = r.Size("channels");
        var kernel = r.Window("kernel", null, 1);
        var stride = r.Window("stride", 1, 1);
        var padding = r.Window("padding", (kernel ?? 1) / 2, 0);
        var bias = r.Flag("bias", true);
        var groups = r.Window("groups", 1, 1, MaxChannels);
        var dilation = r.Window("dilation", 1, 1);
        var init = LayerInit(r);
        return r.Failed ? null : new ConvSpec(name, channels!.Value, kernel!.Value, stride!.Value, padding!.Value, bias!.Value, groups!.Value, dilation!.Value, init);
    }

    // `init = ...` of this layer, else the declaration in force
    InitSpec? LayerInit(Reader r)
    {
        if (!r.Has("init")) return r.Scope.Init;
        var argument = r.Argument("init");
        var init = Init(argument.Value, argument.Span, r.Scope);
        if (init is null) r.Fail();
        return init;
    }

    /// <summary>`default`, `normal(std = 0.5)` / `normal(0.5, mean = 0)`, `kaiming_normal(mode = fan_out, nonlinearity = relu)`.</summary>
    public InitSpec? Init(Value value, TextSpan span, Scope scope)
    {
        var (word, args) = value switch
        {
            CallValue c => (c.Name, c.Arguments),
            WordValue w => (w.Word, []),
            _ => (null, Array.Empty<(string?, Value)>()),
        };
        if (word is null) { diagnostics.WrongType(source, span, "the initialisation", "a scheme such as normal(std = 0.5)", value.Describe()); return null; }
        if (evaluator.Choice(new WordValue(word), span, "the initialisation", InitSchemes) is not { } scheme) return null;
        string[] allowed = scheme switch { "normal" => ["std", "mean"], "kaiming_normal" => ["mode", "nonlinearity"], _ => [] };
        var named = new Dictionary<string, Value>();
        for (int i = 0; i < args.Count; i++)
        {
            var key = args[i].Item1 ?? (i < allowed.Length ? allowed[i] : null);
            if (key is null || !allowed.Contains(key)) { diagnostics.UnknownArgument(source, span, scheme, args[i].Item1 ?? $"argument {i + 1}", allowed); return null; }
            if (!named.TryAdd(key, args[i].Item2)) { diagnostics.ArgumentGivenTwice(source, span, scheme, key); return null; }
        }
        return scheme switch
        {
            "normal" => NormalInit(named, span, scope),
            "kaiming_normal" => KaimingInit(named, span),
            _ => InitSpec.Default,
        };
    }

    InitSpec? NormalInit(Dictionary<string, Value> args, TextSpan span, Scope scope)
    {
        if (!args.TryGetValue("std", out var stdValue)) { diagnostics.MissingArgument(source, span, "normal", "std"); return null; }
        var std = evaluator.Number(stdValue, span, "'std' of 'normal'", scope, 0, double.PositiveInfinity, false);
        double? mean = args.TryGetValue("mean", out var m) ? evaluator.Number(m, span, "'mean' of 'normal'", scope, double.NegativeInfinity, double.PositiveInfinity) : 0.0;
        return std is null || mean is null ? null : InitSpec.Normal(std.Value, mean.Value);
    }

    InitSpec? KaimingInit(Dictionary<string, Value> args, TextSpan span)
    {
        string? mode = args.TryGetValue("mode", out var m) ? evaluator.Choice(m, span, "'mode' of 'kaiming_normal'", ["fan_in", "fan_out"]) : "fan_in";
        string? nonlinearity = args.TryGetValue("nonlinearity", out var n) ? evaluator.Choice(n, span, "'nonlinearity' of 'kaiming_normal'", ["relu", "linear"]) : "relu";
        return mode is null || nonlinearity is null ? null : InitSpec.KaimingNormal(mode == "fan_out" ? FanMode.FanOut : FanMode.FanIn, nonlinearity == "relu");
    }

    static LayerSpec? AvgPool(string name, Reader r)
    {
        if (r.IsWord("kernel", "global")) return r.Absent("stride") && r.Absent("padding") ? new AdaptiveAvgPoolSpec(name, 1) : null;
        var kernel = r.Window("kernel", null, 1);
        var stride = r.Window("stride", kernel, 1);
        var padding = r.Window("padding", 0, 0);
        return r.Failed ? null : new AvgPoolSpec(name, kernel!.Value, stride!.Value, padding!.Value);
    }

    /// <summary>A neuron with the given arguments applied over the defaults in force.</summary>
    public NeuronSpec? Neuron(NeuronSpec defaults, Dictionary<string, BoundArgument> args, string kind, Scope scope) =>
        Neuron(defaults, new Reader(this, args, kind, scope));

    NeuronSpec? Neuron(NeuronSpec defaults, Reader r)
    {
        double tau = defaults.Tau;
        if (r.Has("tau") && r.Has("decay")) return r.Conflict("tau", "decay");
        if (r.Real("tau", tau, 1, double.PositiveInfinity) is { } t) tau = t;
        if (r.Has("decay") && r.Real("decay", 0, 0, 1, true, false) is { } decay) tau = NeuronSpec.FromDecay(decay).Tau;
        if (defaults.Kind == NeuronCatalog.Plif.Name && tau <= 1 && !r.Failed) return r.OutOfRange(r.Has("decay") ? "decay" : "tau", "a time constant above 1 (a decay above 0): the learnable w starts at −ln(τ − 1)");
        var threshold = r.Real("threshold", defaults.Threshold, 0, double.PositiveInfinity, false);
        var reset = r.Word("reset", defaults.Reset == ResetMode.Soft ? "soft" : "hard", ["soft", "hard"]);
        var resetValue = r.Real("reset_value", defaults.ResetValue, double.NegativeInfinity, double.PositiveInfinity);
        var detach = r.Flag("detach_reset", defaults.DetachReset);
        var surrogate = r.Has("surrogate") ? Surrogate(r) : defaults.Surrogate;
        var tauAdapt = r.Real("tau_adapt", defaults.TauAdapt, 1, double.PositiveInfinity);
        var beta = r.Real("beta", defaults.Beta, double.NegativeInfinity, double.PositiveInfinity);
        if (r.Failed) return null;
        return defaults with
        {
            Tau = tau, Threshold = threshold!.Value, Reset = reset == "hard" ? ResetMode.Hard : ResetMode.Soft,
            ResetValue = resetValue!.Value, DetachReset = detach!.Value, Surrogate = surrogate, TauAdapt = tauAdapt!.Value, Beta = beta!.Value,
        };
    }

    // `surrogate = sigmoid`, `sigmoid(4)`, `sigmoid(alpha = 4)`, `piecewise_leaky_relu(w = 1, c = 0.01)`: the catalog's
    // names and arguments, positional in the declared order or by name
    SurrogateSpec? Surrogate(Reader r)
    {
        var argument = r.Argument("surrogate");
        var spec = Surrogate(argument, r.Scope);
        if (spec is null) r.Fail();
        return spec;
    }

    SurrogateSpec? Surrogate(BoundArgument argument, Scope scope)
    {
        var (word, given) = argument.Value switch
        {
            CallValue c => (c.Name, c.Arguments),
            WordValue w => (w.Word, []),
            TextValue t => (t.Text, []),
            _ => (null, Array.Empty<(string?, Value)>()),
        };
        if (word is null) { diagnostics.WrongType(source, argument.Span, "the surrogate", "a surrogate such as sigmoid(alpha = 4)", argument.Value.Describe()); return null; }
        if (evaluator.Choice(new WordValue(word), argument.Span, "the surrogate", SurrogateCatalog.Names) is not { } choice) return null;
        var declared = SurrogateCatalog.Get(choice).Info.Arguments;
        var values = declared.Select(a => a.Default).ToArray();
        var seen = new HashSet<string>();
        for (int i = 0; i < given.Count; i++)
        {
            var (name, value) = given[i];
            int index = name is null ? (i < declared.Count ? i : -1) : declared.ToList().FindIndex(a => a.Name == name);
            if (index < 0)
            {
                if (name is null) diagnostics.TooManyArguments(source, argument.Span, choice, declared.Count, given.Count);
                else diagnostics.UnknownArgument(source, argument.Span, choice, name, declared.Select(a => a.Name));
                return null;
            }
            var parameter = declared[index];
            if (!seen.Add(parameter.Name)) { diagnostics.ArgumentGivenTwice(source, argument.Span, choice, parameter.Name); return null; }
            if (evaluator.Number(value, argument.Span, $"'{parameter.Name}' of '{choice}'", scope, parameter.Minimum, double.PositiveInfinity, parameter.Inclusive) is not { } number)
                return null;
            if (!parameter.Accepts(number))
            {
                diagnostics.ValueOutOfRange(source, argument.Span, $"'{parameter.Name}' of '{choice}'", "a finite number " + parameter.Range, number.ToString("R", System.Globalization.CultureInfo.InvariantCulture));
                return null;
            }
            values[index] = number;
        }
        return new SurrogateSpec(choice, SurrogateArgs.Of(values));
    }

    /// <summary>Reads typed arguments with defaults; remembers whether any was wrong.</summary>
    sealed class Reader(LayerFactory factory, Dictionary<string, BoundArgument> args, string kind, Scope scope)
    {
        public bool Failed { get; private set; }
        public Scope Scope => scope;
        public void Fail() => Failed = true;
        public bool Has(string name) => args.ContainsKey(name);
        public BoundArgument Argument(string name) => args[name];
        string What(string name) => $"'{name}' of '{kind}'";

        T? Track<T>(T? value) where T : struct
        {
            if (value is null) Failed = true;
            return value;
        }

        public long? Size(string name)
        {
            var arg = args[name];
            if (arg.Value is IntValue { Value: > MaxChannels } big)
            {
                factory.Diagnostics.SizeTooLarge(factory.Source, arg.Span, What(name), big.Value, MaxChannels);
                return Track<long>(null);
            }
            return Track(factory.Evaluator.Whole(arg.Value, arg.Span, What(name), scope, 1, MaxChannels));
        }

        public int? Window(string name, int? fallback, long min, long max = MaxWindow)
        {
            if (!args.TryGetValue(name, out var arg)) return fallback ?? Track<int>(null);
            return Track((int?)factory.Evaluator.Whole(arg.Value, arg.Span, What(name), scope, min, max));
        }

        public double? Real(string name, double fallback, double min, double max, bool includeMin = true, bool includeMax = true)
        {
            if (!args.TryGetValue(name, out var arg)) return fallback;
            var value = factory.Evaluator.Number(arg.Value, arg.Span, What(name), scope, min, max, includeMin);
            if (value is not null && !includeMax && value >= max)
            {
                factory.Diagnostics.ValueOutOfRange(factory.Source, arg.Span, What(name), $"below {max}", value.Value.ToString(System.Globalization.CultureInfo.InvariantCulture));
                value = null;
            }
            return Track(value);
        }

        public bool? Flag(string name, bool fallback) =>
            args.TryGetValue(name, out var arg) ? Track(factory.Evaluator.Boolean(arg.Value, arg.Span, What(name), scope)) : fallback;

        public string? Word(string name, string fallback, IReadOnlyList<string> choices)
        {
            if (!args.TryGetValue(name, out var arg)) return fallback;
            var word = factory.Evaluator.Choice(arg.Value, arg.Span, What(name), choices);
            if (word is null) Failed = true;
            return word;
        }

        public bool IsWord(string name, string word) => args.TryGetValue(name, out var arg) && arg.Value is WordValue w && w.Word == word;

        public bool Absent(string name)
        {
            if (!args.TryGetValue(name, out var arg)) return true;
            factory.Diagnostics.UnknownArgument(factory.Source, arg.Span, "avgpool(global)", name, []);
            Failed = true;
            return false;
        }

        public NeuronSpec? OutOfRange(string name, string range)
        {
            var arg = args.TryGetValue(name, out var given) ? given : null;
            if (arg is not null)
                factory.Diagnostics.ValueOutOfRange(factory.Source, arg.Span, What(name), range, DescribeNumber(arg.Value));
            Failed = true;
            return null;
        }

        static string DescribeNumber(Value value) => value switch
        {
            IntValue i => i.Value.ToString(System.Globalization.CultureInfo.InvariantCulture),
            FloatValue f => f.Value.ToString("R", System.Globalization.CultureInfo.InvariantCulture),
            _ => value.Describe(),
        };

        public NeuronSpec? Conflict(string first, string second)
        {
            factory.Diagnostics.ArgumentGivenTwice(factory.Source, args[second].Span, kind, $"{first}' and '{second}");
            Failed = true;
            return null;
        }
    }
}
