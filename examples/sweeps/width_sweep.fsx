// Sweep over a network authored in F#: the width of a small spiking CNN, trained in-process on Fashion-MNIST.
//
//   ./setup.sh                      # once: data package and Release build
//   dotnet fsi examples/sweeps/width_sweep.fsx [-- 8 16 32]
//
// The network is written with the F# builder (the same syntax tree as a .snn file, the same checker), saved as
// canonical .snn text into each run directory, and trained through the runner's API with a short schedule.
#r "../../Runner/bin/Release/net10.0/linux-x64/TorchSharp.dll"
#r "../../Runner/bin/Release/net10.0/linux-x64/SnnDsl.Dsl.dll"
#r "../../Runner/bin/Release/net10.0/linux-x64/SnnDsl.Core.dll"
#r "../../Runner/bin/Release/net10.0/linux-x64/Argu.dll"
#r "../../Runner/bin/Release/net10.0/linux-x64/SnnDsl.Authoring.dll"
#r "../../Runner/bin/Release/net10.0/linux-x64/snn.dll"

open System
open System.IO
open SnnDsl.Core.Settings
open SnnDsl.Authoring.Snn
open SnnDsl.Runner.Commands

SnnDsl.Core.Runtime.NativeRuntime.EnsureLoaded()

let widths = match fsi.CommandLineArgs |> Array.skip 1 |> Array.filter ((<>) "--") with
             | [||] -> [ 8; 16; 32 ]
             | given -> given |> Array.map int |> List.ofArray

/// conv(w) - bn - lif - avgpool, twice, then a linear read-out; `width` is a network parameter.
let cnn =
    network "width_cnn" [ required "width"; optional "classes" 10 ] [
        input [ 1; 28; 28 ]
        neuron "lif" [ tau 1.25; surrogate "sigmoid" 4 ]
        conv (param "width") 3 [ bias false ]; bn; lif; avgpool 2 []
        conv (param "width") 3 [ bias false ]; bn; lif; avgpool 2 []
        flatten
        linear (param "classes") [] ]

let root = Path.GetFullPath(Path.Combine(__SOURCE_DIRECTORY__, "..", ".."))
let sweepDir = Path.Combine(root, "runs", "width-sweep-" + DateTime.Now.ToString("yyyyMMdd-HHmmss"))
Directory.CreateDirectory sweepDir |> ignore
let networkFile = Path.Combine(sweepDir, "width_cnn.snn")
save networkFile cnn

let results =
    [ for width in widths ->
        let config = TrainingConfig(Network = networkFile, Schedule = Settings.ScheduleSettings(Epochs = 1, LimitTrainBatches = 100), Estimator = Settings.EstimatorSettings(TimeSteps = 4))
        let config = config.With([ struct ("network-parameters.width", System.Text.Json.Nodes.JsonValue.Create(string width)) ], "sweep")
        let _, summary = TrainCommand.trainInto config (Path.Combine(sweepDir, $"width{width}")) false (SnnDsl.Runner.Console.Progress.forConsole ())
        width, summary.Epochs[summary.Epochs.Count - 1] ]

printfn "| width | test top-1 (%%) | train s / epoch | samples/s |"
printfn "|---:|---:|---:|---:|"
for width, m in results do
    printfn "| %d | %.2f | %.1f | %.0f |" width m.TestTop1 m.TrainSeconds m.SamplesPerSecond
printfn "runs in %s" sweepDir
