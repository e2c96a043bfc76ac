// The training runner end to end on small generated datasets: exact resume, run directories, settings, bad input.
module SnnDsl.Tests.Runner.TrainTests

open System.IO
open Argu
open Expecto
open TorchSharp
open TorchSharp.PyBridge
open SnnDsl.Core.Distributed
open SnnDsl.Core.Estimators
open SnnDsl.Core.Metrics
open SnnDsl.Core.Runs
open SnnDsl.Core.Settings
open SnnDsl.Core.Training
open SnnDsl.Runner.Cli.Arguments
open SnnDsl.Runner.Commands
open SnnDsl.Tests.Support
open SnnDsl.Tests.Data.DataFiles

let private tinyNetwork = tinyMnistNetwork

let private configFor (folder: TempFolder) estimator =
    let network = folder.File "tiny.snn"
    File.WriteAllText(network, tinyNetwork)
    TrainingConfig(Network = network,
                   Data = DataSettings(Dataset = "mnist", DataRoot = folder.Path, BatchSize = 8, CropPadding = 1, HorizontalFlip = true),
                   Estimator = EstimatorSettings(Kind = EstimatorNames.Table.Parse estimator, TimeSteps = 2),
                   Schedule = ScheduleSettings(Epochs = 3), Optimizer = OptimizerSettings(LearningRate = 0.05), Runtime = RuntimeSettings(Seed = 5L))

/// Stops a run after its first epoch (after the checkpoint was written), as a kill would.
exception private Interrupted

let private interruptAfterFirstEpoch =
    { new ITrainingObserver with
        member _.EpochStarted(_, _, _, _) = ()
        member _.BatchFinished(_, _, _, _, _, _) = ()
        member _.EpochFinished(m, _) = if m.Epoch = 0 then raise Interrupted }

let private trainOrFail config dir resume observer = TrainCommand.trainInto config dir resume observer

let private weights (dir: string) = Safetensors.LoadStateDict(Path.Combine(dir, "checkpoints", "last", Checkpoint.ModelFile))

let private parseTrain (argv: string[]) = ArgumentParser.Create<TrainArgs>().ParseCommandLine(argv)

