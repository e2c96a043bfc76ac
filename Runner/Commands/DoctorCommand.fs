// `snn doctor [--device D]`: what this machine offers SnnDsl, then a self-check of every estimator on the device.
module SnnDsl.Runner.Commands.DoctorCommand

open System.IO
open Argu
open TorchSharp
open SnnDsl.Core.Doctor
open SnnDsl.Core.Runtime
open SnnDsl.Runner.Cli.Arguments
open SnnDsl.Runner.Commands.CommandSupport
open SnnDsl.Runner.Cli.UserErrors

/// The facts, aligned in one column.
let printFacts (out: TextWriter) (facts: Fact seq) =
    let facts = List.ofSeq facts
    let width = facts |> List.map (fun f -> f.Name.Length) |> List.max
    for f in facts do out.WriteLine $"  {f.Name.PadRight width}  {f.Value}"

/// One line per check; returns how many failed.
let printChecks (out: TextWriter) (results: CheckResult seq) =
    let mutable failed = 0
    for r in results do
        if not r.Passed then failed <- failed + 1
        out.WriteLine $"""  {(if r.Passed then "ok  " else "FAIL")}  {r.Name}: {r.Detail}"""
    failed

let run (args: ParseResults<DoctorArgs>) (out: TextWriter) (err: TextWriter) =
    let settings = SnnDsl.Runner.Cli.Settings.resolve (SnnDsl.Core.Settings.TrainingConfig()) [] (args.GetAllResults()) []
    if settings.Runtime.Threads > 0 then torch.set_num_threads settings.Runtime.Threads
    let device = Devices.Parse settings.Runtime.Device
    out.WriteLine "snn doctor"
    printFacts out (SystemReport.Read())
    let precision = settings.Runtime.Precision
    let arithmetic =
        if precision = SnnDsl.Core.Layers.Precision.Float32 then "float32 there"
        else "conv and linear in bf16 there, neurons and BN in float32"
    out.WriteLine $"self-check on {device} ({arithmetic}, compared with float64 on the CPU):"
    let results = SelfCheck.Run(device, precision)
    let failed = printChecks out results
    if failed = 0 then
        out.WriteLine $"all {Seq.length results} checks passed"
        ExitCode.Success
    else
        err.WriteLine $"snn: error: {failed} of {Seq.length results} self-checks failed on {device} (see the FAIL lines above)"
        ExitCode.CheckFailed
