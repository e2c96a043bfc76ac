// bench, grad and doctor read their shared flags through train's settings sections: one check, one message, one default each.
// Sequenced: runCli redirects the process's console, which tests running in parallel would share.
module SnnDsl.Tests.Runner.SharedSettingsTests

open System.IO
open Argu
open Expecto
open SnnDsl.Core.Benchmarks
open SnnDsl.Core.Model
open SnnDsl.Core.Settings
open SnnDsl.Runner.Cli
open SnnDsl.Runner.Cli.Arguments
open SnnDsl.Runner.Commands
open SnnDsl.Tests.Support

let private network = Path.Combine(SnnDsl.Tests.Benchmarks.GradientTests.repoRoot, "examples", "networks", "fashion_cnn.snn")

/// The one error line of a command that must refuse its flags before doing any work.
let private refusal (argv: string list) =
    let code, _, err = runCli (Array.ofList argv)
    Expect.equal code 1 $"exit code of {argv}"
    err.Trim()

[<Tests>]
let tests =
    testSequenced <| testList "Runner.SharedSettings" [
        test "a bad --threads is refused by train, bench, grad and doctor with the same sentence" {
            let lines =
                [ refusal [ "train"; "--threads"; "999"; "--print-config" ]
                  refusal [ "bench"; network; "--threads"; "999" ]
                  refusal [ "grad"; network; "--synthetic"; "--threads"; "999" ]
                  refusal [ "doctor"; "--threads"; "999" ] ]
            Expect.equal (List.distinct lines).Length 1 $"one message: {lines}"
            Expect.stringContains lines.Head "threads must be in [0, " "names the setting and its range"
        }
        test "grad has train's T limit, and bench checks each of its T values against it" {
            let grad = refusal [ "grad"; network; "--synthetic"; "--steps"; string (EstimatorSettings.MaxTimeSteps + 1) ]
            Expect.stringContains grad $"is more than {EstimatorSettings.MaxTimeSteps}" "grad: the sections' T limit"
            let bench = refusal [ "bench"; network; "--steps"; $"2,{EstimatorSettings.MaxTimeSteps + 1}" ]
            Expect.stringContains bench $"'{EstimatorSettings.MaxTimeSteps + 1}' is not a valid number of time steps" "bench: each T"
        }
        test "--weights-map is parsed by one parser everywhere: Order is accepted by train and bench alike" {
            let config = TrainCommand.resolve (ArgumentParser.Create<TrainArgs>().ParseCommandLine [| "--weights-map"; "Order" |])
            Expect.equal (WeightMap.Parse(config.Runtime.WeightsMap, config.Network)).Mapping WeightMapping.ByOrder "train"
            let bench = BenchCommand.optionsOf (ArgumentParser.Create<BenchArgs>().ParseCommandLine [| network; "--weights-map"; "Order" |])
            Expect.equal bench.Mapping.Mapping WeightMapping.ByOrder "bench"
            Expect.stringContains (refusal [ "bench"; network; "--weights-map"; "sideways" ]) "unknown weights mapping 'sideways'" "one message"
        }
        test "bench and grad take network, --set, seed, device, threads, weights and batch from the resolved settings" {
            let args = [| network; "--set"; "classes=12"; "--seed"; "7"; "--batch"; "3"; "--weights"; "w.safetensors"; "--threads"; "1" |]
            let bench = BenchCommand.optionsOf (ArgumentParser.Create<BenchArgs>().ParseCommandLine args)
            Expect.equal (bench.Network.Network, bench.Network.NetworkParameters["classes"], bench.Bench.Seed, bench.Bench.BatchSize) (network, "12", 7L, 3) "bench"
            Expect.equal (bench.Network.Runtime.Weights, bench.Network.Runtime.Threads) ("w.safetensors", 1) "bench weights and threads"
            Expect.equal bench.Steps Help.benchTimeSteps "bench's own default T list"
            let grad = GradCommand.optionsOf (ArgumentParser.Create<GradArgs>().ParseCommandLine(Array.append args [| "--synthetic" |]))
            Expect.equal (grad.Settings.NetworkParameters["classes"], grad.Seed, grad.Batch, grad.Steps) ("12", 7L, 3, TrainingConfig().Estimator.TimeSteps) "grad"
        }
        test "bench and grad's defaults are the ones their help prints" {
            let defaults = GradCommand.optionsOf (ArgumentParser.Create<GradArgs>().ParseCommandLine [| network; "--synthetic" |])
            Expect.equal defaults.Batch (BenchSettings().BatchSize) "grad's batch"
            Expect.equal defaults.Out Help.gradOut "grad's file"
            for usage in [ (GradArgs.Batch_Size 0 :> IArgParserTemplate).Usage; (BenchArgs.Batch_Size 0 :> IArgParserTemplate).Usage ] do
                Expect.stringContains usage $"(default {defaults.Batch})" "help reads the batch default"
            Expect.stringContains (BenchArgs.Time_Steps "" :> IArgParserTemplate).Usage "(default 1,2,4,8)" "help reads bench's T list"
            Expect.stringContains (BenchArgs.Iterations 0 :> IArgParserTemplate).Usage $"(default {BenchSettings().Iterations})" "iterations"
            Expect.equal (DoctorArgs.Threads 0 :> IArgParserTemplate).Usage (TrainArgs.Threads 0 :> IArgParserTemplate).Usage "doctor's --threads is train's"
            Expect.equal (DoctorArgs.Device "" :> IArgParserTemplate).Usage (TrainArgs.Device "" :> IArgParserTemplate).Usage "doctor's --device is train's"
        }
    ]
