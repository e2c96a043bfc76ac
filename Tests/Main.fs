// Test entry point: loads libtorch once, runs every [<Tests>] value, and ends with a plain "N passed, N failed" line.
module SnnDsl.Tests.Main

open Expecto
open Expecto.Impl
open SnnDsl.Core.Runtime

[<EntryPoint>]
let main argv =
    try NativeRuntime.EnsureLoaded()
    with :? NativeRuntimeException as e ->
        eprintfn "tests: %s" e.Message
        exit 2
    // Expecto runs tests on several threads at once; one libtorch intra-op thread per test keeps 2 cores from being
    // oversubscribed. (Results do not depend on it: an earlier flakiness blamed on threads was libtorch's conv
    // input-gradient bug, fixed in Core/Layers/LinearLayers.cs and tested in Tests/Core/ConvLayerTests.fs.)
    TorchSharp.torch.set_num_threads 1
    // no forced collection between steps of tests running on parallel threads (NativeMemory.CollectsAfterSteps); the
    // memory soaks (SNNDSL_SOAK=1) measure the training process's behaviour and keep it
    if System.Environment.GetEnvironmentVariable "SNNDSL_SOAK" <> "1" then NativeMemory.CollectsAfterSteps <- false
    // the counts are kept when Expecto prints its summary, and the plain line is written after Expecto has finished
    let counts = ref None
    let keepCounts (printer: TestPrinters) =
        { printer with
            summary = fun config summary ->
                async {
                    do! printer.summary config summary
                    counts.Value <- Some(summary.passed.Length, summary.failed.Length + summary.errored.Length)
                } }
    let colours = if System.Console.IsOutputRedirected then [ CLIArguments.Colours 0 ] else []
    let code = runTestsInAssemblyWithCLIArgs (CLIArguments.Printer(keepCounts defaultConfig.printer) :: colours) argv
    counts.Value |> Option.iter (fun (passed, failed) -> SnnDsl.Tests.Support.writeSummary System.Console.Out passed failed)
    code
