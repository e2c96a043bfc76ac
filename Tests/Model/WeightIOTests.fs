// Weights files: safetensors and PyTorch .pt round trips, name and order mapping, exact messages for tensors that do not fit.
module SnnDsl.Tests.Model.WeightIOTests

open System
open System.IO
open System.Collections.Generic
open Expecto
open TorchSharp
open SnnDsl.Dsl.Model
open SnnDsl.Core.Model
open SnnDsl.Tests.Support
open SnnDsl.Tests.Core.TestNetworks

let private spec = convBn NeuronSpec.Paper
let private temp (extension: string) = Path.Combine(Path.GetTempPath(), $"snn-weights-{Guid.NewGuid():N}{extension}")

let private expectSameState (a: torch.nn.Module) (b: torch.nn.Module) =
    let sa, sb = a.state_dict(), b.state_dict()
    Expect.sequenceEqual sb.Keys sa.Keys "names"
    for KeyValue(name, t) in sa do Expect.isTrue (sameTensor t sb.[name]) name

let private expectMessage (f: unit -> unit) (message: string) =
    let e = Expect.throwsC f id
    Expect.isTrue (e :? WeightsException) $"a WeightsException, got {e.GetType().Name}"
    Expect.equal e.Message message "message"

[<Tests>]
let tests =
    testList "Model.WeightIO" [
        for format, extension in [ WeightFormat.Safetensors, ".safetensors"; WeightFormat.PyTorch, ".pt" ] do
            test $"{format}: save, load into a differently seeded network, identical state; file order = state order" {
                let path = temp extension
                let source, target = NetworkBuilder.Build(spec, 1L), NetworkBuilder.Build(spec, 2L)
                WeightIO.Save(source, path, format)
                Expect.sequenceEqual (WeightIO.Read path |> Seq.map (fun kv -> kv.Key)) (WeightIO.StateDict source |> Seq.map (fun kv -> kv.Key)) "order"
                WeightIO.Load(target, path, WeightMapping.ByName)
                expectSameState source target
                File.Delete path
            }
        test "a weights file holding NaN or infinity is refused naming the tensor" {
            let target = NetworkBuilder.Build(spec, 1L)
            let state = [ for KeyValue(name, t) in target.state_dict() -> KeyValuePair(name, t.clone()) ]
            let poisoned = state |> List.map (fun kv -> if kv.Key = "fc.bias" then KeyValuePair(kv.Key, torch.full_like(kv.Value, Double.NaN)) else kv)
            expectMessage (fun () -> WeightIO.Apply(target, poisoned, WeightMapping.ByName))
                "the file's tensor 'fc.bias' holds NaN or infinity; these weights come from a diverged run and cannot be used"
        }
        test "order mapping copies by position whatever the names" {
            let source, target = NetworkBuilder.Build(spec, 1L), NetworkBuilder.Build(spec, 2L)
            let renamed = [ for i, KeyValue(_, t) in Seq.indexed (WeightIO.StateDict source) -> KeyValuePair($"model.{i}", t) ]
            WeightIO.Apply(target, renamed, WeightMapping.ByOrder)
            expectSameState source target
        }
        test "order mapping names the tensor whose shape does not fit" {
            let target = NetworkBuilder.Build(spec, 2L)
            let entries = [ for KeyValue(name, t) in WeightIO.StateDict target -> KeyValuePair("m." + name, t) ] |> List.toArray
            entries.[2] <- KeyValuePair("m.bn1.weight", torch.ones(7L))
            expectMessage (fun () -> WeightIO.Apply(target, entries, WeightMapping.ByOrder))
                "tensor 3 of the file, 'm.bn1.weight', has shape [7] but tensor 3 of the network, 'bn1.weight', has shape [6]"
        }
        test "name mapping names a missing tensor and a tensor of the wrong shape" {
            let target = NetworkBuilder.Build(spec, 2L)
            let state = [ for KeyValue(name, t) in WeightIO.StateDict target -> KeyValuePair(name, t) ]
            expectMessage (fun () -> WeightIO.Apply(target, state |> List.filter (fun kv -> kv.Key <> "fc.bias"), WeightMapping.ByName))
                "the file has no tensor 'fc.bias' (1 of the network's 16 missing); if its names differ, use --weights-map order"
            let wrong = state |> List.map (fun kv -> if kv.Key = "fc.bias" then KeyValuePair(kv.Key, torch.zeros(3L)) else kv)
            let reordered = (wrong |> List.filter (fun kv -> kv.Key = "fc.bias")) @ (wrong |> List.filter (fun kv -> kv.Key <> "fc.bias"))
            expectMessage (fun () -> WeightIO.Apply(target, reordered, WeightMapping.ByName))
                "tensor 1 of the file, 'fc.bias', has shape [3] but tensor 16 of the network, 'fc.bias', has shape [5]"
        }
        test "snn bench --weights with a file that does not fit exits 1 naming the tensor, no stack trace" {
            let path = temp ".safetensors"
            WeightIO.Write([ KeyValuePair("conv1.weight", torch.zeros(1L)) ], path, WeightFormat.Safetensors)
            let file = Path.Combine(SnnDsl.Tests.Benchmarks.GradientTests.repoRoot, "examples", "networks", "fashion_cnn.snn")
            let err = new StringWriter()
            let code = SnnDsl.Runner.Program.handle err (fun () ->
                let network = NetworkBuilder.Build(SnnDsl.Tests.Benchmarks.GradientTests.zooNetwork "fashion_cnn.snn", 0L)
                SnnDsl.Runner.Commands.RunSupport.loadWeights network (Some path) (WeightMap WeightMapping.ByOrder)
                0)
            Expect.equal code 1 "exit code"
            Expect.stringContains (err.ToString()) "the file has 1 tensors, the network 14" "message"
            Expect.isFalse (err.ToString().Contains " at ") "no stack trace"
            File.Delete path
            ignore file
        }
        test "export-weights converts safetensors to .pt and back without changing a tensor" {
            let network = NetworkBuilder.Build(spec, 1L)
            let path = temp ".safetensors"
            WeightIO.Save(network, path, WeightFormat.Safetensors)
            let pt = SnnDsl.Runner.Commands.ExportWeightsCommand.export path "pt" None
            let back = SnnDsl.Runner.Commands.ExportWeightsCommand.export pt "safetensors" (Some(temp ".safetensors"))
            let a, b = WeightIO.Read path, WeightIO.Read back
            Expect.sequenceEqual (b |> Seq.map (fun kv -> kv.Key)) (a |> Seq.map (fun kv -> kv.Key)) "names"
            for x, y in Seq.zip a b do Expect.isTrue (sameTensor x.Value y.Value) x.Key
            for f in [ path; pt; back ] do File.Delete f
        }
    ]
