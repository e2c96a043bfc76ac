// `snn export-weights CHECKPOINT --format safetensors|pt [--out FILE] [--names reference --network X.snn]`: converts a weights file.
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

/// The tensors under their names in the output: the file's own, or the reference's (renamed and put in the
/// reference's state_dict order through the name map beside the network file).
let private renamer (names: string option) (network: string option) : System.Collections.Generic.List<_> -> System.Collections.Generic.List<_> =
    match names |> Option.map (fun n -> n.Trim().ToLowerInvariant()), network with
    | (None | Some "ours"), _ -> id
    | Some "reference", Some file -> (NameMap.Beside file).ToForeign
    | Some "reference", None -> fail "--names reference needs --network FILE.snn, whose name map (FILE.names.tsv) gives the reference's names"
    | Some other, _ -> fail $"'{other}' is not a naming; expected ours or reference"

/// Reads the checkpoint and writes its tensors (in file order, or the reference's) in the requested format; returns the output path.
let exportNamed (checkpoint: string) (format: string) (outFile: string option) (names: string option) (network: string option) =
    let format, extension = formatOf format
    let rename = renamer names network
    let target =
        match outFile with
        | Some file -> file
        | None -> Path.ChangeExtension(checkpoint, extension) |> nonNull
    if Path.GetFullPath target = Path.GetFullPath checkpoint then fail $"the output '{target}' would overwrite the input; give --out"
    use scope = torch.NewDisposeScope()
    WeightIO.Write(rename (WeightIO.Read checkpoint), target, format)
    target

/// Reads the checkpoint and writes its tensors, in file order and under their own names, in the requested format.
let export (checkpoint: string) (format: string) (outFile: string option) = exportNamed checkpoint format outFile None None

let run (args: ParseResults<ExportWeightsArgs>) (out: TextWriter) (err: TextWriter) =
    ignore err
    let target =
        exportNamed (args.GetResult ExportWeightsArgs.Checkpoint) (args.GetResult ExportWeightsArgs.Format) (args.TryGetResult ExportWeightsArgs.Out)
            (args.TryGetResult ExportWeightsArgs.Names) (args.TryGetResult ExportWeightsArgs.Network)
    out.WriteLine $"wrote {target}"
    ExitCode.Success
