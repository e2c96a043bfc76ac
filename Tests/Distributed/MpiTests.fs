// `mpirun -np 2 snn train` on generated data: same weights as one process, SyncBN, every estimator, failures end the job.
module SnnDsl.Tests.Distributed.MpiTests

open System
open System.Diagnostics
open System.IO
open Argu
open Expecto
open TorchSharp
open TorchSharp.PyBridge
open SnnDsl.Core.Distributed
open SnnDsl.Core.Runs
open SnnDsl.Core.Training
open SnnDsl.Runner.Cli.Arguments
open SnnDsl.Runner.Commands
open SnnDsl.Tests.Support
open SnnDsl.Tests.Data.DataFiles

let private network (withBn: bool) =
    let bn = if withBn then " bn;" else ""
    $"snn 1\nnetwork tiny(classes = 10) {{\n  input [1, 6, 5]\n  neuron lif(tau = 2.0)\n  conv(4, 3);{bn} lif\n  flatten\n  linear(classes)\n}}\n"

/// Largest |difference| allowed between the weights of 2 ranks × batch b and 1 process × batch 2b: the two only differ
/// in the order of float32 sums (mean of two half-batch means vs one mean; all-reduce order).
let tolerance = 1e-5f

let private mpirun =
    (Environment.GetEnvironmentVariable "PATH" |> string).Split ':'
    |> Array.map (fun dir -> Path.Combine(dir, "mpirun"))
    |> Array.tryFind File.Exists

let private snn = Path.Combine(AppContext.BaseDirectory, "snn")

/// Runs mpirun with `apps` (one per rank, joined with ':'); kills the whole tree after `seconds`, so a hang fails the test.
let private runMpi (seconds: int) (apps: string list list) =
    let info = ProcessStartInfo(Option.get mpirun, RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false)
    for arg in [ "--allow-run-as-root"; "--oversubscribe" ] do info.ArgumentList.Add arg
    apps |> List.iteri (fun i app ->
        if i > 0 then info.ArgumentList.Add ":"
        for arg in "-np" :: "1" :: snn :: app do info.ArgumentList.Add arg)
    use proc = nonNull (Process.Start info)
    let out, err = proc.StandardOutput.ReadToEndAsync(), proc.StandardError.ReadToEndAsync()
    if not (proc.WaitForExit(seconds * 1000)) then
        proc.Kill(entireProcessTree = true)
        failtestf "mpirun did not finish within %d s (a hang):\n%s\n%s" seconds out.Result err.Result
    proc.ExitCode, out.Result + err.Result

/// The same command on 2 ranks.
let private twoRanks (argv: string list) = runMpi 300 [ argv; argv ]

type private Setup = { Data: TempFolder; Argv: string -> int -> string list -> string list }

let private setup (withBn: bool) =
    let data = new TempFolder()
    writeMnist data.Path false 64 16 |> ignore
    File.WriteAllText(data.File "tiny.snn", network withBn)
    let argv estimator batch extra =
        [ "train"; data.File "tiny.snn"; "--dataset"; "mnist"; "--data"; data.Path; "--estimator"; estimator; "-T"; "2"
          "--epochs"; "2"; "--batch-size"; string batch; "--lr"; "0.05"; "--crop"; "1"; "--flip"; "--seed"; "5"
          "--threads"; "1"; "--no-plot" ] @ extra
    { Data = data; Argv = argv }

/// One process, in this test process, with the same settings.
let private alone (argv: string list) (runDir: string) =
    let config = TrainCommand.resolve (ArgumentParser.Create<TrainArgs>().ParseCommandLine(Array.ofList argv |> Array.skip 1))
    TrainCommand.trainInto config runDir false SnnDsl.Runner.Console.Progress.silent |> ignore

let private weights (runDir: string) = Safetensors.LoadStateDict(Path.Combine(runDir, "checkpoints", "last", Checkpoint.ModelFile))

let private largestDifference (a: Collections.Generic.IDictionary<string, torch.Tensor>) (b: Collections.Generic.IDictionary<string, torch.Tensor>) =
    Expect.equal (Set.ofSeq a.Keys) (Set.ofSeq b.Keys) "same tensors"
    a.Keys |> Seq.map (fun k -> (a[k].to_type(torch.float32) - b[k].to_type(torch.float32)).abs().max().item<float32>()) |> Seq.max

