// Sweep: estimator × T (× a network parameter) on Fashion-MNIST; one `snn train` per point, then a table and a plot.
//
//   ./setup.sh                      # once: data package and Release build
//   dotnet fsi examples/sweeps/estimators_by_steps.fsx [-- --epochs 1 --limit 100 --estimators rate-m,bptt-m --steps 1,2,4 --set-values classes=10]
//
// Each point is a separate process (`./snn train ...` with its own run directory), so peak memory is per point.
// Results: runs/sweep-<time>/results.csv, results.md and results.png (accuracy, seconds per epoch, peak memory against T).
#r "../../Runner/bin/Release/net10.0/linux-x64/Argu.dll"
#r "../../Runner/bin/Release/net10.0/linux-x64/ScottPlot.dll"
#r "../../Runner/bin/Release/net10.0/linux-x64/snn.dll"

open System
open System.Diagnostics
open System.IO
open System.Text.Json
open Argu

type SweepArgs =
    | Estimators of names: string
    | Steps of counts: string
    | Epochs of count: int
    | Limit of batches: int
    | Network of path: string
    | Set_Values of assignments: string
    interface IArgParserTemplate with
        member this.Usage =
            match this with
            | Estimators _ -> "comma-separated estimators (default rate-m,bptt-m)."
            | Steps _ -> "comma-separated T values (default 1,2,4)."
            | Epochs _ -> "epochs per point (default 1)."
            | Limit _ -> "training batches per epoch (default 100; 0 = the whole epoch)."
            | Network _ -> "network file (default examples/networks/fashion_cnn.snn)."
            | Set_Values _ -> "a network parameter to sweep as name=v1,v2 (default: none)."

let root = Path.GetFullPath(Path.Combine(__SOURCE_DIRECTORY__, "..", ".."))
/// The parsed flags; --help prints the usage and exits 0, a bad flag prints what is wrong and the usage and exits 1.
let args =
    try ArgumentParser.Create<SweepArgs>(programName = "estimators_by_steps.fsx").ParseCommandLine(fsi.CommandLineArgs |> Array.skip 1)
    with :? ArguParseException as e ->
        if e.ErrorCode = ErrorCode.HelpText then (printfn "%s" e.Message; exit 0) else (eprintfn "%s" e.Message; exit 1)
let split (s: string) = s.Split(',', StringSplitOptions.RemoveEmptyEntries) |> List.ofArray
let estimators = args.GetResult(Estimators, "rate-m,bptt-m") |> split
let steps = args.GetResult(Steps, "1,2,4") |> split |> List.map int
let epochs = args.GetResult(Epochs, 1)
let limit = args.GetResult(Limit, 100)
let network = args.GetResult(Network, Path.Combine(root, "examples", "networks", "fashion_cnn.snn"))
let parameterValues =
    match args.TryGetResult Set_Values with
    | None -> [ None ]
    | Some text ->
        let name, values = let i = text.IndexOf '=' in text.Substring(0, i), split (text.Substring(i + 1))
        [ for v in values -> Some $"{name}={v}" ]
let sweepDir = Path.Combine(root, "runs", "sweep-" + DateTime.Now.ToString("yyyyMMdd-HHmmss"))
Directory.CreateDirectory sweepDir |> ignore

/// Runs one training point as its own process; returns its summary.json.
let train (estimator: string) (t: int) (parameter: string option) =
    let name = $"{estimator}-T{t}" + (parameter |> Option.map (fun p -> "-" + p.Replace('=', '_')) |> Option.defaultValue "")
    let runDir = Path.Combine(sweepDir, name)
    let argv =
        [ "train"; network; "--estimator"; estimator; "-T"; string t; "--epochs"; string epochs
          "--limit-train-batches"; string limit; "--run-dir"; runDir; "--no-plot"
          yield! parameter |> Option.map (fun p -> [ "--set"; p ]) |> Option.defaultValue [] ]
    let start = ProcessStartInfo(Path.Combine(root, "snn"), argv, RedirectStandardOutput = false)
    use proc = Process.Start start
    proc.WaitForExit()
    if proc.ExitCode <> 0 then failwithf "point %s failed with exit code %d" name proc.ExitCode
    use summary = JsonDocument.Parse(File.ReadAllText(Path.Combine(runDir, "summary.json")))
    let number (key: string) = summary.RootElement.GetProperty(key).GetDouble()
    {| Estimator = estimator; T = t; Parameter = defaultArg parameter ""
       Top1 = number "final_test_top1"; SecondsPerEpoch = number "mean_train_seconds"
       PeakMiB = number "peak_resident_bytes" / 1048576.0 |}

let results = [ for p in parameterValues do for e in estimators do for t in steps -> train e t p ]

let csv =
    "estimator,T,parameter,test_top1,train_seconds_per_epoch,peak_mib" ::
    [ for r in results -> $"{r.Estimator},{r.T},{r.Parameter},{r.Top1:F2},{r.SecondsPerEpoch:F1},{r.PeakMiB:F0}" ]
File.WriteAllLines(Path.Combine(sweepDir, "results.csv"), csv)
let markdown =
    "| estimator | T | parameter | test top-1 (%) | train s / epoch | peak RSS (MiB) |" :: "|---|---:|---|---:|---:|---:|" ::
    [ for r in results -> $"| {r.Estimator} | {r.T} | {r.Parameter} | {r.Top1:F2} | {r.SecondsPerEpoch:F1} | {r.PeakMiB:F0} |" ]
File.WriteAllLines(Path.Combine(sweepDir, "results.md"), markdown)

let plot (file: string) (title: string) (value: {| Estimator: string; T: int; Parameter: string; Top1: float; SecondsPerEpoch: float; PeakMiB: float |} -> float) =
    use p = new ScottPlot.Plot()
    for (e, parameter), points in results |> List.groupBy (fun r -> r.Estimator, r.Parameter) do
        let line = p.Add.Scatter(points |> List.map (fun r -> float r.T) |> Array.ofList, points |> List.map value |> Array.ofList)
        line.LegendText <- (if parameter = "" then e else $"{e} {parameter}")
    p.Title title
    p.XLabel "T (time steps)"
    p.ShowLegend() |> ignore
    p.SavePng(Path.Combine(sweepDir, file), 700, 450) |> ignore
plot "accuracy.png" "test top-1 (%)" (fun r -> r.Top1)
plot "seconds_per_epoch.png" "training seconds per epoch" (fun r -> r.SecondsPerEpoch)
plot "peak_memory.png" "peak resident memory (MiB)" (fun r -> r.PeakMiB)
markdown |> List.iter (printfn "%s")
printfn "results in %s" sweepDir
