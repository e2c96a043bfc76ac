// Resident memory of long training runs: the soak test of the allocator settings in Core/Runtime/NativeMemory.cs.
module SnnDsl.Tests.Core.NativeMemoryTests

open System.IO
open Expecto
open TorchSharp
open SnnDsl.Dsl
open SnnDsl.Core.Benchmarks
open SnnDsl.Core.Estimators
open SnnDsl.Core.Metrics
open SnnDsl.Core.Model
open SnnDsl.Core.Runtime
open SnnDsl.Core.Training

let private defaultNetwork () =
    let rec up (dir: DirectoryInfo | null) =
        match dir with
        | null -> failwith "examples/networks not found above the test assembly"
        | d when File.Exists(Path.Combine(d.FullName, "examples", "networks", "fashion_cnn.snn")) -> Path.Combine(d.FullName, "examples", "networks", "fashion_cnn.snn")
        | d -> up d.Parent
    let path = up (DirectoryInfo System.AppContext.BaseDirectory)
    match Compiler.Compile(File.ReadAllText path, path).Network with
    | NonNull spec -> spec
    | _ -> failwith "fashion_cnn.snn does not compile"

/// Resident set (MB) after every 10th of `iterations` training iterations of the default network.
let private soak (kind: EstimatorKind) (iterations: int) (batch: int) =
    let spec = defaultNetwork ()
    use network = NetworkBuilder.Build(spec, 0L)
    use optimizer = ParameterGroups.Sgd(network, 0.05, 0.9, 5e-4)
    let estimator = GradientEstimator.Create(kind, EstimatorOptions 4)
    let struct (input, labels) = Benchmark.SyntheticBatch(spec, batch, 0L, torch.CPU)
    [ for i in 1 .. iterations do
        TrainingStep.Run(network, estimator, optimizer, SpikeInput.Static input, labels) |> ignore
        if i % 10 = 0 then yield i, float (ResidentMemory.Current()) / 1048576.0 ]

/// The largest growth of the resident set in the second half of the run over its high point in the first half.
let private expectPlateau (samples: (int * float) list) (iterations: int) (toleranceMb: float) what =
    let settled = samples |> List.filter (fun (i, _) -> i >= iterations / 4 && i <= iterations / 2) |> List.map snd |> List.max
    let late = samples |> List.filter (fun (i, _) -> i > iterations / 2) |> List.map snd |> List.max
    let trace = samples |> List.map (fun (i, mb) -> $"{i}: {mb:F0}") |> String.concat ", "
    Expect.isLessThan (late - settled) toleranceMb $"{what}: resident MB after every 10 iterations: {trace}"

/// The soaks run only with SNNDSL_SOAK=1 (minutes of training each; a plateau is a measurement with a threshold).
let private soaks = System.Environment.GetEnvironmentVariable "SNNDSL_SOAK" = "1"

/// A soak test, skipped unless SNNDSL_SOAK=1.
let private soakTest (name: string) (body: unit -> unit) =
    test name { if soaks then body () else skiptest "memory soak: set SNNDSL_SOAK=1 to run it" }

[<Tests>]
let tests =
    testSequenced <| testList "Core.Runtime.NativeMemory" [
        test "the heap settings are applied before libtorch allocates" {
            if System.OperatingSystem.IsLinux() && System.Environment.GetEnvironmentVariable "SNNDSL_SYSTEM_MALLOC" <> "1" then
                Expect.isTrue NativeMemory.Configured "mallopt accepted the settings"
        }
        soakTest "soak: 1,000 rate-M iterations of the default network (T = 4, batch 4) hold a plateau of resident memory" (fun () ->
            expectPlateau (soak EstimatorKind.RateM 1000 4) 1000 48.0 "rate-M")
        soakTest "soak at a larger batch: 120 rate-M iterations at batch 64 hold a plateau of resident memory" (fun () ->
            expectPlateau (soak EstimatorKind.RateM 120 64) 120 64.0 "rate-M, batch 64")
        soakTest "soak: 200 BPTT-M iterations (its graph allocates many more blocks) hold a plateau too" (fun () ->
            expectPlateau (soak EstimatorKind.BpttM 200 4) 200 48.0 "BPTT-M")
    ]
