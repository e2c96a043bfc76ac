// The model zoo: every example compiles, and its parameter count and tensor layout equal the reference code's models.
module SnnDsl.Tests.Dsl.ZooTests

open System.IO
open Expecto
open SnnDsl.Dsl
open SnnDsl.Dsl.Model
open SnnDsl.Tests.Dsl.DslTestSupport

/// Parameter counts of the reference code's models (Tests/Fixtures/reference/README.md; fashion_cnn and resnet_fashion have no reference: counted by hand in examples/networks/README.md).
let references =
    [ "resnet18", 11_173_962L
      "resnet19", 12_697_994L
      "vgg11", 11_001_354L
      "vgg13", 9_416_010L
      "vggsnn_cifar", 9_272_074L
      "vggsnn_dvs", 9_271_498L
      "sew_resnet34", 21_806_184L
      "preact_resnet34", 21_806_184L
      "fashion_cnn", 50_282L
      "resnet_fashion", 77_754L ]

/// The zoo networks that reproduce a reference model.
let referenceNetworks = references |> List.map fst |> List.filter (fun n -> n <> "fashion_cnn" && n <> "resnet_fashion")

/// One line of a reference layout table: name, buffer?, shape.
type ReferenceTensor = { Name: string; IsBuffer: bool; Shape: int64 list }

/// The reference model's state_dict layout, from Tests/Fixtures/reference/<network>.tsv.
let referenceLayout (network: string) =
    File.ReadAllLines(SnnDsl.Tests.Support.dataPath $"reference/{network}.tsv")
    |> Array.filter (fun l -> l.Length > 0 && not (l.StartsWith "#"))
    |> Array.map (fun l ->
        match l.Split '\t' with
        | [| name; kind; shape |] ->
            let dims = shape.Trim('[', ']').Split(',', System.StringSplitOptions.RemoveEmptyEntries) |> Array.map (fun d -> int64 (d.Trim()))
            { Name = name; IsBuffer = (kind = "buffer"); Shape = List.ofArray dims }
        | _ -> failwith $"malformed reference line '{l}'")
    |> List.ofArray

/// The name map shipped beside a zoo network (examples/networks/<network>.names.tsv).
let nameMap (network: string) = SnnDsl.Core.Model.NameMap.Beside(Path.Combine(examplesFolder, network + ".snn"))

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
        for name in referenceNetworks ->
            test $"{name}: the tensors in PyTorch's order have the reference's shapes and kinds, and the name map gives its names" {
                let result = Compiler.Compile(example name, name + ".snn")
                let ours = [ for p in result.Parameters -> p.Name, p.IsBuffer, List.ofSeq p.Shape.Dims ]
                let reference = referenceLayout name
                Expect.sequenceEqual [ for _, b, s in ours -> b, s ] [ for r in reference -> r.IsBuffer, r.Shape ] "kind and shape, tensor by tensor"
                let mapped = (nameMap name).Pairs |> Seq.toList
                Expect.sequenceEqual [ for o, _ in mapped -> o ] [ for n, _, _ in ours -> n ] "the map lists our names in order"
                Expect.sequenceEqual [ for _, f in mapped -> f ] [ for r in reference -> r.Name ] "the map gives the reference's names in order"
            }
        yield test "--set classes=100 changes the read-out of resnet18" {
            let result = Compiler.Compile(example "resnet18", "resnet18.snn", [ "classes=100" ])
            Expect.equal (totalParameters result) (11_173_962L + 90L * 513L) "parameters with 100 classes"
        }
    ]
