// The runner on CIFAR10-DVS and ImageNet: event clips feed frame t at step t, zoo networks train from the CLI on
// generated AEDAT 2.0 recordings and JPEG folders, and bad settings or bad files give messages, not stack traces.
module SnnDsl.Tests.Runner.TrainingDataTests

open System
open System.IO
open System.Text.Json
open Expecto
open TorchSharp
open SnnDsl.Core.Data.Sources
open SnnDsl.Core.Layers
open SnnDsl.Core.Model
open SnnDsl.Dsl.Model
open SnnDsl.Runner.Cli.Arguments
open SnnDsl.Tests.Support
open SnnDsl.Tests.Data.DataFiles
open SnnDsl.Tests.Data.DvsTests
open SnnDsl.Tests.Data.ImageFolderTests
open SnnDsl.Tests.Dsl.DslTestSupport

let private expectSuccess (argv: string[]) =
    let code, out, err = runCli argv
    Expect.equal code ExitCode.Success $"exit code of {String.Join(' ', argv)}; stderr: {err}"
    out

let private expectUserError (argv: string[]) (expected: string) =
    let code, _, err = runCli argv
    Expect.equal code ExitCode.UserError $"exit code of {String.Join(' ', argv)}"
    Expect.stringContains err expected "message"
    Expect.isFalse (err.Contains "   at ") "no stack trace"

let private dataJson (runDir: string) = JsonDocument.Parse(File.ReadAllText(Path.Combine(runDir, DataReport.FileName))).RootElement

let private zoo name = Path.Combine(examplesFolder, name)

/// One tiny CIFAR10-DVS epoch (2 classes × 10 recordings, index split 18/2) with the zoo VGGSNN-DVS at 16×16, T = 10.
let private dvsArgs (dir: TempFolder) estimator runName =
    [| "train"; zoo "vggsnn_dvs.snn"; "--dataset"; "cifar10-dvs"; "--data"; dir.File "dvs"; "--dvs-split"; "index"
       "-T"; "10"; "--dvs-size"; "16"; "--set"; "size=16"; "--set"; "classes=2"; "--estimator"; estimator
       "--epochs"; "1"; "--batch-size"; "6"; "--limit-train-batches"; "1"; "--threads"; "1"; "--no-plot"; "--run-dir"; dir.File runName |]

let private sequenceTests =
    testList "sequence input" [
        test "a clip batch [B, T, ...] feeds frame t at step t: each step's output equals a run on the frames up to t" {
            let spec = NetworkSpec("frames", Shape.Of(2L, 2L, 2L), [
                FlattenSpec("flat"); LinearSpec("hidden", 16L); NeuronLayerSpec("lif", NeuronSpec(Tau = 2.0)); LinearSpec("out", 3L) ])
            let network = NetworkBuilder.Build(spec, 3L)
            let clip = withSeed 4L (fun () -> torch.rand([| 2L; 4L; 2L; 2L; 2L |]) * 8.0f - 4.0f) // [B, T, 2, 2, 2]
            let perStep (x: torch.Tensor) =
                let struct (_, steps) = network.MultiStep(TrainingData.ToSpikeInput(x, true), PassContext(int x.shape[1], false))
                steps
            use _ = torch.no_grad()
            let full = perStep clip // [T, B, K]
            for t in 0 .. 3 do
                let prefix = perStep (clip.narrow(1, 0L, int64 (t + 1)))
                expectClose 1e-5 1e-6 full[int64 t] prefix[int64 t] $"step {t} sees frames 0..{t}"
            let struct (_, single) = network.SingleStep(TrainingData.ToSpikeInput(clip, true), PassContext(4, false))
            expectClose 1e-5 1e-6 single full "single-step feeds the same frames"
            let reversed = perStep (clip.flip(1L))
            Expect.isGreaterThan (maxAbsDiff full[1L] full[3L]) 1e-3 "the steps differ (spikes reach the read-out)"
            Expect.isGreaterThan (maxAbsDiff reversed full) 1e-3 "the output depends on the frame order"
            expectClose 1e-6 1e-7 (TrainingData.ToSpikeInput(clip, true).Mean) (clip.mean([| 1L |])) "rate pass input is the mean frame"
        }
    ]

