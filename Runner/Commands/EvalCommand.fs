// `snn eval RUNDIR`: evaluates a run's best (or last) checkpoint on the test split with the run's settings.
module SnnDsl.Runner.Commands.EvalCommand

open System
open System.IO
open System.Text.Json.Nodes
open Argu
open SnnDsl.Core.Data
open SnnDsl.Core.Model
open SnnDsl.Core.Runtime
open SnnDsl.Core.Training
open SnnDsl.Runner.Cli.Arguments
open SnnDsl.Runner.Commands.CommandSupport

/// The synaptic operations per test sample, per conv/linear layer and in total, with the 45 nm energy estimate.
let printOperations (operations: SnnDsl.Core.Benchmarks.SynapticOperations) (steps: int) =
    let number (x: float) = x.ToString("N0", Globalization.CultureInfo.InvariantCulture)
    printfn "synaptic operations per sample over T = %d (AC: spike input, rate x fan-out; MAC: real-valued input):" steps
    printfn "  %-24s %-4s %10s %16s %12s" "layer" "kind" "input rate" "operations" "energy (uJ)"
    for l in operations.Layers do
        printfn "  %-24s %-4s %10.4f %16s %12.4f" l.Path l.Kind l.InputRate (number l.OperationsPerSample)
            (SnnDsl.Core.Benchmarks.SynapticOperations.LayerEnergyMicrojoules l)
    printfn "  total: %s ACs, %s MACs, energy %.4f uJ per sample (0.9 pJ/AC, 4.6 pJ/MAC, 45 nm, Horowitz ISSCC 2014)"
        (number operations.AccumulatesPerSample) (number operations.MultiplyAccumulatesPerSample) operations.EnergyMicrojoules

let private evaluate (args: ParseResults<EvalArgs>) (dir: string) =
    let config = TrainingConfig.FromJson(File.ReadAllText(Path.Combine(dir, "config.json")), Path.Combine(dir, "config.json"))
    let node (x: obj) = jsonValue x
    let changes =
        [ for arg in args.GetAllResults() do
            match arg with
            | EvalArgs.Data p -> struct ("data-root", node p)
            | EvalArgs.Steps n -> struct ("time-steps", node n)
            | EvalArgs.Batch_Size n -> struct ("batch-size", node n)
            | EvalArgs.Threads n -> struct ("threads", node n)
            | EvalArgs.Device d -> struct ("device", node d)
            | EvalArgs.Run _ | EvalArgs.Checkpoint _ | EvalArgs.Weights _ | EvalArgs.Weights_Map _ -> () ]
    let config = config.With(changes, "command line").Validated()
    let overrides = config.NetworkParameters |> Seq.map (fun kv -> $"{kv.Key}={kv.Value}")
    match loadNetwork Console.Error (Path.Combine(dir, "network.snn")) overrides with
    | Error code -> code
    | Ok(spec, _) ->
        let which, model =
            match args.TryGetResult EvalArgs.Weights with
            | Some file -> "weights " + file, file
            | None ->
                let name = args.TryGetResult EvalArgs.Checkpoint |> Option.defaultValue "best"
                name + " checkpoint", Path.Combine(dir, "checkpoints", name, Checkpoint.ModelFile)
        if not (File.Exists model) then raise (ConfigException $"no weights file '{model}'")
        if config.Threads > 0 then TorchSharp.torch.set_num_threads config.Threads
        let device = Devices.Parse config.Device
        let network = NetworkBuilder.Build(spec, config.Seed, device)
        Trainer.LoadWeights(network, model, args.GetResult(EvalArgs.Weights_Map, defaultValue = "name"), config.Network)
        let data = TrainingData.Open(config, spec, device, SingleProcess.Instance)
        data.Report.Description |> Seq.iter (printfn "%s")
        let result = Evaluator.Run(network, data.Test, config.TimeSteps, data.SequenceInput, SingleProcess.Instance)
        if data.Report.Skipped.Count + data.Report.Failed.Count > 0 then printfn "%s" (data.Report.Summary())
        printfn "%s (%s, T = %d): test loss %.4f, top-1 %.2f%%, top-5 %.2f%% on %d samples"
            dir which config.TimeSteps result.Loss result.Top1 result.Top5 result.Samples
        match result.Operations with
        | NonNull operations -> printOperations operations config.TimeSteps
        | Null -> ()
        ExitCode.Success

let run (args: ParseResults<EvalArgs>) =
    let dir = args.GetResult EvalArgs.Run
    if not (File.Exists(Path.Combine(dir, "config.json"))) then
        eprintfn "snn: error: '%s' is not a run directory (no config.json)" dir
        ExitCode.UserError
    else
        reportingUserErrors (fun () -> evaluate args dir)
