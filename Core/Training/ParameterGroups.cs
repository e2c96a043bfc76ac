// Optimiser construction: SGD with momentum (as published) or AdamW, weight decay only on conv and linear weights.
using SnnDsl.Core.Layers;
using SnnDsl.Core.Model;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;
using SnnDsl.Core.Settings;

namespace SnnDsl.Core.Training;

/// <summary>Splits parameters into those that take weight decay (conv/linear weights) and those that do not (BN, biases, neuron parameters such as PLIF's w).</summary>
public static class ParameterGroups
{
    public static (IReadOnlyList<Parameter> Decayed, IReadOnlyList<Parameter> NotDecayed) Split(SpikingNetwork network)
    {
        var decayed = new List<Parameter>();
        var notDecayed = new List<Parameter>();
        foreach (var layer in network.Layers)
        {
            switch (layer)
            {
                case WeightedLayer w: decayed.Add(w.Weight); if (w.Bias is not null) notDecayed.Add(w.Bias); break;
                case BatchNormLayer b: notDecayed.Add(b.Weight); notDecayed.Add(b.Bias); break;
                case NeuronLayer n: notDecayed.AddRange(n.LearnableParameters); break; // PLIF's w: a neuron constant, not a weight
            }
        }
        return (decayed, notDecayed);
    }

    /// <summary>SGD (momentum, optional Nesterov) with weight decay on conv/linear weights only. Build it after moving the network to its device.</summary>
    public static TorchSharp.Modules.SGD Sgd(SpikingNetwork network, double lr, double momentum, double weightDecay, bool nesterov = false)
    {
        var (decayed, notDecayed) = Split(network);
        var groups = new List<SGD.ParamGroup>
        {
            new(decayed, new SGD.Options { LearningRate = lr, momentum = momentum, weight_decay = weightDecay, nesterov = nesterov }),
            new(notDecayed, new SGD.Options { LearningRate = lr, momentum = momentum, weight_decay = 0.0, nesterov = nesterov }),
        };
        return optim.SGD(groups, lr, momentum, 0.0, 0.0, nesterov);
    }

    /// <summary>AdamW with decoupled weight decay on conv/linear weights only.</summary>
    public static AdamW AdamW(SpikingNetwork network, double lr, double weightDecay)
    {
        var (decayed, notDecayed) = Split(network);
        var groups = new List<AdamW.ParamGroup>
        {
            new(decayed, new AdamW.Options { LearningRate = lr, weight_decay = weightDecay }),
            new(notDecayed, new AdamW.Options { LearningRate = lr, weight_decay = 0.0 }),
        };
        return optim.AdamW(groups, lr, weight_decay: 0.0);
    }

    /// <summary>The optimiser a config names, over this network's parameters.</summary>
    public static OptimizerHelper Create(SpikingNetwork network, OptimizerSettings settings) => settings.Kind switch
    {
        OptimizerKind.AdamW => AdamW(network, settings.LearningRate, settings.WeightDecay),
        _ => Sgd(network, settings.LearningRate, settings.Momentum, settings.WeightDecay, settings.Nesterov),
    };
}
