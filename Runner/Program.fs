// Entry point of the `snn` command line: parses arguments and dispatches to a command.
module SnnDsl.Runner.Program

open SnnDsl.Core.Runtime

[<EntryPoint>]
let main argv =
    NativeRuntime.EnsureLoaded()
    printfn "snn: %d arguments" argv.Length
    0
