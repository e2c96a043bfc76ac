// Initialisation schemes in Core: the moments of large layers, zero biases, and the same weights from the same seed.
module SnnDsl.Tests.Core.InitTests

open Expecto
open TorchSharp
open SnnDsl.Dsl.Model
open SnnDsl.Core.Model
open SnnDsl.Tests.Support

/// conv 64→256 3×3 (fan_in 576, fan_out 2304, 147,456 weights) then linear 256·4·4 → 512 (2M weights).
let private network (conv: InitSpec) (linear: InitSpec) =
    NetworkSpec("init", Shape.Of(64L, 4L, 4L), [
        ConvSpec("conv", 256L, 3, Padding = 1, Init = conv); FlattenSpec("flat"); LinearSpec("fc", 512L, Init = linear) ])

let private moments (t: torch.Tensor) =
    let t = t.to_type(torch.float64)
    t.mean().item<float>(), t.std().item<float>()

let private expectMoments (t: torch.Tensor) (mean: float) (std: float) (what: string) =
    let m, s = moments t
    let n = float (t.numel())
    Expect.isLessThan (abs (m - mean)) (5.0 * std / sqrt n) $"{what}: mean {m} near {mean}"
    Expect.isLessThan (abs (s / std - 1.0)) 0.02 $"{what}: std {s} near {std}"

let private weight (net: SpikingNetwork) name = nonNull (net.get_parameter name)

[<Tests>]
let tests =
    testList "Core.Init" [
        test "normal(std = 0.5): weights N(0, 0.5²), biases 0 (the reference's VGG initialisation)" {
            use scope = torch.NewDisposeScope()
            let net = NetworkBuilder.Build(network (InitSpec.Normal 0.5) (InitSpec.Normal(0.5, 0.1)), 0L)
            expectMoments (weight net "conv.weight") 0.0 0.5 "conv"
            expectMoments (weight net "fc.weight") 0.1 0.5 "linear (mean 0.1)"
            Expect.isTrue ((weight net "conv.bias").eq(torch.tensor(0.0f)).all().item<bool>()) "conv bias 0"
            Expect.isTrue ((weight net "fc.bias").eq(torch.tensor(0.0f)).all().item<bool>()) "linear bias 0"
        }
        test "kaiming_normal: std = gain/√fan (fan_out: out·k², fan_in: in·k²); bias keeps PyTorch's U(±1/√fan_in)" {
            use scope = torch.NewDisposeScope()
            let net = NetworkBuilder.Build(network (InitSpec.KaimingNormal FanMode.FanOut) (InitSpec.KaimingNormal(FanMode.FanIn, false)), 0L)
            expectMoments (weight net "conv.weight") 0.0 (sqrt 2.0 / sqrt (256.0 * 9.0)) "conv fan_out relu"
            expectMoments (weight net "fc.weight") 0.0 (1.0 / sqrt 4096.0) "linear fan_in linear"
            let bound = 1.0 / sqrt 576.0
            Expect.isLessThanOrEqual ((weight net "conv.bias").abs().max().item<float32>() |> float) bound "bias within 1/√fan_in"
        }
        test "default: U(±1/√fan_in) for weights, variance bound²/3" {
            use scope = torch.NewDisposeScope()
            let net = NetworkBuilder.Build(network InitSpec.Default InitSpec.Default, 0L)
            let bound = 1.0 / sqrt 4096.0
            Expect.isLessThanOrEqual ((weight net "fc.weight").abs().max().item<float32>() |> float) bound "within the bound"
            expectMoments (weight net "fc.weight") 0.0 (bound / sqrt 3.0) "uniform moments"
        }
        test "the same seed gives the same weights, another seed others, for every scheme" {
            use scope = torch.NewDisposeScope()
            for scheme in [ InitSpec.Default; InitSpec.Normal 0.5; InitSpec.KaimingNormal FanMode.FanOut ] do
                let a, b, c = NetworkBuilder.Build(network scheme scheme, 3L), NetworkBuilder.Build(network scheme scheme, 3L), NetworkBuilder.Build(network scheme scheme, 4L)
                for name in [ "conv.weight"; "fc.weight" ] do
                    Expect.isTrue (sameTensor (weight a name) (weight b name)) $"{scheme} {name}: same seed"
                    Expect.isFalse (sameTensor (weight a name) (weight c name)) $"{scheme} {name}: other seed"
        }
        test "the zoo's VGG-11 starts from N(0, 0.5) conv and linear weights with zero biases" {
            use scope = torch.NewDisposeScope()
            let spec = nonNull (SnnDsl.Dsl.Compiler.Compile(SnnDsl.Tests.Dsl.DslTestSupport.example "vgg11", "vgg11.snn")).Network
            let net = NetworkBuilder.Build(spec, 0L)
            expectMoments (weight net "last.1.0.weight") 0.0 0.5 "a 512×512×3×3 conv"
            Expect.isTrue ((weight net "fc.bias").eq(torch.tensor(0.0f)).all().item<bool>()) "read-out bias 0"
        }
    ]
