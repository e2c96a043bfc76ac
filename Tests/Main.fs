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
    // Expecto runs test lists on several threads at once. libtorch's intra-op threads, entered concurrently from
    // several callers, made conv weight gradients differ between identical runs (measured: up to 60% of the largest
    // element); one intra-op thread per caller keeps every test reproducible and is faster on 2 cores.
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
