// Run directories under faults: a kill at every step of a checkpoint save (through the store's step seam), old
// layouts, locks against concurrent resumes, edited networks, damaged files, divergence, and resuming an old run.
module SnnDsl.Tests.Training.RunDirectoryTests

open System
open System.IO
open Expecto
open TorchSharp
open TorchSharp.PyBridge
open SnnDsl.Core.Distributed
open SnnDsl.Core.Estimators
open SnnDsl.Core.Model
open SnnDsl.Core.Runs
open SnnDsl.Core.Settings
open SnnDsl.Core.Training
open SnnDsl.Runner.Cli.Arguments
open SnnDsl.Runner.Commands
open SnnDsl.Tests.Support
open SnnDsl.Tests.Data.DataFiles

let private tinyNetwork = File.ReadAllText(dataPath "runs/v1-mnist-tiny/network.snn")

let private spec () = (SnnDsl.Dsl.Compiler.Compile(tinyNetwork, "tiny.snn")).Network |> nonNull

let private configFor (folder: TempFolder) =
    let network = folder.File "tiny.snn"
    File.WriteAllText(network, tinyNetwork)
    TrainingConfig(Network = network,
                   Data = DataSettings(Dataset = "mnist", DataRoot = folder.Path, BatchSize = 8),
                   Estimator = EstimatorSettings(Kind = EstimatorKind.RateM, TimeSteps = 2),
                   Schedule = ScheduleSettings(Epochs = 3), Optimizer = OptimizerSettings(LearningRate = 0.05), Runtime = RuntimeSettings(Seed = 5L))

/// A kill: raised from the store's step seam, it ends the save where a SIGKILL would.
exception private Killed of string

let private silent = SnnDsl.Runner.Console.Progress.silent

let private lastWeights (dir: string) = Safetensors.LoadStateDict(Path.Combine(dir, "checkpoints", "last", Checkpoint.ModelFile))

let private sameWeights (a: Collections.Generic.IDictionary<string, torch.Tensor>) (b: Collections.Generic.IDictionary<string, torch.Tensor>) =
    Expect.equal (Set.ofSeq a.Keys) (Set.ofSeq b.Keys) "same tensors"
    for KeyValue(name, t) in a do Expect.isTrue (sameTensor t b[name]) $"{name} identical"

/// The last weights of an uninterrupted run of configFor (the data writeMnist 24 8 writes is the same every time):
/// trained once, for every test that compares a recovered run with it.
let private straightWeights =
    lazy (
        use data = new TempFolder()
        writeMnist data.Path false 24 8 |> ignore
        let path, _ = withSeed 0L (fun () -> TrainCommand.trainInto (configFor data) (data.File "straight") false silent)
        lastWeights path)

/// Trains in this process into a new run directory whose store raises Killed at the first <paramref name="step"/> after epoch 1.
let private trainKilledAt (config: TrainingConfig) (dir: string) (step: string) =
    let run = RunDirectory.Create(dir, "test", config, tinyNetwork)
    let mutable saves = 0
    run.Checkpoints.AfterStep <- fun s ->
        if s = "cleaned" then saves <- saves + 1
        if s = step && saves = 1 then raise (Killed s)
    try
        try Trainer(spec (), config, torch.CPU, SingleProcess.Instance, silent).Run(run, false) |> ignore
        with Killed _ -> ()
    finally run.Dispose()

/// `snn` in-process: the exit code and stderr.
let private runCli (argv: string[]) =
    let code, _, err = SnnDsl.Tests.Support.runCli argv
    code, err

/// A copy at `run` of the fixture run directory written by snn at 0158b9a (Tests/Fixtures/runs/v1-mnist-tiny).
let private copyFixtureRun (run: string) =
    let fixture = dataPath "runs/v1-mnist-tiny"
    for file in Directory.GetFiles(fixture, "*", SearchOption.AllDirectories) do
        let target = Path.Combine(run, Path.GetRelativePath(fixture, file))
        Directory.CreateDirectory(Path.GetDirectoryName target |> nonNull) |> ignore
        File.Copy(file, target)

/// `snn train --resume` of a copied fixture run, its data moved with --data: the exit code and stderr.
let private resumeFixtureRun (run: string) =
    runCli [| "train"; "--resume"; "--run-dir"; run; "--data"; dataPath "runs/v1-mnist-tiny-data"; "--no-plot" |]

/// A store with epoch 1 saved as best, and a network and optimiser to save more.
let private storeWithOneEpoch (folder: TempFolder) =
    let network = NetworkBuilder.Build(spec (), 1L)
    let optimizer = ParameterGroups.Sgd(network, 0.1, 0.9, 0.0)
    let store = CheckpointStore(folder.File "checkpoints")
    store.Save(network, optimizer, CheckpointState(1, 50.0, 0, 3L), true)
    store, network, optimizer

let private saveSteps = [ "written"; "best-link-created"; "best-promoted"; "last-link-created"; "last-promoted" ]

