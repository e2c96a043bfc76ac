// PLIF and ALIF from the command line: each trains under all seven estimators, PLIF's decay moves, and `snn check` lists them.
module SnnDsl.Tests.Runner.NeuronTrainTests

open System.IO
open Expecto
open TorchSharp.PyBridge
open SnnDsl.Tests.Support
open SnnDsl.Tests.Data.DataFiles

/// A tiny network for the generated 1×6×5 MNIST-format images with one PLIF and one ALIF layer.
let private network = """snn 1
network mixed(classes = 10) {
  input [1, 6, 5]
  neuron plif(tau = 2.0)
  neuron alif(tau_adapt = 3, beta = 0.3, reset = hard)
  conv(4, 3); bn; p: plif
  conv(4, 3); bn; a: alif
  flatten
  linear(classes)
}
"""

let private estimators = [ "rate-m"; "rate-s"; "bptt-m"; "bptt-s"; "ottt"; "sltt"; "sltt-k" ]

[<Tests>]
let tests =
    testSequenced <| testList "Runner.Neurons" [
        test "plif and alif train under every estimator from the command line; PLIF's w moves from −ln(τ − 1)" {
            let data, mixed = tinyMnistFolder "mixed" network
            use _ = data
            for estimator in estimators do
                let run = data.File ("run-" + estimator)
                let code, err = trainOnTinyMnist data.Path mixed estimator run [ "--lr"; "0.5" ]
                Expect.equal code 0 $"{estimator} trains; stderr: {err}"
                let weights = Safetensors.LoadStateDict(Path.Combine(run, "checkpoints", "last", "model.safetensors"))
                Expect.isTrue (weights.ContainsKey "p.w") $"{estimator}: the checkpoint holds p.w"
                let w = weights.["p.w"].item<float32>() |> float
                Expect.isFalse (abs (w - (-log 1.0)) < 1e-7) $"{estimator}: w moved from its start 0 (τ = 2), now {w}"
        }
        test "snn check lists the plif and alif layers and PLIF's parameter" {
            use data = new TempFolder()
            File.WriteAllText(data.File "mixed.snn", network)
            let code, out, err = runCli [| "check"; data.File "mixed.snn" |]
            Expect.equal code 0 $"checks; stderr: {err}"
            let row (path: string) = out.Split('\n') |> Array.tryFind (fun l -> l.StartsWith(path + " "))
            Expect.stringContains (string (row "p")) " plif " "the plif layer's kind"
            Expect.stringContains (string (row "p")) "  1 " "one parameter (w)"
            Expect.stringContains (string (row "a")) " alif " "the alif layer's kind"
            Expect.stringContains out "  p.w []" "PLIF's learnable decay among the parameter names"
        }
    ]