[<Tests>]
let tests =
    testList "Runner.Train" [
        testSequenced <| testList "resume" [
            for estimator in [ "rate-m"; "bptt-s" ] do
                test $"{estimator}: stopping after epoch 1 and resuming gives the same final weights as an uninterrupted run" {
                    use data = new TempFolder()
                    writeMnist data.Path false 40 16 |> ignore
                    let config = configFor data estimator
                    let straight, reference = withSeed 0L (fun () -> trainOrFail config (data.File "straight") false SnnDsl.Runner.Console.Progress.silent)
                    withSeed 0L (fun () ->
                        Expect.throwsC (fun () -> trainOrFail config (data.File "stopped") false interruptAfterFirstEpoch |> ignore)
                            (fun e -> if not (e :? Interrupted) then raise e))
                    Expect.equal (File.ReadAllLines(data.File "stopped/metrics.csv").Length) 2 "one epoch recorded before the stop"
                    let _, resumed = withSeed 0L (fun () -> trainOrFail config (data.File "stopped") true SnnDsl.Runner.Console.Progress.silent)
                    let a, b = weights straight, weights (data.File "stopped")
                    Expect.equal (Set.ofSeq a.Keys) (Set.ofSeq b.Keys) "same tensors"
                    for KeyValue(name, t) in a do
                        Expect.isTrue (sameTensor t b[name]) $"{name} identical"
                    Expect.equal (resumed.Epochs |> Seq.map (fun m -> m.TestTop1) |> List.ofSeq)
                                 (reference.Epochs |> Seq.map (fun m -> m.TestTop1) |> List.ofSeq) "same test accuracy per epoch"
                    Expect.equal (File.ReadAllLines(data.File "stopped/metrics.csv").Length) 4 "three epochs recorded"
                    for file in [ "command.txt"; "config.json"; "network.snn"; "metrics.jsonl"; "status"; "checkpoints/best/model.safetensors" ] do
                        Expect.isTrue (File.Exists(data.File $"stopped/{file}")) $"{file} written"
                }
        ]
        test "--precision bf16 trains, records bf16 in config.json, checkpoints float32 weights, and snn eval runs it in either precision" {
            use data = new TempFolder()
            writeMnist data.Path false 40 16 |> ignore
            let config = (configFor data "rate-m").With([ struct ("precision", Json.node "bf16") ], "test")
            let dir, summary = withSeed 0L (fun () -> trainOrFail config (data.File "bf16") false SnnDsl.Runner.Console.Progress.silent)
            Expect.stringContains (File.ReadAllText(Path.Combine(dir, "config.json"))) "\"precision\": \"bf16\"" "recorded"
            Expect.equal summary.Epochs.Count 3 "three epochs"
            for KeyValue(name, t) in weights dir do
                if t.is_floating_point() then Expect.equal t.dtype torch.float32 $"{name}: the checkpoint holds float32"
            let code, out, err = runCli [| "eval"; dir; "--data"; data.Path |]
            Expect.equal code 0 $"eval; stderr: {err}"
            Expect.stringContains out "bf16): test loss" "evaluated in the run's precision"
            let code, out, err = runCli [| "eval"; dir; "--data"; data.Path; "--precision"; "fp32" |]
            Expect.equal code 0 $"eval --precision fp32; stderr: {err}"
            Expect.stringContains out "fp32): test loss" "or in another"
            let code, _, err = runCli [| "eval"; dir; "--data"; data.Path; "--precision"; "fp8" |]
            Expect.equal code 1 "an unknown precision is a user error"
            Expect.stringContains err "unknown precision 'fp8'; expected fp32 or bf16" "naming it"
        }
        test "--weights starts training from a weights file; a file that does not fit names the tensor" {
            use data = new TempFolder()
            writeMnist data.Path false 16 8 |> ignore
            let config = configFor data "rate-m"
            let spec = (SnnDsl.Dsl.Compiler.Compile(tinyNetwork, "tiny.snn")).Network |> nonNull
            let source = SnnDsl.Core.Model.NetworkBuilder.Build(spec, 99L)
            SnnDsl.Core.Model.WeightIO.Save(source, data.File "w.safetensors", SnnDsl.Core.Model.WeightFormat.Safetensors)
            let trainer = Trainer(spec, config.With([ struct ("weights", System.Text.Json.Nodes.JsonNode.Parse(System.Text.Json.JsonSerializer.Serialize(data.File "w.safetensors"))) ], "test"), torch.CPU, SingleProcess.Instance, SnnDsl.Runner.Console.Progress.silent)
            for KeyValue(name, t) in source.state_dict() do
                Expect.isTrue (sameTensor t (trainer.Network.state_dict()[name])) $"{name} loaded"
            let other = (SnnDsl.Dsl.Compiler.Compile(tinyNetwork.Replace("conv(4, 3)", "conv(5, 3)"), "other.snn")).Network |> nonNull
            SnnDsl.Core.Model.WeightIO.Save(SnnDsl.Core.Model.NetworkBuilder.Build(other, 1L), data.File "bad.safetensors", SnnDsl.Core.Model.WeightFormat.Safetensors)
            let bad = config.With([ struct ("weights", System.Text.Json.Nodes.JsonNode.Parse(System.Text.Json.JsonSerializer.Serialize(data.File "bad.safetensors"))) ], "test")
            match (try Trainer(spec, bad, torch.CPU, SingleProcess.Instance, SnnDsl.Runner.Console.Progress.silent) |> ignore; None
                   with :? SnnDsl.Core.Model.WeightsException as e -> Some e.Message) with
            | Some message -> Expect.stringContains message "0.weight" $"names the tensor: {message}"
            | None -> failtest "a weights file of another shape was accepted"
        }
        test "an existing run directory is refused without --resume" {
            use data = new TempFolder()
            writeMnist data.Path false 16 8 |> ignore
            Directory.CreateDirectory(data.File "run") |> ignore
            File.WriteAllText(data.File "run/anything", "")
            let config = configFor data "rate-m"
            Expect.throwsT<RunException> (fun () -> trainOrFail config (data.File "run") false SnnDsl.Runner.Console.Progress.silent |> ignore) "refused"
        }
        test "settings resolve defaults < --config file < flags" {
            use data = new TempFolder()
            File.WriteAllText(data.File "run.json", """{ "epochs": 7, "learning-rate": 0.05, "estimator": "bptt-m" }""")
            let config = TrainCommand.resolve (parseTrain [| "--config"; data.File "run.json"; "--lr"; "0.2"; "--set"; "classes=12"; "-T"; "6" |])
            Expect.equal config.Schedule.Epochs 7 "from the file"
            Expect.equal config.Optimizer.LearningRate 0.2 "flag beats file"
            Expect.equal config.Estimator.Kind EstimatorKind.BpttM "from the file"
            Expect.equal config.Estimator.TimeSteps 6 "flag"
            Expect.equal config.Data.BatchSize (TrainingConfig().Data.BatchSize) "default"
            Expect.equal config.NetworkParameters["classes"] "12" "network parameter"
        }
        test "a config file with an unknown key is an error naming the key" {
            use data = new TempFolder()
            File.WriteAllText(data.File "run.json", """{ "epocs": 7 }""")
            match (try TrainCommand.resolve (parseTrain [| "--config"; data.File "run.json" |]) |> ignore; None with :? ConfigException as e -> Some e.Message) with
            | None -> failtest "accepted an unknown key"
            | Some message -> Expect.stringContains message "epocs" "names the key"
        }
        testSequenced <| test "bad settings and missing data exit 1 with a message naming the problem, never a stack trace" {
            use data = new TempFolder()
            writeMnist data.Path false 16 8 |> ignore
            File.WriteAllText(data.File "tiny.snn", tinyNetwork)
            let expectUserError (argv: string[]) (expected: string) =
                let err = new StringWriter()
                let previous = System.Console.Error
                System.Console.SetError err
                let code = try SnnDsl.Runner.Program.execute argv finally System.Console.SetError previous
                Expect.equal code ExitCode.UserError $"exit code of {argv}"
                Expect.stringContains (err.ToString()) expected $"message of {argv}"
                Expect.isFalse (err.ToString().Contains "   at ") "no stack trace"
            let train extra = Array.append [| "train"; data.File "tiny.snn"; "--run-dir"; data.File "r"; "--dataset"; "mnist" |] extra
            expectUserError (train [| "--estimator"; "rate-x"; "--data"; data.Path |]) "unknown estimator 'rate-x'"
            expectUserError (train [| "--epochs"; "0"; "--data"; data.Path |]) "epochs must be at least 1"
            expectUserError (train [| "--data"; data.File "nowhere" |]) "nowhere"
            expectUserError (train [| "--data"; data.Path; "--set"; "classes=7" |]) "has 7 outputs but mnist has 10 classes"
            expectUserError [| "train"; data.File "tiny.snn"; "--dataset"; "cifar10"; "--data"; data.Path; "--run-dir"; data.File "r2" |] "data_batch_1.bin"
            expectUserError [| "train"; data.File "missing.snn" |] "no such file"
            expectUserError [| "train"; "--resume" |] "--resume needs --run-dir"
            expectUserError [| "train"; "--device"; "cuda:0"; data.File "tiny.snn"; "--dataset"; "mnist"; "--data"; data.Path; "--run-dir"; data.File "r3" |] "CUDA"
        }
        test "snn plot renders loss, accuracy, lr and firing-rate PNGs from metrics.csv" {
            use data = new TempFolder()
            File.WriteAllLines(data.File "metrics.csv", [
                "epoch,lr,train_loss,train_top1,test_loss,test_top1,test_top5,train_seconds,eval_seconds,samples_per_second,rate:lif1,rate:lif2"
                "0,0.1,1.2,60,0.9,70,98,10,1,100,0.2,0.1"
                "1,0.05,0.8,75,0.7,78,99,10,1,100,0.18,0.12" ])
            let pngs = PlotCommand.render data.Path
            Expect.equal (pngs |> List.map Path.GetFileName) [ "loss.png"; "accuracy.png"; "lr.png"; "firing_rates.png" ] "four charts"
            for png in pngs do
                Expect.sequenceEqual (File.ReadAllBytes(png) |> Array.take 4) [| 0x89uy; 0x50uy; 0x4Euy; 0x47uy |] $"{png} is a PNG"
            Expect.equal (SnnDsl.Runner.Program.execute [| "plot"; data.File "nowhere" |]) ExitCode.UserError "no metrics: exit 1"
        }
        test "plots tick epochs and T on whole numbers only" {
            use plot = new ScottPlot.Plot()
            plot.Add.Scatter([| 1.0; 2.0; 3.0 |], [| 0.5; 0.4; 0.3 |]) |> ignore
            PlotCommand.integerTicks plot
            plot.GetImageBytes(800, 500, ScottPlot.ImageFormat.Png) |> ignore
            let ticks = plot.Axes.Bottom.TickGenerator.Ticks |> Array.filter (fun t -> t.IsMajor) |> Array.map (fun t -> t.Position)
            Expect.isGreaterThanOrEqual ticks.Length 2 "ticks drawn"
            Expect.all ticks (fun x -> x = System.Math.Round x) $"whole numbers: {ticks}"
        }
        test "cosine schedule with warm-up" {
            let config = TrainingConfig(Schedule = ScheduleSettings(Epochs = 10, WarmupEpochs = 2), Optimizer = OptimizerSettings(LearningRate = 0.1))
            Expect.floatClose Accuracy.veryHigh (LearningRateSchedule.At(0, config)) (0.1 / 3.0) "warm-up epoch 0"
            Expect.floatClose Accuracy.veryHigh (LearningRateSchedule.At(2, config)) 0.1 "peak after warm-up"
            Expect.floatClose Accuracy.veryHigh (LearningRateSchedule.At(6, config)) 0.05 "half-way through the cosine"
            Expect.isLessThan (LearningRateSchedule.At(9, config)) 0.01 "near 0 at the end"
        }
    ]
