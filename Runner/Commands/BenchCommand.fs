// `snn bench NETWORK.snn`: training iterations per estimator and T on synthetic data; table, CSV and plot in a run directory.
module SnnDsl.Runner.Commands.BenchCommand

open System
open System.IO
open Argu
open TorchSharp
open SnnDsl.Core.Benchmarks
open SnnDsl.Runner.Cli.Arguments
open SnnDsl.Runner.Commands.RunSupport

/// Parsed options of one bench run.
type BenchOptions =
    { File: string; Overrides: string list; Estimators: SnnDsl.Core.Estimators.EstimatorKind list; Steps: int list
      Settings: BenchSettings; Threads: int option; OutDir: string option; Weights: string option; Mapping: SnnDsl.Core.Model.WeightMapping }

let optionsOf (args: ParseResults<BenchArgs>) =
    let device = args.TryGetResult BenchArgs.Device |> Option.map parseDevice |> Option.defaultValue torch.CPU
    { File = args.GetResult BenchArgs.File
      Overrides = args.GetResults BenchArgs.Set
      Estimators = args.TryGetResult BenchArgs.Estimators |> Option.defaultValue "bptt-m,bptt-s,rate-m,rate-s" |> parseEstimators
      Steps = args.TryGetResult BenchArgs.Steps |> Option.defaultValue "1,2,4,8" |> parseSteps
      Settings =
        BenchSettings(
            BatchSize = (args.GetResult(BenchArgs.Batch, 16) |> requirePositive "--batch"),
            Warmup = max 0 (args.GetResult(BenchArgs.Warmup, 1)),
            Iterations = (args.GetResult(BenchArgs.Iterations, 5) |> requirePositive "--iterations"),
            Seed = int64 (args.GetResult(BenchArgs.Seed, 0)),
            GradientForm = parseGradientForm (args.TryGetResult BenchArgs.Spike_Grad),
            Device = device)
      Threads = args.TryGetResult BenchArgs.Threads |> Option.map (requirePositive "--threads")
      OutDir = args.TryGetResult BenchArgs.Out
      Weights = args.TryGetResult BenchArgs.Weights
      Mapping = parseMapping (args.TryGetResult BenchArgs.Weights_Map) }

let private loadAverage () =
    try File.ReadAllText("/proc/loadavg").Split(' ') |> Array.take 3 |> String.concat " " with _ -> "unknown"

/// Runs every configuration, printing a line as each finishes, then the table; writes bench.csv and bench.png.
let execute (options: BenchOptions) (out: TextWriter) (err: TextWriter) =
    let spec = loadSpec options.File options.Overrides err
    options.Threads |> Option.iter torch.set_num_threads
    let stamp = DateTime.Now.ToString "yyyyMMdd-HHmmss"
    let dir = options.OutDir |> Option.defaultWith (fun () -> Path.Combine("runs", $"bench-{spec.Name}-{stamp}"))
    Directory.CreateDirectory dir |> ignore
    let s = options.Settings
    out.WriteLine $"bench {spec.Name}: batch {s.BatchSize}, warm-up {s.Warmup}, {s.Iterations} timed iterations, device {s.Device}, {torch.get_num_threads()} threads, load average {loadAverage ()}, spike gradient {s.GradientForm}"
    let prepare (network: SnnDsl.Core.Model.SpikingNetwork) = loadWeights network options.Weights options.Mapping
    let measurements =
        // T outer, estimators inner: the runs a ratio compares are close in time on a machine whose load drifts
        [ for steps in options.Steps do
            for kind in options.Estimators do
                let m = Benchmark.Run(spec, kind, steps, s, Action<_> prepare)
                out.WriteLine $"  {EstimatorNames.Of kind} T={steps}: {m.MedianMs:F1} ms median, held for backward {float m.HeldForBackwardBytes / 1048576.0:F1} MB"
                yield m ]
    out.WriteLine ""
    out.WriteLine(BenchReport.table measurements)
    File.WriteAllText(Path.Combine(dir, "bench.csv"), BenchReport.csv measurements)
    BenchReport.plot (Path.Combine(dir, "bench.png")) spec.Name measurements
    out.WriteLine ""
    let csvPath, pngPath = Path.Combine(dir, "bench.csv"), Path.Combine(dir, "bench.png")
    out.WriteLine $"load average after: {loadAverage ()}; wrote {csvPath} and {pngPath}"
    measurements

let run (args: ParseResults<BenchArgs>) (out: TextWriter) (err: TextWriter) =
    guard err (fun () ->
        execute (optionsOf args) out err |> ignore
        ExitCode.Success)
