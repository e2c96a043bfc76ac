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
    let plainSummary (printer: TestPrinters) =
        { printer with
            summary = fun config summary ->
                async {
                    do! printer.summary config summary
                    let failed = summary.failed.Length + summary.errored.Length
                    printfn "%d passed, %d failed" summary.passed.Length failed
                } }
    let config = { defaultConfig with printer = plainSummary defaultConfig.printer }
    runTestsInAssemblyWithCLIArgs [ CLIArguments.Printer config.printer ] argv
