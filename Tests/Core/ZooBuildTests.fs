// Every zoo network builds in Core under the parameter names the language prints, and runs a forward pass.
module SnnDsl.Tests.Core.ZooBuildTests

open System.IO
open Expecto
open TorchSharp
open SnnDsl.Dsl
open SnnDsl.Core.Layers
open SnnDsl.Core.Model
open SnnDsl.Tests.Support
open SnnDsl.Tests.Dsl.DslTestSupport

/// ImageNet networks run at 64×64 here (parameter counts do not depend on the image size).
let private overridesFor (file: string) =
    match Path.GetFileNameWithoutExtension file with
    | "sew_resnet34" | "preact_resnet34" -> [ "size=64" ]
    | _ -> []

[<Tests>]
let tests =
    testList "Core.Zoo" [
        for file in exampleFiles () do
            test $"{Path.GetFileName file}: names, shapes and counts match the language; a forward pass runs" {
                let result = Compiler.Compile(File.ReadAllText file, file, overridesFor file)
                let spec = nonNull result.Network
                use scope = torch.NewDisposeScope()
                let network = NetworkBuilder.Build(spec, 0L)
                let built = [ for KeyValue(name, t) in network.state_dict() -> name, List.ofArray t.shape ]
                let declared = [ for p in result.Parameters -> p.Name, List.ofSeq p.Shape.Dims ]
                Expect.sequenceEqual (List.sort built) (List.sort declared) "state_dict names and shapes = `snn check`'s"
                let parameters = network.parameters() |> Seq.sumBy (fun p -> p.numel())
                let table = result.LayerTable |> Seq.filter (fun r -> not (r.Kind.StartsWith "sequence" || r.Kind.StartsWith "residual")) |> Seq.sumBy (fun r -> r.Parameters)
                Expect.equal parameters table "parameter count = the layer table's"
                let input = torch.rand([| yield 2L; yield! spec.Input.Dims |])
                let struct (output, perStep) = (use _ = torch.no_grad() in network.MultiStep(SpikeInput.Static input, new PassContext(2, false)))
                let classes = SnnDsl.Dsl.Model.ShapeInference.OutputShape(spec).[0]
                Expect.sequenceEqual output.shape [| 2L; classes |] "mean output [B, classes]"
                Expect.sequenceEqual perStep.shape [| 2L; 2L; classes |] "per-step output [T, B, classes]"
                Expect.isTrue (output.isfinite().all().item<bool>()) "finite"
            }
    ]
