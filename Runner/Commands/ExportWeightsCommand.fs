// `snn export-weights CHECKPOINT --format safetensors|pt [--out FILE]`: converts a weights file between formats.
module SnnDsl.Runner.Commands.ExportWeightsCommand

open System.IO
open Argu
open TorchSharp
open SnnDsl.Core.Model
open SnnDsl.Runner.Cli.Arguments
open SnnDsl.Runner.Cli.UserErrors
open SnnDsl.Runner.Commands.RunSupport

let private formatOf (text: string) =
    match text.Trim().ToLowerInvariant() with
    | "safetensors" -> WeightFormat.Safetensors, ".safetensors"
    | "pt" -> WeightFormat.PyTorch, ".pt"
    | other -> fail $"'{other}' is not a weights format; expected safetensors or pt"

/// Reads the checkpoint and writes its tensors, in file order, in the requested format; returns the output path.
let export (checkpoint: string) (format: string) (outFile: string option) =
    let format, extension = formatOf format
    let target =
        match outFile with
        | Some file -> file
        | None -> Path.ChangeExtension(checkpoint, extension) |> nonNull
    if Path.GetFullPath target = Path.GetFullPath checkpoint then fail $"the output '{target}' would overwrite the input; give --out"
    use scope = torch.NewDisposeScope()
    WeightIO.Write(WeightIO.Read checkpoint, target, format)
    target

let run (args: ParseResults<ExportWeightsArgs>) (out: TextWriter) (err: TextWriter) =
    ignore err
    let target = export (args.GetResult ExportWeightsArgs.Checkpoint) (args.GetResult ExportWeightsArgs.Format) (args.TryGetResult ExportWeightsArgs.Out)
    out.WriteLine $"wrote {target}"
    ExitCode.Success
