// The F# sweep scripts of examples/sweeps compile against the built assemblies and answer --help (exit 0, usage text).
module SnnDsl.Tests.Runner.SweepScriptTests

open System.Diagnostics
open System.IO
open Expecto
open SnnDsl.Tests.Dsl.DslTestSupport

/// Runs `dotnet fsi SCRIPT -- ARGS` from the repository root; exit code and both streams.
let private fsi (script: string) (args: string list) =
    let info = ProcessStartInfo("dotnet", RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false, WorkingDirectory = repoRoot)
    for a in [ "fsi"; script; "--" ] @ args do info.ArgumentList.Add a
    use proc = nonNull (Process.Start info)
    let out, err = proc.StandardOutput.ReadToEndAsync(), proc.StandardError.ReadToEndAsync()
    if not (proc.WaitForExit 300_000) then
        proc.Kill(entireProcessTree = true)
        failtestf "dotnet fsi %s did not finish within 300 s" script
    proc.ExitCode, out.Result, err.Result

[<Tests>]
let tests =
    testList "Runner.SweepScripts" [
        for name in [ "estimator_comparison"; "estimators_by_steps" ] ->
            test $"{name}.fsx compiles and prints its usage for --help (exit 0); an unknown flag is exit 1 with the usage" {
                let script = Path.Combine("examples", "sweeps", name + ".fsx")
                let code, out, err = fsi script [ "--help" ]
                Expect.equal code 0 $"--help exits 0; stderr: {err}"
                Expect.stringContains out $"USAGE: {name}.fsx" "the usage"
                let code, out, err = fsi script [ "--no-such-flag" ]
                Expect.equal code 1 $"an unknown flag exits 1; stdout: {out}"
                Expect.stringContains (out + err) "--no-such-flag" "names the flag"
                Expect.isFalse ((out + err).Contains "   at ") "no stack trace"
            }
    ]