[<Tests>]
let tests =
    testList "Training.RunDirectory" [
        testSequenced <| testList "kill during a save" [
            for step in saveSteps do
                test $"killed after '{step}': recovery leaves a complete last, and a best that matches it" {
                    use folder = new TempFolder()
                    let store, network, optimizer = storeWithOneEpoch folder
                    store.AfterStep <- fun s -> if s = step then raise (Killed s)
                    Expect.throwsC (fun () -> store.Save(network, optimizer, CheckpointState(2, 60.0, 1, 6L), true)) (fun e -> if not (e :? Killed) then raise e)
                    let reopened = CheckpointStore(folder.File "checkpoints")
                    let last = reopened.Recover() |> nonNull
                    let promoted = List.findIndex ((=) step) saveSteps >= List.findIndex ((=) "last-promoted") saveSteps
                    Expect.equal last.EpochsDone (if promoted then 2 else 1) "last is the old or the new checkpoint"
                    let best = Checkpoint.TryReadState reopened.Best |> nonNull
                    Expect.equal best.EpochsDone (last.BestEpoch + 1) "best is the epoch last names"
                    Checkpoint.Load(reopened.Last, network, optimizer) |> ignore
                    let folders = Directory.GetDirectories(folder.File "checkpoints") |> Array.filter (fun d -> isNull (DirectoryInfo(d).LinkTarget))
                    Expect.isLessThanOrEqual folders.Length 2 "no unfinished or superseded folders left"
                }
            for step in [ "metrics-appended"; "written"; "last-link-created"; "last-promoted" ] do
                test $"a run killed after '{step}' of epoch 2 resumes to the weights and metrics of an uninterrupted run" {
                    use data = new TempFolder()
                    writeMnist data.Path false 24 8 |> ignore
                    let config = configFor data
                    withSeed 0L (fun () -> trainKilledAt config (data.File "killed") step)
                    let _, resumed = withSeed 0L (fun () -> TrainCommand.trainInto config (data.File "killed") true silent)
                    sameWeights straightWeights.Value (lastWeights (data.File "killed"))
                    Expect.equal (resumed.Epochs |> Seq.map (fun m -> m.Epoch) |> List.ofSeq) [ 0; 1; 2 ] "each epoch recorded once"
                    Expect.equal (File.ReadAllLines(data.File "killed/metrics.csv").Length) 4 "header and three rows"
                }
            test "a run killed before its first checkpoint resumes from its start, or starts again, to an uninterrupted run's weights" {
                use data = new TempFolder()
                writeMnist data.Path false 24 8 |> ignore
                let config = configFor data
                for resume, dir in [ true, "resumed"; false, "again" ] do
                    let killed = RunDirectory.Create(data.File dir, "test", config, tinyNetwork)
                    killed.Metrics.Append(EpochMetrics(0, 0.1, 1.0, 10.0, 1.0, 10.0, 50.0, 1.0, 1.0, 1.0, readOnlyDict []))
                    killed.Dispose() // killed after its first epoch's metrics row, before its checkpoint
                    let _, summary = withSeed 0L (fun () -> TrainCommand.trainInto config (data.File dir) resume silent)
                    sameWeights straightWeights.Value (lastWeights (data.File dir))
                    Expect.equal [ for m in summary.Epochs -> m.Epoch ] [ 0; 1; 2 ] $"{dir}: each epoch recorded once"
                    Expect.equal (File.ReadAllLines(data.File $"{dir}/metrics.csv").Length) 4 $"{dir}: the unfinished epoch's row dropped"
                let finished = try (RunDirectory.Create(data.File "again", "test", config, tinyNetwork)).Dispose(); "" with :? RunException as e -> e.Message
                Expect.stringContains finished "already exists; pass --resume" "a run with a checkpoint is never started again"
            }
        ]
        test "a save interrupted in the former layout (last.old and last.tmp, no last) is recovered" {
            use folder = new TempFolder()
            let network = NetworkBuilder.Build(spec (), 1L)
            let optimizer = ParameterGroups.Sgd(network, 0.1, 0.9, 0.0)
            Checkpoint.Write(folder.File "checkpoints/last.old", network, optimizer, CheckpointState(1, 10.0, 0, 3L))
            Checkpoint.Write(folder.File "checkpoints/last.tmp", network, optimizer, CheckpointState(2, 20.0, 1, 6L))
            Checkpoint.Write(folder.File "checkpoints/best", network, optimizer, CheckpointState(2, 20.0, 1, 6L))
            let store = CheckpointStore(folder.File "checkpoints")
            Expect.equal (store.Recover() |> nonNull).EpochsDone 2 "the completed new checkpoint"
            Expect.equal (Checkpoint.TryReadState store.Best |> nonNull).EpochsDone 2 "best kept"
        }
        test "a second train or resume of a locked run directory is refused; the lock ends with its holder" {
            use data = new TempFolder()
            let config = configFor data
            let first = RunDirectory.Create(data.File "run", "test", config, tinyNetwork)
            let refused = try RunDirectory.Open(RecordedRun.Read(data.File "run"), "test") |> ignore; "" with :? RunException as e -> e.Message
            Expect.stringContains refused "is in use by another snn process" "refused while held"
            first.Dispose()
            use again = RunDirectory.Open(RecordedRun.Read(data.File "run"), "test")
            Expect.isFalse again.HasCheckpoint "lock released; a run without a checkpoint opens, to resume from its start"
        }
        test "resume refuses a network.snn edited after the run started, naming the file" {
            use data = new TempFolder()
            (RunDirectory.Create(data.File "run", "test", configFor data, tinyNetwork)).Dispose()
            File.AppendAllText(data.File "run/network.snn", "\n// edited\n")
            let message = try RunDirectory.Open(RecordedRun.Read(data.File "run"), "test") |> ignore; "" with :? RunException as e -> e.Message
            Expect.stringContains message "network.snn was changed after the run started" "names the file"
        }
        testSequenced <| testList "through the command line" [
            test "a run directory written by the previous version resumes (its own network.snn, data moved with --data)" {
                use temp = new TempFolder()
                let run = temp.File "run"
                copyFixtureRun run
                let code, err = resumeFixtureRun run
                Expect.equal code ExitCode.Success $"resumed; stderr: {err}"
                Expect.equal (File.ReadAllLines(Path.Combine(run, "metrics.csv")).Length) 3 "epoch 1 kept, epoch 2 added"
                Expect.equal (Checkpoint.TryReadState(Path.Combine(run, "checkpoints", "last")) |> nonNull).EpochsDone 2 "two epochs done"
                Expect.stringStarts (File.ReadAllText(Path.Combine(run, "status"))) "finished" "status"
            }
            test "a truncated checkpoint file on resume is a user error naming the file" {
                use temp = new TempFolder()
                let run = temp.File "run"
                copyFixtureRun run
                let model = Path.Combine(run, "checkpoints", "last", Checkpoint.ModelFile)
                File.WriteAllBytes(model, File.ReadAllBytes(model) |> Array.take 100)
                let code, err = resumeFixtureRun run
                Expect.equal code ExitCode.UserError "exit 1"
                Expect.stringContains err "model.safetensors is damaged or truncated" "names the file"
                Expect.isFalse (err.Contains "   at ") "no stack trace"
            }
            test "divergence (--lr 1e9) stops naming the epoch and batch; nothing non-finite is saved; status says diverged" {
                use data = new TempFolder()
                writeMnist data.Path false 24 8 |> ignore
                File.WriteAllText(data.File "tiny.snn", tinyNetwork)
                let argv = [| "train"; data.File "tiny.snn"; "--dataset"; "mnist"; "--data"; data.Path; "-T"; "2"; "--batch-size"; "8"
                              "--epochs"; "2"; "--lr"; "1e9"; "--run-dir"; data.File "run"; "--no-plot" |]
                let code, err = runCli argv
                Expect.equal code ExitCode.UserError $"exit 1; stderr: {err}"
                Expect.stringContains err "training diverged in epoch" "message"
                Expect.stringStarts (File.ReadAllText(data.File "run/status")) "diverged" "status"
                for folder in [ "last"; "best" ] do
                    let path = data.File $"run/checkpoints/{folder}/{Checkpoint.ModelFile}"
                    if File.Exists path then
                        for KeyValue(name, t) in Safetensors.LoadStateDict path do
                            Expect.isTrue (torch.isfinite(t).all().item<bool>()) $"{folder}/{name} finite"
                let skipped, _ = runCli (Array.append argv [| "--on-non-finite"; "skip"; "--run-dir"; data.File "skip" |])
                Expect.notEqual skipped ExitCode.InternalError "skip mode ends cleanly (finished, or diverged weights refused)"
            }
            test "an empty or damaged state.json of the last checkpoint is a user error naming it and what to do" {
                use data = new TempFolder()
                writeMnist data.Path false 24 8 |> ignore
                let config = (configFor data).With([ struct ("epochs", Json.node 1) ], "test")
                TrainCommand.trainInto config (data.File "run") false silent |> ignore
                for content in [ ""; "null"; "{\"EpochsDone\": " ] do
                    File.WriteAllText(data.File "run/checkpoints/last/state.json", content)
                    let message = try TrainCommand.trainInto config (data.File "run") true silent |> ignore; "" with :? RunException as e -> e.Message
                    Expect.stringContains message "state.json is empty or damaged" $"names the file for '{content}'"
                    Expect.stringContains message "delete the link" "says what to do"
            }
            test "a --run-dir that is a file, and eval of a run without a best checkpoint, are user errors" {
                use data = new TempFolder()
                File.WriteAllText(data.File "file", "")
                let message = try (RunDirectory.Create(data.File "file", "test", configFor data, tinyNetwork)).Dispose(); "" with :? RunException as e -> e.Message
                Expect.stringContains message "is a file" "run dir under a file"
                (RunDirectory.Create(data.File "run", "test", configFor data, tinyNetwork)).Dispose()
                let code, err = runCli [| "eval"; data.File "run" |]
                Expect.equal code ExitCode.UserError "exit 1"
                Expect.stringContains err "has no best checkpoint" "message"
            }
        ]
    ]
