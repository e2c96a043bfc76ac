// Small network descriptions shared by the Core tests (built through the plain description records).
module SnnDsl.Tests.Core.TestNetworks

open SnnDsl.Dsl.Model

let lif name (neuron: NeuronSpec) = NeuronLayerSpec(name, neuron) :> LayerSpec
let conv name out k pad = ConvSpec(name, int64 out, k, Padding = pad) :> LayerSpec
let bn name = BatchNormSpec(name) :> LayerSpec
let seq name (layers: LayerSpec list) = SequenceSpec(name, layers) :> LayerSpec

/// The golden network of ../shared/golden (a small spiking VGG): features.* and classifier.* as in the reference.
let tinyVgg (neuron: NeuronSpec) =
    NetworkSpec("tinyvgg", Shape.Of(3L, 16L, 16L), [
        seq "feature" [
            conv "0" 8 3 1; bn "1"; lif "2" neuron; AvgPoolSpec("3", 2, 2)
            conv "4" 16 3 1; bn "5"; lif "6" neuron; AdaptiveAvgPoolSpec("7", 1); FlattenSpec("8") ]
        seq "classifier" [ LinearSpec("0", 10L) ] ])

/// A small conv net without batch norm (for Rate-M == Rate-S and hand-unrolled checks).
let convNoBn (neuron: NeuronSpec) =
    NetworkSpec("convnobn", Shape.Of(2L, 8L, 8L), [
        conv "conv1" 6 3 1; lif "lif1" neuron; AvgPoolSpec("pool", 2, 2)
        conv "conv2" 8 3 1; lif "lif2" neuron; AdaptiveAvgPoolSpec("gap", 1); FlattenSpec("flat")
        LinearSpec("fc", 5L) ])

/// A small conv net with batch norm.
let convBn (neuron: NeuronSpec) =
    NetworkSpec("convbn", Shape.Of(2L, 8L, 8L), [
        conv "conv1" 6 3 1; bn "bn1"; lif "lif1" neuron; AvgPoolSpec("pool", 2, 2)
        conv "conv2" 8 3 1; bn "bn2"; lif "lif2" neuron; AdaptiveAvgPoolSpec("gap", 1); FlattenSpec("flat")
        LinearSpec("fc", 5L) ])

/// A residual net exercising every merge kind, max pooling and dropout.
let residualNet (neuron: NeuronSpec) (merge: MergeKind) =
    let body = SequenceSpec("b", [ conv "0" 6 3 1; bn "1"; lif "2" neuron ])
    NetworkSpec("resnet", Shape.Of(2L, 8L, 8L), [
        conv "stem" 6 3 1; bn "stem_bn"; lif "stem_lif" neuron
        ResidualSpec("block", body, null, merge)
        MaxPoolSpec("pool", 2, 2); DropoutSpec("drop", 0.2)
        ResidualSpec("down", SequenceSpec("b", [ ConvSpec("0", 8L, 3, Stride = 2, Padding = 1); bn "1"; lif "2" neuron ]),
                     SequenceSpec("s", [ ConvSpec("0", 8L, 1, Stride = 2, Bias = false); bn "1"; lif "2" neuron ]), merge)
        AdaptiveAvgPoolSpec("gap", 1); FlattenSpec("flat"); LinearSpec("fc", 4L) ])
