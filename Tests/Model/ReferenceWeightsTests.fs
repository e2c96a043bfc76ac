// Weights in the reference code's layout: a real PyTorch file and synthetic reference state dicts load by order and by name map.
module SnnDsl.Tests.Model.ReferenceWeightsTests

open System
open System.IO
open System.Collections.Generic
open Expecto
open TorchSharp
open TorchSharp.PyBridge
open SnnDsl.Dsl
open SnnDsl.Core.Model
open SnnDsl.Tests.Support
open SnnDsl.Tests.Dsl.DslTestSupport
open SnnDsl.Tests.Dsl.ZooTests

let private temp (extension: string) = Path.Combine(Path.GetTempPath(), $"snn-reference-{Guid.NewGuid():N}{extension}")

let private golden () = Safetensors.LoadStateDict(dataPath "golden/tinyvgg_T1.safetensors")

let private goldenNetwork () = NetworkBuilder.Build(SnnDsl.Tests.Core.TestNetworks.tinyVgg SnnDsl.Tests.Core.GoldenTests.goldenNeuron, 7L)

let private expectGoldenState (network: torch.nn.Module) =
    let golden = golden ()
    let state = WeightIO.StateDict network
    Expect.equal state.Count (golden.Keys |> Seq.filter (fun k -> k.StartsWith "state/") |> Seq.length) "every tensor"
    for KeyValue(name, t) in state do
        Expect.isTrue (sameTensor t (golden.["state/" + name].reshape(t.shape).to_type(t.dtype))) $"{name} = state/{name}"

/// A state dict in the reference's layout (names, kinds and shapes of the .tsv), random values; counters random integers.
let private syntheticReference (network: string) =
    [ for i, r in List.indexed (referenceLayout network) ->
        let shape = Array.ofList r.Shape
        let value =
            if r.Name.EndsWith "num_batches_tracked" then torch.tensor(int64 (i + 3))
            else withSeed (int64 i) (fun () -> torch.randn(shape))
        KeyValuePair(r.Name, value) ]

let private build (network: string) =
    let size = if network.EndsWith "resnet34" then [ "size=64" ] else []
    NetworkBuilder.Build(nonNull (Compiler.Compile(example network, network + ".snn", size)).Network, 0L)

/// Tensor for tensor: the network's i-th tensor (PyTorch's order) holds the file's i-th values.
let private expectLoaded (network: torch.nn.Module) (source: KeyValuePair<string, torch.Tensor> list) =
    let state = WeightIO.StateDict network
    Expect.equal state.Count source.Length "as many tensors as the reference"
    for KeyValue(name, t), from in Seq.zip state source do
        Expect.isTrue (sameTensor t (from.Value.to_type(t.dtype))) $"{name} holds {from.Key}"

/// Sequenced: each test holds up to three copies of a 22M-parameter network, so they do not run side by side.
[<Tests>]
let tests =
    testSequenced <| testList "Model.ReferenceWeights" [
        test "the network's state in PyTorch's order is the order `snn check` lists, for every zoo network" {
            for file in exampleFiles () do
                let result = Compiler.Compile(File.ReadAllText file, file, (if file.Contains "resnet34" then [ "size=64" ] else []))
                use scope = torch.NewDisposeScope()
                let network = NetworkBuilder.Build(nonNull result.Network, 0L)
                Expect.sequenceEqual [ for kv in WeightIO.StateDict network -> kv.Key ] [ for p in result.Parameters -> p.Name ] (string (Path.GetFileName file))
        }
        for mapping in [ WeightMapping.ByOrder; WeightMapping.ByName ] do
            test $"the reference's torch.save file tinyvgg_state_dict.pt loads {mapping} into the golden network and equals state/*" {
                use scope = torch.NewDisposeScope()
                let network = goldenNetwork ()
                WeightIO.Load(network, dataPath "reference/tinyvgg_state_dict.pt", mapping)
                expectGoldenState network
            }
        test "tinyvgg_state_dict.pt is read in the file's own order (PyTorch's: buffers after each module's parameters)" {
            use scope = torch.NewDisposeScope()
            let names = [ for kv in WeightIO.Read(dataPath "reference/tinyvgg_state_dict.pt") -> kv.Key ]
            Expect.equal (List.take 7 names)
                [ "feature.0.weight"; "feature.0.bias"; "feature.1.weight"; "feature.1.bias"
                  "feature.1.running_mean"; "feature.1.running_var"; "feature.1.num_batches_tracked" ] "first modules"
        }
        for network in referenceNetworks do
            test $"{network}: a reference-layout state dict loads by order and by the name map, tensor for tensor" {
                use scope = torch.NewDisposeScope()
                let source = syntheticReference network
                let byOrder = build network
                WeightIO.Apply(byOrder, source, WeightMapping.ByOrder)
                expectLoaded byOrder source
                let byName = build network
                WeightIO.Apply(byName, (nameMap network).ToOurs source, WeightMapping.ByName)
                expectLoaded byName source
            }
        test "resnet18: --weights-map reference loads a reference .pt; export-weights --names reference writes the reference's layout" {
            use scope = torch.NewDisposeScope()
            let file = Path.Combine(examplesFolder, "resnet18.snn")
            let source = syntheticReference "resnet18"
            let pt = temp ".pt"
            WeightIO.Write(source, pt, WeightFormat.PyTorch)
            let network = build "resnet18"
            WeightIO.Load(network, pt, WeightMap.Parse("reference", file))
            expectLoaded network source
            let ours = temp ".safetensors"
            WeightIO.Save(network, ours, WeightFormat.Safetensors)
            let exported = SnnDsl.Runner.Commands.ExportWeightsCommand.exportNamed ours "pt" (Some(temp ".pt")) (Some "reference") (Some file)
            let back = WeightIO.Read exported
            Expect.sequenceEqual [ for kv in back -> kv.Key ] [ for r in referenceLayout "resnet18" -> r.Name ] "the reference's names, in its order"
            for a, b in Seq.zip back source do Expect.isTrue (sameTensor a.Value b.Value) a.Key
            for f in [ pt; ours; exported ] do File.Delete f
        }
        test "a reference-layout file refused by shape names both tensors and both positions" {
            use scope = torch.NewDisposeScope()
            let source = syntheticReference "vgg11" |> List.toArray
            source.[3] <- KeyValuePair(source.[3].Key, torch.zeros(5L))
            let e = Expect.throwsC (fun () -> WeightIO.Apply(build "vgg11", source, WeightMapping.ByOrder)) id
            Expect.equal e.Message
                "tensor 4 of the file, 'feature.1.bias', has shape [5] but tensor 4 of the network, 'features.0.0.0.1.bias', has shape [64]" "message"
        }
        test "export-weights --names reference without --network, and a map that lacks a tensor, are one-line user errors" {
            let err = new StringWriter()
            let code = SnnDsl.Runner.Program.handle err (fun () ->
                SnnDsl.Runner.Commands.ExportWeightsCommand.exportNamed "x.safetensors" "pt" (Some(temp ".pt")) (Some "reference") None |> ignore
                0)
            Expect.equal code 1 "exit code"
            Expect.stringContains (err.ToString()) "--names reference needs --network" "message"
            let map = NameMap.FromPairs [ "a.weight", "x.weight" ]
            let e = Expect.throwsC (fun () -> map.ToOurs [ KeyValuePair("y.weight", 1) ] |> ignore) id
            Expect.equal e.Message "the file's tensor 'y.weight' is not in the name map" "unknown name"
        }
    ]
