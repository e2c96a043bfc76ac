// Gradient-alignment sweep (the paper's study): cosine of rate-M/rate-S gradients with BPTT-M against depth, over T and checkpoints.
// Build first (./setup.sh, or dotnet build Runner -c Release), then:
//   dotnet fsi examples/sweeps/gradient_alignment.fsx examples/networks/vgg11.snn [weights.safetensors ...] [--steps 1,2,4,8] [--batch 16] [--out alignment.png]
// Without weights files it uses the seeded initialisation; the batch is a seeded synthetic one of the network's input shape.
#r "../../Runner/bin/Release/net10.0/linux-x64/TorchSharp.dll"
#r "../../Runner/bin/Release/net10.0/linux-x64/TorchSharp.PyBridge.dll"
#r "../../Runner/bin/Release/net10.0/linux-x64/SnnDsl.Dsl.dll"
#r "../../Runner/bin/Release/net10.0/linux-x64/SnnDsl.Core.dll"
#r "../../Runner/bin/Release/net10.0/linux-x64/ScottPlot.dll"
#r "../../Runner/bin/Release/net10.0/linux-x64/SkiaSharp.dll"

open System
open System.IO
open TorchSharp
open SnnDsl.Dsl
open SnnDsl.Core.Model
open SnnDsl.Core.Estimators
open SnnDsl.Core.Benchmarks

SnnDsl.Core.Runtime.NativeRuntime.EnsureLoaded()

let args = fsi.CommandLineArgs |> Array.skip 1 |> Array.toList
let rec option name (fallback: string) = function
    | flag :: value :: _ when flag = name -> value
    | _ :: rest -> option name fallback rest
    | [] -> fallback
let positional =
    let rec go acc = function
        | (flag: string) :: _ :: rest when flag.StartsWith "--" -> go acc rest
        | x :: rest -> go (x :: acc) rest
        | [] -> List.rev acc
    go [] args
let networkFile, checkpoints =
    match positional with
    | file :: weights -> file, (if weights.IsEmpty then [ None ] else weights |> List.map Some)
    | [] -> failwith "usage: gradient_alignment.fsx NETWORK.snn [weights ...] [--steps 1,2,4,8] [--batch 16] [--out alignment.png]"
let steps = (option "--steps" "1,2,4,8" args).Split(',') |> Array.map int |> Array.toList
let batch = int (option "--batch" "16" args)
let out = option "--out" "alignment.png" args

let spec =
    match Compiler.Compile(File.ReadAllText networkFile, networkFile).Network with
    | NonNull spec -> spec
    | _ -> failwith $"{networkFile} does not compile (run snn check)"

/// Mean cosine per depth (layer index) of one estimator against BPTT-M.
let curve (reference: GradientRun) (other: GradientRun) =
    GradientComparison.Compare(reference, other)
    |> Seq.filter (fun r -> not (Double.IsNaN r.Cosine))
    |> Seq.groupBy (fun r -> r.Depth)
    |> Seq.map (fun (depth, rows) -> float depth, rows |> Seq.averageBy (fun r -> r.Cosine))
    |> Seq.sortBy fst
    |> Seq.toArray

let plot = new ScottPlot.Plot()
for checkpoint in checkpoints do
    for t in steps do
        use scope = torch.NewDisposeScope()
        let network = NetworkBuilder.Build(spec, 0L)
        checkpoint |> Option.iter (fun path -> WeightIO.Load(network, path, WeightMapping.ByName))
        let struct (input, labels) = Benchmark.SyntheticBatch(spec, batch, 0L, torch.CPU)
        let runs = GradientComparison.Compute(network, [ EstimatorKind.BpttM; EstimatorKind.RateM; EstimatorKind.RateS ], EstimatorOptions t, SpikeInput.Static input, labels)
        for other in Seq.tail runs do
            let points = curve runs[0] other
            let name = $"""{EstimatorNames.Of other.Estimator} T={t}{checkpoint |> Option.map (fun c -> " " + Path.GetFileNameWithoutExtension c) |> Option.defaultValue ""}"""
            let line = plot.Add.Scatter(Array.map fst points, Array.map snd points)
            line.LegendText <- name
            printfn "%s: %s" name (points |> Array.map (fun (d, c) -> $"{int d}:{c:F3}") |> String.concat " ")
plot.Title($"{spec.Name}: gradient cosine with BPTT-M by depth")
plot.XLabel("depth (layer with parameters, input to output)")
plot.YLabel("cosine")
plot.ShowLegend() |> ignore
plot.SavePng(out, 900, 560) |> ignore
printfn "wrote %s" out
