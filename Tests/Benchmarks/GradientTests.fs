// snn grad's comparison: docs/rate-bp.md §5 checks 1–2 on a zoo network, the gradient file's keys, and the command line.
module SnnDsl.Tests.Benchmarks.GradientTests

open System
open System.IO
open Expecto
open TorchSharp
open SnnDsl.Dsl
open SnnDsl.Core.Model
open SnnDsl.Core.Estimators
open SnnDsl.Core.Benchmarks
open SnnDsl.Tests.Support

/// The repository folder (holding examples/), found upwards from the test assembly.
let repoRoot =
    let rec up (dir: DirectoryInfo | null) =
        match dir with
        | null -> failwith "examples/networks not found above the test assembly"
        | d when Directory.Exists(Path.Combine(d.FullName, "examples", "networks")) -> d.FullName
        | d -> up d.Parent
    up (DirectoryInfo AppContext.BaseDirectory)

let zooNetwork (name: string) =
    let path = Path.Combine(repoRoot, "examples", "networks", name)
    match Compiler.Compile(File.ReadAllText path, path).Network with
    | NonNull spec -> spec
    | _ -> failwith $"{name} does not compile"

let private runs steps =
    let spec = zooNetwork "fashion_cnn.snn"
    use scope = torch.NewDisposeScope()
    let network = NetworkBuilder.Build(spec, 4L)
    let struct (input, labels) = Benchmark.SyntheticBatch(spec, 8, 4L, torch.CPU)
    let all = GradientComparison.Compute(network, [ EstimatorKind.BpttM; EstimatorKind.RateM ], EstimatorOptions steps, SpikeInput.Static input, labels)
    for r in all do
        r.Output.MoveToOuterDisposeScope() |> ignore
        for kv in r.Gradients do kv.Value.MoveToOuterDisposeScope() |> ignore
    all[0], all[1]

[<Tests>]
let tests =
    testList "Benchmarks.Gradients" [
        for steps in [ 2; 4 ] do
            test $"fashion_cnn T = {steps}: classifier cosine 1 and norm ratio 1/T (check 1), equal loss (check 2)" {
                let bptt, rate = runs steps
                Expect.floatClose { absolute = 1e-6; relative = 1e-6 } rate.Loss bptt.Loss "loss"
                let rows = GradientComparison.Compare(bptt, rate) |> Seq.toList
                for name in [ "fc.weight"; "fc.bias" ] do
                    let row = rows |> List.find (fun r -> r.Parameter = name)
                    Expect.floatClose { absolute = 1e-6; relative = 0.0 } row.Cosine 1.0 $"{name} cosine"
                    Expect.floatClose { absolute = 1e-5; relative = 1e-4 } row.NormRatio (1.0 / float steps) $"{name} norm ratio"
                let hidden = rows |> List.find (fun r -> r.Parameter = "conv1.weight")
                Expect.isTrue (Double.IsFinite hidden.Cosine) "hidden cosine is a number"
                Expect.equal (rows |> List.map (fun r -> r.Depth) |> List.distinct) [ 0; 1; 2; 3; 4 ] "depth per layer with parameters"
            }
        test "the gradient file holds loss/, output/ and grad/<estimator>/<parameter> for each estimator" {
            let bptt, rate = runs 2
            let keys = GradientComparison.ToTensors [ bptt; rate ] |> Seq.map (fun kv -> kv.Key) |> set
            for key in [ "loss/bptt-m"; "loss/rate-m"; "output/rate-m"; "grad/bptt-m/fc.weight"; "grad/rate-m/conv1.weight" ] do
                Expect.isTrue (keys.Contains key) key
        }
        test "snn grad --synthetic writes the file and exits 0; a missing batch source exits 1 with a message" {
            let file = Path.Combine(repoRoot, "examples", "networks", "fashion_cnn.snn")
            let out = Path.Combine(Path.GetTempPath(), $"snn-grad-{Guid.NewGuid():N}.safetensors")
            let code = SnnDsl.Runner.Program.execute [| "grad"; file; "--synthetic"; "--batch"; "4"; "--steps"; "2"; "--out"; out |]
            Expect.equal code 0 "exit code"
            let written = WeightIO.Read out |> Seq.map (fun kv -> kv.Key) |> set
            Expect.isTrue (written.Contains "grad/rate-s/fc.weight") "rate-s gradients written"
            File.Delete out
            Expect.equal (SnnDsl.Runner.Program.execute [| "grad"; file; "--steps"; "2" |]) 1 "no batch source"
        }
        testSequenced <| test "snn grad --device: an unknown device, or CUDA on a machine without it, is one sentence and exit 1" {
            let file = Path.Combine(repoRoot, "examples", "networks", "fashion_cnn.snn")
            let refused (device: string) =
                let code, _, err = runCli [| "grad"; file; "--synthetic"; "--device"; device |]
                Expect.equal code 1 $"--device {device}: exit 1"
                Expect.stringStarts err $"snn: error: " "one sentence"
                err
            Expect.stringContains (refused "tpu") "unknown device 'tpu'" "names the device"
            if not (torch.cuda.is_available ()) then Expect.stringContains (refused "cuda") "no CUDA device is usable here" "says why"
        }
    ]
