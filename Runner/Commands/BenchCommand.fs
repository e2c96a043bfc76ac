// `snn bench NETWORK.snn`: training iterations per estimator and T on synthetic data; table, CSV and plot in a run directory.
module SnnDsl.Runner.Commands.BenchCommand

open System
open System.IO
open Argu
open TorchSharp
open SnnDsl.Core.Benchmarks
open SnnDsl.Core.Settings
open SnnDsl.Runner.Cli.Arguments
open SnnDsl.Runner.Commands.RunSupport

/// Parsed options of one bench run; Settings holds the flags it shares with train (network, --set, seed, device,
/// threads, weights, weights map, batch), resolved and checked as train's are.
type BenchOptions =
    { Network: SnnDsl.Core.Settings.TrainingConfig; Variants: BenchVariant list; Steps: int list
      Bench: BenchSettings; OutDir: string option; Mapping: SnnDsl.Core.Model.WeightMap }

let optionsOf (args: ParseResults<BenchArgs>) =
    let settings = SnnDsl.Runner.Cli.Settings.resolve SnnDsl.Runner.Cli.Help.benchDefaults [ "time-steps"; "precision" ] (args.GetAllResults()) (args.GetResults BenchArgs.Set)
    let defaults = BenchSettings()
    { Network = settings
      Variants =
        [ for kind in args.TryGetResult BenchArgs.Estimators |> Option.map parseEstimators |> Option.defaultValue defaultEstimators do
            for form in args.TryGetResult BenchArgs.Spike_Grad |> parseGradientForms do
                for precision in args.TryGetResult BenchArgs.Precision |> Option.map parsePrecisions |> Option.defaultValue [ settings.Runtime.Precision ] do
                    BenchVariant(kind, form, precision) ]
      Steps = args.TryGetResult BenchArgs.Time_Steps |> Option.map parseSteps |> Option.defaultValue SnnDsl.Runner.Cli.Help.benchTimeSteps
      Bench =
        BenchSettings(
            BatchSize = settings.Data.BatchSize,
            Warmup = max 0 (args.GetResult(BenchArgs.Warmup, defaults.Warmup)),
            Iterations = (args.GetResult(BenchArgs.Iterations, defaults.Iterations) |> requirePositive "--iterations"),
            Seed = settings.Runtime.Seed,
            Device = deviceOf settings)
      OutDir = args.TryGetResult BenchArgs.Out
      Mapping = weightMapOf settings }

let private loadAverage () =
    try File.ReadAllText("/proc/loadavg").Split(' ') |> Array.take 3 |> String.concat " " with _ -> "unknown"

/// Runs every configuration, printing a line as each finishes, then the table; writes bench.csv and bench.png.
let execute (options: BenchOptions) (out: TextWriter) (err: TextWriter) =
    let spec, _ = SnnDsl.Runner.Commands.CommandSupport.loadConfigured err options.Network
    applyThreads options.Network
    let stamp = DateTime.Now.ToString "yyyyMMdd-HHmmss"
    let dir = options.OutDir |> Option.defaultWith (fun () -> Path.Combine("runs", $"bench-{spec.Name}-{stamp}"))
    Directory.CreateDirectory dir |> ignore
    let s = options.Bench
    let forms = options.Variants |> List.map (fun v -> string v.GradientForm) |> List.distinct |> String.concat ", "
    let precisions = options.Variants |> List.map (fun v -> v.Precision) |> List.distinct
    out.WriteLine $"""bench {spec.Name}: batch {s.BatchSize}, warm-up {s.Warmup}, {s.Iterations} timed iterations (round-robin over estimators and precisions), device {s.Device}, {torch.get_num_threads()} threads, load average {loadAverage ()}, spike gradient {forms}, precision {precisions |> List.map BenchReport.precisionName |> String.concat ", "}"""
    for p in precisions do SnnDsl.Runner.Commands.CommandSupport.notePrecision out p (nonNull s.Device)
    let prepare (network: SnnDsl.Core.Model.SpikingNetwork) = loadWeights network (Option.ofObj options.Network.Runtime.Weights) options.Mapping
    let measurements =
        // per T, the estimators' timed iterations run round-robin: a ratio compares runs made under the same load
        [ for steps in options.Steps do
            for m in Benchmark.RunInterleaved(spec, options.Variants, steps, s, Action<_> prepare) do
                out.WriteLine $"  {EstimatorNames.Of m.Estimator} ({BenchReport.formName m.GradientForm}, {BenchReport.precisionName m.Precision}) T={steps}: {m.MedianMs:F1} ms median, held for backward {float m.HeldForBackwardBytes / 1048576.0:F1} MB"
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
    execute (optionsOf args) out err |> ignore
    ExitCode.Success
