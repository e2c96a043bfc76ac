// The model zoo: every example compiles, and its parameter count matches the reference architecture (derived by hand).
module SnnDsl.Tests.Dsl.ZooTests

open Expecto
open SnnDsl.Dsl
open SnnDsl.Dsl.Model
open SnnDsl.Tests.Dsl.DslTestSupport

/// Reference parameter counts from the PyTorch definitions (see examples/networks/README.md for the arithmetic).
let references =
    [ "resnet18", 11_173_962L
      "resnet19", 12_697_994L
      "vgg11", 11_001_354L
      "vgg13", 9_416_010L
      "vggsnn_cifar", 9_246_474L
      "vggsnn_dvs", 9_271_498L
      "sew_resnet34", 21_797_672L
      "preact_resnet34", 21_797_672L
      "fashion_cnn", 50_282L
      "resnet_fashion", 77_754L ]

let outputs =
    [ "resnet18", [ 10L ]; "vggsnn_dvs", [ 10L ]; "sew_resnet34", [ 1000L ]; "fashion_cnn", [ 10L ]; "resnet_fashion", [ 10L ] ]

let lastIsLinear (network: NetworkSpec) =
    let rec last (layer: LayerSpec) =
        match layer with
        | :? SequenceSpec as s -> last (Seq.last s.Layers)
        | other -> other
    last network.Root :? LinearSpec

[<Tests>]
let tests =
    testList "Dsl.Zoo" [
        for name, expected in references ->
            test $"{name} has {expected} parameters" {
                let result = Compiler.Compile(example name, name + ".snn")
                Expect.isEmpty (result.Diagnostics |> Seq.map string |> List.ofSeq) "compiles"
                Expect.equal (totalParameters result) expected "parameter count"
                Expect.isTrue (lastIsLinear (nonNull result.Network)) "the last layer is a linear read-out"
            }
        for name, shape in outputs ->
            test $"{name} outputs {shape}" {
                let network = nonNull (Compiler.Compile(example name, name + ".snn")).Network
                Expect.equal (List.ofSeq (ShapeInference.OutputShape network).Dims) shape "output shape"
            }
        yield test "--set classes=100 changes the read-out of resnet18" {
            let result = Compiler.Compile(example "resnet18", "resnet18.snn", [ "classes=100" ])
            Expect.equal (totalParameters result) (11_173_962L + 90L * 513L) "parameters with 100 classes"
        }
    ]