/// 2 ranks × batch 8 against 1 process × batch 16: rank r serves positions r, r+2, ... of the epoch's permutation, so
/// step k of the job sees exactly the 16 samples of step k of the one process; averaging the two half-batch
/// gradients gives the one-process gradient (BN aside, or with SyncBN).
let private expectSameAsOneProcess (withBn: bool) (estimator: string) (extra: string list) =
    let setup' = setup withBn
    use data = setup'.Data
    let code, output = twoRanks (setup'.Argv estimator 8 ([ "--run-dir"; data.File "job" ] @ extra))
    Expect.equal code 0 $"mpirun exit code; output:\n{output}"
    Expect.stringContains output "best test top-1" "rank 0 reports"
    withSeed 0L (fun () -> alone (setup'.Argv estimator 16 extra) (data.File "alone"))
    let difference = largestDifference (weights (data.File "job")) (weights (data.File "alone"))
    printfn "mpirun -np 2, %s %s: largest difference to one process %g (tolerance %g)" estimator (String.concat " " extra) difference tolerance
    Expect.isLessThan difference tolerance $"largest weight difference {difference}"

let private mpiTests =
    testSequenced <| testList "mpirun -np 2" [
        test "no BN, bptt-m: 2 ranks × batch 8 give the weights of 1 process × batch 16" {
            expectSameAsOneProcess false "bptt-m" []
        }
        for estimator in [ "bptt-m"; "bptt-s"; "rate-m"; "rate-s" ] do
            test $"SyncBN, {estimator}: 2 ranks × batch 8 give the weights (and BN buffers) of 1 process × batch 16" {
                expectSameAsOneProcess true estimator [ "--sync-bn" ]
            }
        test "per-rank BN (default): rank 0's running statistics are those of its own half of each batch" {
            let s = setup true
            use data = s.Data
            // lr 1e-30: weights do not move (far below a float32 ulp), so the running statistics depend on the data alone;
            // no PreciseBN before the evaluation: these are training's statistics
            let argv = s.Argv "rate-m" 8 [ "--lr"; "1e-30"; "--epochs"; "1"; "--limit-train-batches"; "1"; "--precise-bn-batches"; "0" ]
            let code, output = twoRanks (argv @ [ "--run-dir"; data.File "job" ])
            Expect.equal code 0 $"mpirun exit code; output:\n{output}"
            let rank0Alone =
                { new ICollective with
                    member _.Rank = 0
                    member _.WorldSize = 2
                    member _.Broadcast _ = ()
                    member _.AverageGradients _ = ()
                    member _.Sum values = values }
            do
                let config = TrainCommand.resolve (ArgumentParser.Create<TrainArgs>().ParseCommandLine(Array.ofList argv |> Array.skip 1))
                let spec, _ = CommandSupport.loadNetwork TextWriter.Null config.Network []
                let trainer = Trainer(spec, config, torch.CPU, rank0Alone, SnnDsl.Runner.Console.Progress.silent)
                trainer.Run(null, false) |> ignore
                let job = weights (data.File "job")
                let own = trainer.Network.state_dict()
                for name in [ "running_mean"; "running_var" ] do
                    let key = job.Keys |> Seq.find (fun k -> k.EndsWith name)
                    let difference = (job[key] - own[key]).abs().max().item<float32>()
                    Expect.isLessThan difference 1e-6f $"{key}: rank 0 of the job = rank 0's shard alone"
            withSeed 0L (fun () -> alone (s.Argv "rate-m" 16 [ "--lr"; "1e-30"; "--epochs"; "1"; "--limit-train-batches"; "1"; "--precise-bn-batches"; "0" ]) (data.File "alone"))
            Expect.isGreaterThan (largestDifference (weights (data.File "job")) (weights (data.File "alone"))) 1e-4f
                "the global batch's statistics differ from rank 0's half"
        }
        test "ranks given different settings stop at start-up with a message naming the rank" {
            let s = setup false
            use data = s.Data
            let argv seed = s.Argv "rate-m" 8 [ "--seed"; seed; "--run-dir"; data.File "job" ]
            let code, output = runMpi 120 [ argv "5"; argv "6" ]
            Expect.notEqual code 0 "exit code"
            Expect.stringContains output "rank(s) 1 have a different setting 'seed' than rank 0" "names the rank and the setting"
            Expect.isFalse (Directory.Exists(data.File "job")) "nothing written"
        }
        test "a rank that fails ends the job with a message naming it, never a hang" {
            let s = setup false
            use data = s.Data
            Directory.CreateDirectory(data.File "taken") |> ignore
            File.WriteAllText(data.File "taken/anything", "")
            let code, output = twoRanks (s.Argv "rate-m" 8 [ "--run-dir"; data.File "taken" ])
            Expect.equal code ExitCode.UserError $"exit code; output:\n{output}"
            Expect.stringContains output "snn: error: rank 0 of 2:" "names the rank"
        }
        test "a run of 1 process resumes on 2 ranks from rank 0's checkpoint" {
            let s = setup true
            use data = s.Data
            withSeed 0L (fun () -> alone (s.Argv "rate-m" 8 [ "--epochs"; "1" ]) (data.File "run"))
            let config = data.File "run/config.json"
            File.WriteAllText(config, File.ReadAllText(config).Replace("\"epochs\": 1", "\"epochs\": 2"))
            let code, output = twoRanks [ "train"; "--resume"; "--run-dir"; data.File "run"; "--no-plot" ]
            Expect.equal code 0 $"mpirun exit code; output:\n{output}"
            Expect.equal (File.ReadAllLines(data.File "run/metrics.csv").Length) 3 "header and two epochs"
            Expect.isTrue (File.ReadAllText(data.File "run/status").StartsWith "finished") "status"
        }
    ]

[<Tests>]
let tests =
    match mpirun with
    | Some _ -> testList "Distributed.Mpi" [ mpiTests ]
    | None ->
        printfn "Distributed.Mpi: skipped, mpirun is not on PATH (install openmpi-bin libopenmpi-dev)"
        testList "Distributed.Mpi" [ test "mpirun -np 2" { skiptest "mpirun is not on PATH (install openmpi-bin libopenmpi-dev)" } ]
