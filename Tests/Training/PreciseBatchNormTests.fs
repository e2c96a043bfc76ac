// PreciseBN: BN's running statistics recomputed before evaluation are the plain mean of the estimator's batch statistics.
module SnnDsl.Tests.Training.PreciseBatchNormTests

open System.IO
open Expecto
open TorchSharp
open TorchSharp.PyBridge
open SnnDsl.Dsl.Model
open SnnDsl.Core.Data
open SnnDsl.Core.Estimators
open SnnDsl.Core.Layers
open SnnDsl.Core.Model
open SnnDsl.Core.Training
open SnnDsl.Core.Runs
open SnnDsl.Core.Settings
open SnnDsl.Core.Distributed
open SnnDsl.Tests.Support
open SnnDsl.Tests.Data.DataFiles
open SnnDsl.Tests.Core.TestNetworks

/// BN right after the input: its input is the image itself at every step, so its batch statistics can be computed
/// from the batches alone.
let private inputBn =
    NetworkSpec("inputbn", Shape.Of(3L, 8L, 8L), [ bn "bn0"; lif "lif0" (NeuronSpec()); FlattenSpec("flat"); LinearSpec("fc", 5L) ])

let private loader () =
    let shape = SampleShape(3, 8, 8)
    let images = ImageDataset("toy", randomBytes 11 (40 * shape.Size), Array.init 40 (fun i -> i % 5), 5, shape)
    BatchLoader(ImageSource(images, AugmentOptions()), LoaderOptions(8, Seed = 4), torch.CPU)

let private bn0 (network: SpikingNetwork) = network.modules() |> Seq.pick (function :? BatchNormLayer as b -> Some b | _ -> None)

/// The mean over the first `batches` batches of epoch 0 of each batch's channel mean and unbiased channel variance,
/// the variance taken over `copies` identical copies of the batch (T for multi-step statistics, 1 per step).
let private expectedStatistics (batches: int) (copies: int) =
    let inputs = loader().Epoch 0 |> Seq.take batches |> Seq.map (fun b -> b.Inputs.to_type torch.float64) |> List.ofSeq
    let dims = [| 0L; 2L; 3L |]
    let means = inputs |> List.map (fun x -> x.mean(dims))
    let variances =
        inputs |> List.map (fun x ->
            let n = float (int64 copies * x.shape[0] * x.shape[2] * x.shape[3])
            (x - x.mean(dims, keepdim = true)).square().mean(dims) * (n / (n - 1.0)))
    torch.stack(means).mean([| 0L |]), torch.stack(variances).mean([| 0L |])

let private recompute (network: SpikingNetwork) batches kind =
    PreciseBatchNorm.Recompute(network, loader (), 0, batches, 4, kind, false, SingleProcess.Instance)

let private tinyNetwork = tinyMnistNetwork

let private train (data: TempFolder) (run: string) (preciseBn: int) =
    let network = data.File "tiny.snn"
    File.WriteAllText(network, tinyNetwork)
    let config =
        TrainingConfig(Network = network,
                       Data = DataSettings(Dataset = "mnist", DataRoot = data.Path, BatchSize = 8),
                       Estimator = EstimatorSettings(Kind = EstimatorKind.RateM, TimeSteps = 2),
                       Schedule = ScheduleSettings(Epochs = 2, PreciseBnBatches = preciseBn),
                       Optimizer = OptimizerSettings(LearningRate = 0.05), Runtime = RuntimeSettings(Seed = 3L))
    let _, summary = withSeed 0L (fun () -> SnnDsl.Runner.Commands.TrainCommand.trainInto config (data.File run) false SnnDsl.Runner.Console.Progress.silent)
    summary

let private lastWeights (dir: string) = Safetensors.LoadStateDict(Path.Combine(dir, "checkpoints", "last", Checkpoint.ModelFile))

