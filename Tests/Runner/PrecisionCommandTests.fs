// --precision from the command line: bench measures fp32 and bf16 side by side, grad and doctor run in either, bad names refused.
module SnnDsl.Tests.Runner.PrecisionCommandTests

open System.IO
open Argu
open Expecto
open SnnDsl.Runner.Cli.Arguments
open SnnDsl.Runner.Commands
open SnnDsl.Tests.Support
open SnnDsl.Tests.Data.DataFiles

let private network = Path.Combine(SnnDsl.Tests.Benchmarks.GradientTests.repoRoot, "examples", "networks", "fashion_cnn.snn")

/// A command run in this process with writers of its own (runCli's console redirection is shared by tests running in parallel).
let private capture (run: TextWriter -> TextWriter -> unit) =
    use out = new StringWriter()
    use err = new StringWriter()
    run out err
    out.ToString()

[<Tests>]
let tests =
    testList "Runner.Precision" [
        test "snn bench --precision fp32,bf16: both measured round-robin, a precision column and bf16's time relative to fp32" {
            use folder = new TempFolder()
            let argv = [| network; "--estimators"; "rate-m"; "--steps"; "2"; "--batch"; "4"; "--warmup"; "0"; "--iterations"; "1"
                          "--precision"; "fp32,bf16"; "--out"; folder.Path |]
            let options = BenchCommand.optionsOf (ArgumentParser.Create<BenchArgs>().ParseCommandLine argv)
            let out = capture (fun out err -> BenchCommand.execute options out err |> ignore)
            Expect.stringContains out "rate-m (st, bf16) T=2" "a bf16 line"
            Expect.stringContains out "time/fp32" "the ratio column"
            let lines = File.ReadAllLines(Path.Combine(folder.Path, "bench.csv"))
            let header = lines[0].Split ','
            let column name = System.Array.IndexOf(header, name)
            let rows = lines[1..] |> Array.map (fun l -> l.Split ',')
            Expect.equal (rows |> Array.map (fun r -> r[column "precision"]) |> Set.ofArray) (set [ "fp32"; "bf16" ]) "one row per precision"
            let bf16 = rows |> Array.find (fun r -> r[column "precision"] = "bf16")
            Expect.isGreaterThan (float bf16[column "time_vs_fp32"]) 0.0 "bf16 / fp32 time"
        }
        test "snn grad --precision bf16 and snn doctor --precision bf16 run and say so; an unknown precision is refused by each command" {
            use folder = new TempFolder()
            let argv = [| network; "--synthetic"; "--estimators"; "rate-m"; "--steps"; "2"; "--batch"; "4"; "--precision"; "bf16"; "--out"; folder.File "g.safetensors" |]
            let options = GradCommand.optionsOf (ArgumentParser.Create<GradArgs>().ParseCommandLine argv)
            let out = capture (fun out err -> GradCommand.execute options out err |> ignore)
            Expect.stringContains out "precision bf16" "grad says its precision"
            let args = ArgumentParser.Create<DoctorArgs>().ParseCommandLine [| "--precision"; "bf16" |]
            let mutable code = ExitCode.UserError
            let out = capture (fun out err -> code <- DoctorCommand.run args out err)
            Expect.equal code ExitCode.Success "doctor --precision bf16 passes"
            Expect.stringContains out "bf16 on the CPU" "the CPU's bf16 support"
            Expect.stringContains out "conv and linear in bf16 there" "the self-check's precision"
            Expect.stringContains out "checks passed" "and it holds"
            for argv in [ [| "bench"; network; "--precision"; "fp32,fp16" |]; [| "grad"; network; "--synthetic"; "--precision"; "fp16" |]
                          [| "doctor"; "--precision"; "fp16" |]; [| "train"; "--precision"; "fp16"; "--print-config" |] ] do
                let code, _, err = runCli argv
                Expect.equal code 1 $"{argv[0]}: exit 1"
                Expect.stringContains err "fp16" $"{argv[0]}: names the bad value"
                Expect.stringContains err "fp32" $"{argv[0]}: and the choices"
        }
    ]