let private dvsTests =
    testSequenced <| testList "cifar10-dvs" [
        for estimator in [ "rate-m"; "bptt-m" ] do
            test $"VGGSNN-DVS trains one tiny epoch at T = 10 with {estimator}, logs the split and writes data.json" {
                use dir = new TempFolder()
                writeDvsFolder (dir.File "dvs")
                let out = expectSuccess (dvsArgs dir estimator "run")
                Expect.stringContains out "split index: first 90%" "split in the run log"
                Expect.stringContains out "train 18 / test 2 recordings" "counts in the run log"
                Expect.stringContains out "0 samples skipped" "closing count"
                let data = dataJson (dir.File "run")
                Expect.equal (data.GetProperty("train-samples").GetInt32()) 18 "data.json train count"
                Expect.equal (File.ReadAllLines(dir.File "run/metrics.csv").Length) 2 "one epoch recorded"
                Expect.isTrue (Directory.Exists(Path.Combine(dir.File "dvs", ".snndsl-cache", "frames-T10-number-16x16"))) "default cache folder"
            }
        test "snn eval evaluates a CIFAR10-DVS run; a bad recording is skipped and counted" {
            use dir = new TempFolder()
            writeDvsFolder (dir.File "dvs")
            File.WriteAllBytes(Path.Combine(dir.File "dvs", "a", "cifar10_a_4.aedat"), header)
            let out = expectSuccess (Array.append (dvsArgs dir "rate-m" "run") [| "--dvs-cache"; dir.File "cache" |])
            Expect.stringContains out "1 samples skipped" "closing count"
            let skipped = (dataJson (dir.File "run")).GetProperty("skipped")
            Expect.stringContains (string (skipped[0].GetString())) "cifar10_a_4.aedat" "names the file"
            let evalOut = expectSuccess [| "eval"; dir.File "run"; "--checkpoint"; "last" |]
            Expect.stringContains evalOut "on 2 samples" "evaluated the test recordings"
        }
        test "missing --dvs-split, frames ≠ T and a network of another size exit 1 with the message" {
            use dir = new TempFolder()
            writeDvsFolder (dir.File "dvs")
            let args = dvsArgs dir "rate-m" "run"
            let without = args |> Array.removeAt (Array.IndexOf(args, "--dvs-split")) |> Array.removeAt (Array.IndexOf(args, "--dvs-split"))
            expectUserError without "cifar10-dvs needs an explicit train/test split: --dvs-split index"
            expectUserError (Array.append args [| "--dvs-frames"; "8" |]) "--dvs-frames 8 does not match the run's T = 10"
            expectUserError (Array.append args [| "--dvs-split"; "first" |]) "unknown CIFAR10-DVS split 'first'"
            expectUserError (Array.append args [| "--dvs-size"; "24" |]) "make --dvs-size match"
            Expect.isFalse (Directory.Exists(dir.File "run")) "no run directory left behind"
        }
    ]

/// root/{train,val}/{cat,dog} JPEGs; ResNet-34s at 32×32, T = 2, one epoch of 3 batches.
let private imageNetArgs (dir: TempFolder) network classes runName =
    [| "train"; zoo network; "--dataset"; "imagenet"; "--data"; dir.Path; "--image-size"; "32"; "--set"; "size=32"
       "--set"; $"classes={classes}"; "-T"; "2"; "--epochs"; "1"; "--batch-size"; "2"; "--workers"; "2"; "--threads"; "1"
       "--lr"; "0.01"; "--no-plot"; "--run-dir"; dir.File runName |]

let private imageNetTests =
    testSequenced <| testList "imagenet" [
        test "SEW-ResNet-34 trains one tiny epoch on an ImageFolder of JPEGs and snn eval evaluates it" {
            use dir = new TempFolder()
            writeImageFolder dir.Path
            let out = expectSuccess (imageNetArgs dir "sew_resnet34.snn" 2 "run")
            Expect.stringContains out "train 6 / val 6 images" "counts in the run log"
            Expect.stringContains out "random-resized-crop 32 + flip, test resize 37 + centre crop 32" "transforms in the run log"
            Expect.equal (File.ReadAllLines(dir.File "run/metrics.csv").Length) 2 "one epoch recorded"
            Expect.stringContains (expectSuccess [| "eval"; dir.File "run" |]) "on 6 samples" "eval"
        }
        test "PreAct-ResNet-34 trains with a corrupt JPEG and empty class folders: reported and counted, not fatal" {
            use dir = new TempFolder()
            writeImageFolder dir.Path
            let bad = Path.Combine(dir.Path, "train", "dog", "img1.JPEG")
            File.WriteAllBytes(bad, (File.ReadAllBytes bad)[.. 200])
            for split in [ "train"; "val" ] do Directory.CreateDirectory(Path.Combine(dir.Path, split, "emu")) |> ignore
            let out = expectSuccess (imageNetArgs dir "preact_resnet34.snn" 3 "run")
            Expect.stringContains out "2 samples skipped when opening, 1 failed to load" "closing counts"
            let data = dataJson (dir.File "run")
            let first (name: string) = string (data.GetProperty(name).[0].GetString())
            Expect.stringContains (first "failed") bad "names the corrupt file"
            Expect.stringContains (first "skipped") "emu" "names the empty class folder"
        }
        test "train and val with different class folders, or no --data, exit 1 with the message" {
            use dir = new TempFolder()
            writeImageFolder dir.Path
            Directory.Move(Path.Combine(dir.Path, "val", "cat"), Path.Combine(dir.Path, "val", "kitten"))
            expectUserError (imageNetArgs dir "sew_resnet34.snn" 2 "run") "only in train: [cat], only in val: [kitten]"
            let noData = imageNetArgs dir "sew_resnet34.snn" 2 "run" |> Array.removeAt 4 |> Array.removeAt 4
            expectUserError noData "dataset 'imagenet' needs --data"
            expectUserError (Array.append (imageNetArgs dir "sew_resnet34.snn" 2 "run") [| "--dataset"; "imagenet-21k" |]) "unknown dataset 'imagenet-21k'"
        }
    ]

[<Tests>]
let tests = testList "Runner.TrainingData" [ sequenceTests; dvsTests; imageNetTests ]