[<Tests>]
let tests =
    testList "Training.PreciseBatchNorm" [
        test "multi-step estimators: the running statistics become the mean over the batches of their T·B statistics" {
            let network = NetworkBuilder.Build(inputBn, 0L)
            Expect.equal (recompute network 3 EstimatorKind.RateM) 3 "three batches used"
            let mean, variance = expectedStatistics 3 4
            expectClose 1e-5 1e-6 (bn0 network).RunningMean mean "running mean"
            expectClose 1e-5 1e-6 (bn0 network).RunningVar variance "running variance (unbiased over T·B·H·W)"
        }
        test "single-step estimators: the mean over batches and steps of per-step statistics" {
            let network = NetworkBuilder.Build(inputBn, 0L)
            recompute network 3 EstimatorKind.BpttS |> ignore
            let mean, variance = expectedStatistics 3 1
            expectClose 1e-5 1e-6 (bn0 network).RunningMean mean "running mean"
            expectClose 1e-5 1e-6 (bn0 network).RunningVar variance "running variance (unbiased over B·H·W)"
            let _, multiStep = expectedStatistics 3 4
            Expect.isFalse (torch.allclose((bn0 network).RunningVar.to_type torch.float64, multiStep, 1e-6, 0.0)) "differs from the multi-step statistics"
        }
        test "stale statistics are replaced, not averaged in; parameters and num_batches_tracked are left alone" {
            let fresh, stale = NetworkBuilder.Build(inputBn, 0L), NetworkBuilder.Build(inputBn, 0L)
            let layer = bn0 stale
            use _ = torch.no_grad()
            layer.RunningMean.fill_(100.0) |> ignore
            layer.RunningVar.fill_(1e-3) |> ignore
            layer.BatchesTracked.fill_(7L) |> ignore
            let before = [ for p in stale.parameters() -> p.clone() ]
            recompute fresh 2 EstimatorKind.RateM |> ignore
            recompute stale 2 EstimatorKind.RateM |> ignore
            Expect.isTrue (sameTensor layer.RunningMean (bn0 fresh).RunningMean) "mean independent of the old value"
            Expect.isTrue (sameTensor layer.RunningVar (bn0 fresh).RunningVar) "variance independent of the old value"
            Expect.equal (layer.BatchesTracked.item<int64>()) 7L "num_batches_tracked unchanged"
            for p, q in Seq.zip before (stale.parameters()) do Expect.isTrue (sameTensor p q) "parameters unchanged"
        }
        test "0 batches leaves the statistics as training left them" {
            let network = NetworkBuilder.Build(inputBn, 0L)
            let mean = (bn0 network).RunningMean.clone()
            Expect.equal (recompute network 0 EstimatorKind.RateM) 0 "nothing done"
            Expect.isTrue (sameTensor mean (bn0 network).RunningMean) "unchanged"
        }
        testSequenced <| test "training: weights do not depend on it, the checkpoint holds the evaluated statistics" {
            use data = new TempFolder()
            writeMnist data.Path false 40 16 |> ignore
            let plain = train data "plain" 0
            let precise = train data "precise" 3
            let a, b = lastWeights (data.File "plain"), lastWeights (data.File "precise")
            for KeyValue(name, t) in a do
                if name.EndsWith "running_mean" || name.EndsWith "running_var" then
                    Expect.isFalse (sameTensor t b[name]) $"{name}: recomputed"
                else Expect.isTrue (sameTensor t b[name]) $"{name}: identical with and without PreciseBN (dropout's draws included)"
            Expect.equal plain.Epochs.Count 2 "two epochs"
            Expect.all plain.Epochs (fun e -> e.PreciseBnSeconds = 0.0) "no recomputation, no time for it"
            Expect.all precise.Epochs (fun e -> e.PreciseBnSeconds > 0.0 && e.PreciseBnSeconds <= e.EvalSeconds) "its time, part of the evaluation's"
            let code, out, err = runCli [| "eval"; data.File "precise"; "--checkpoint"; "last" |]
            Expect.equal code 0 $"eval runs: {err}"
            let recorded = precise.Epochs[1].TestTop1
            Expect.stringContains out (sprintf "top-1 %.2f%%" recorded) "eval of the checkpoint = the epoch's recorded test accuracy"
            let config = File.ReadAllText(data.File "precise/config.json")
            Expect.stringContains config "\"precise-bn-batches\": 3" "recorded in config.json"
            let code, out, _ = runCli [| "eval"; data.File "plain"; "--checkpoint"; "last"; "--precise-bn-batches"; "2" |]
            Expect.equal code 0 "eval with recomputation runs"
            Expect.stringContains out "recomputed with these weights over 2 training batches (multi-step" "says what it did"
            let code, _, err = runCli [| "eval"; data.File "plain"; "--precise-bn-batches"; "-1" |]
            Expect.equal code 1 "a negative count is a user error"
            Expect.stringContains err "--precise-bn-batches" "names the flag"
        }
    ]
