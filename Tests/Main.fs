// Test entry point: loads libtorch once, runs every [<Tests>] value, and ends with a plain "N passed, N failed" line.
module SnnDsl.Tests.Main

open Expecto
open Expecto.Impl
open SnnDsl.Core.Runtime

[<EntryPoint>]
let main argv =
    NativeRuntime.EnsureLoaded()
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
