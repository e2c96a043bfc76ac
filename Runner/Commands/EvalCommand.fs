// `snn eval RUNDIR`: evaluates a run's best (or last) checkpoint on the test split with the run's settings.
module SnnDsl.Runner.Commands.EvalCommand

open System
open System.IO
open Argu
open SnnDsl.Core.Data.Sources
open SnnDsl.Core.Distributed
open SnnDsl.Core.Model
open SnnDsl.Core.Runs
open SnnDsl.Core.Runtime
open SnnDsl.Core.Training
open SnnDsl.Runner.Cli
open SnnDsl.Runner.Cli.Arguments
open SnnDsl.Runner.Commands.CommandSupport

/// The synaptic operations per test sample, per conv/linear layer and in total, with the 45 nm energy estimate.
let printOperations (operations: SnnDsl.Core.Metrics.SynapticOperations) (steps: int) =
    let number (x: float) = x.ToString("N0", Globalization.CultureInfo.InvariantCulture)
    printfn "synaptic operations per sample over T = %d (AC: spike input, rate x fan-out; MAC: real-valued input):" steps
    printfn "  %-24s %-4s %10s %16s %12s" "layer" "kind" "input rate" "operations" "energy (uJ)"
    for l in operations.Layers do
        printfn "  %-24s %-4s %10.4f %16s %12.4f" l.Path l.Kind l.InputRate (number l.OperationsPerSample)
            (SnnDsl.Core.Metrics.SynapticOperations.LayerEnergyMicrojoules l)
    printfn "  total: %s ACs, %s MACs, energy %.4f uJ per sample (0.9 pJ/AC, 4.6 pJ/MAC, 45 nm, Horowitz ISSCC 2014)"
        (number operations.AccumulatesPerSample) (number operations.MultiplyAccumulatesPerSample) operations.EnergyMicrojoules

/// The weights to evaluate: --weights FILE, or the model file of the run's --checkpoint (best by default).
let private weightsOf (args: ParseResults<EvalArgs>) (dir: string) =
    match args.TryGetResult EvalArgs.Weights with
    | Some file -> "weights " + file, file
    | None ->
        let name = args.TryGetResult EvalArgs.Checkpoint |> Option.defaultValue CheckpointStore.BestName
        if name <> CheckpointStore.BestName && name <> CheckpointStore.LastName then UserErrors.fail $"--checkpoint {name}: expected best or last"
        let model = Path.Combine(RunDirectory.CheckpointFolder(dir, name), Checkpoint.ModelFile)
        if not (File.Exists model) then
            UserErrors.fail $"run '{dir}' has no {name} checkpoint (no epoch finished yet, or a save was interrupted: `snn train --resume --run-dir {dir}` recovers it)"
        name + " checkpoint", model

let private evaluate (args: ParseResults<EvalArgs>) (dir: string) =
    let recorded = RecordedRun.Read dir
    let config = recorded.Config.With(Settings.settingsOf [ "weights"; "weights-map"; "precise-bn-batches" ] (args.GetAllResults()), "command line")
    let spec, _ = compileRecorded Console.Error recorded config
    let which, model = weightsOf args dir
    let run = Run.Open(config, spec, Devices.Parse config.Runtime.Device, SingleProcess.Instance)
    notePrecision Console.Out run.Config.Runtime.Precision run.Device
    run.LoadWeights(model, args.GetResult(EvalArgs.Weights_Map, defaultValue = "name"))
    let data = run.Data
    data.Report.Description |> Seq.iter (printfn "%s")
    let steps = run.Config.Estimator.TimeSteps
    let precision = run.Config.Runtime.Precision
    let preciseBn = args.GetResult(EvalArgs.Precise_Bn_Batches, defaultValue = 0)
    if preciseBn < 0 then UserErrors.fail $"--precise-bn-batches {preciseBn}: expected a non-negative number of batches"
    if preciseBn > 0 then
        let kind = run.Config.Estimator.Kind
        let used = PreciseBatchNorm.Recompute(run.Network, data.Train, 0, preciseBn, steps, kind, data.SequenceInput, SingleProcess.Instance, precision)
        printfn "BN running statistics recomputed with these weights over %d training batches (%s statistics)" used
            (if PreciseBatchNorm.IsMultiStep kind then "multi-step, T x B" else "single-step, per step")
    let result = Evaluator.Run(run.Network, data.Test, steps, data.SequenceInput, SingleProcess.Instance, precision = precision)
    if data.Report.Skipped.Count + data.Report.Failed.Count > 0 then printfn "%s" (data.Report.Summary())
    printfn "%s (%s, T = %d, %s): test loss %.4f, top-1 %.2f%%, top-5 %.2f%% on %d samples"
        dir which steps (SnnDsl.Core.Settings.SettingNames.Precision.NameOf run.Config.Runtime.Precision) result.Loss result.Top1 result.Top5 result.Samples
    match result.Operations with
    | NonNull operations -> printOperations operations steps
    | Null -> ()
    ExitCode.Success

let run (args: ParseResults<EvalArgs>) = evaluate args (args.GetResult EvalArgs.Run)
