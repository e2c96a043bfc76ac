// End to end: the online estimators train from the command line, and summary.json and `snn eval` report operations and energy.
module SnnDsl.Tests.Runner.EvalOperationsTests

open System
open System.IO
open System.Text.Json
open Expecto
open SnnDsl.Tests.Data.DataFiles
open SnnDsl.Tests.Support

let private tinyNetwork = """snn 1
network tiny(classes = 10) {
  input [1, 6, 5]
  neuron lif(tau = 2.0)
  conv(4, 3); bn; lif; avgpool(2)
  flatten
  linear(classes)
}
"""

[<Tests>]
let tests =
    testSequenced <| testList "Runner.EvalOperations" [
        test "ottt, sltt and sltt-k train; summary.json and snn eval give ACs, MACs and energy per sample" {
            let data, tiny = tinyMnistFolder "tiny" tinyNetwork
            use _ = data
            for estimator in [ "ottt"; "sltt"; "sltt-k" ] do
                let run = data.File ("run-" + estimator)
                let code, err = trainOnTinyMnist data.Path tiny estimator run []
                Expect.equal code 0 $"{estimator} trains; stderr: {err}"
                use summary = JsonDocument.Parse(File.ReadAllText(Path.Combine(run, "summary.json")))
                let number (key: string) = summary.RootElement.GetProperty(key).GetDouble()
                Expect.isGreaterThan (number "macs_per_sample") 0.0 $"{estimator}: the first conv sees pixels (MACs)"
                Expect.isGreaterThanOrEqual (number "acs_per_sample") 0.0 "ACs"
                let energy = (number "acs_per_sample" * 0.9 + number "macs_per_sample" * 4.6) * 1e-6
                Expect.floatClose Accuracy.high (number "energy_uj_per_sample") energy "energy = 0.9 pJ·AC + 4.6 pJ·MAC"
                let layers = [ for l in summary.RootElement.GetProperty("synaptic_operations").EnumerateArray() -> l.GetProperty("kind").GetString() ]
                Expect.equal layers [ "MAC"; "AC" ] "conv on pixels: MAC; linear on pooled spikes: AC"
            let code, out, err = runCli [| "eval"; data.File "run-ottt"; "--data"; data.Path |]
            Expect.equal code 0 $"eval; stderr: {err}"
            Expect.stringContains out "synaptic operations per sample over T = 3" "operations header"
            Expect.stringContains out "uJ per sample (0.9 pJ/AC, 4.6 pJ/MAC, 45 nm, Horowitz ISSCC 2014)" "totals and source"
        }
        test "--sltt-k outside 1..T exits 1 with one sentence" {
            let data, tiny = tinyMnistFolder "tiny" tinyNetwork
            use _ = data
            let code, _, err =
                runCli [| "train"; tiny; "--dataset"; "mnist"; "--data"; data.Path; "--estimator"; "sltt-k"
                          "-T"; "2"; "--sltt-k"; "5"; "--run-dir"; data.File "r"; "--no-plot" |]
            Expect.equal code 1 "user error"
            Expect.stringContains err "--sltt-k 5 must be between 1 and T = 2" "names the setting"
            Expect.isFalse (err.Contains "   at ") "no stack trace"
        }
    ]
