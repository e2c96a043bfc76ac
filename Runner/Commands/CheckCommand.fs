// `snn check FILE [--set name=value]... [--json]`: diagnostics, the layer table with totals, and the stable parameter names.
module SnnDsl.Runner.Commands.CheckCommand

open System.IO
open System.Text.Json
open Argu
open SnnDsl.Dsl
open SnnDsl.Dsl.Model
open SnnDsl.Runner.Cli.Arguments
open SnnDsl.Runner.Commands.CommandSupport

type CheckOptions = { File: string; Overrides: string list; Json: bool }

let optionsOf (args: ParseResults<CheckArgs>) =
    { File = args.GetResult CheckArgs.File
      Overrides = args.GetResults CheckArgs.Set
      Json = args.Contains CheckArgs.Json }

let private isContainer (row: LayerInfo) = row.Kind.StartsWith "sequence" || row.Kind.StartsWith "residual"

let private leaves (rows: LayerInfo seq) = rows |> Seq.filter (isContainer >> not)

let private number (n: int64) = n.ToString("N0", System.Globalization.CultureInfo.InvariantCulture)

/// The layer table as aligned text: one row per layer, containers indented above their children, then totals.
let formatTable (network: NetworkSpec) (result: CompileResult) =
    let header = [| "path"; "kind"; "output"; "params"; "MACs/step"; "neurons"; "init" |]
    let rows =
        [ for row in result.LayerTable ->
              [| String.replicate (row.Depth - 1) "  " + row.Path; row.Kind; string row.Output
                 number row.Parameters; number row.Macs; number row.Neurons; (match row.Init with | null -> "" | init -> init) |] ]
    let all = header :: rows
    let widths = Array.init header.Length (fun c -> all |> List.map (fun r -> r[c].Length) |> List.max)
    let line (cells: string[]) =
        cells
        |> Array.mapi (fun c cell -> if c >= 3 && c <= 5 then cell.PadLeft widths[c] else cell.PadRight widths[c])
        |> String.concat "  "
        |> fun s -> s.TrimEnd()
    let total f = leaves result.LayerTable |> Seq.sumBy f
    [ yield $"network {network.Name}: input {network.Input} -> output {ShapeInference.OutputShape network}"
      yield ""
      yield line header
      yield! rows |> List.map line
      yield ""
      yield $"total: {number (total (fun r -> r.Parameters))} parameters, {number (total (fun r -> r.Macs))} MACs per time step, {number (total (fun r -> r.Neurons))} neurons"
      yield ""
      yield "parameter names:"
      for p in result.Parameters do
          let kind = if p.IsBuffer then "  (buffer)" else ""
          yield $"  {p.Name} {p.Shape}{kind}" ]
    |> String.concat "\n"

/// The same content as JSON, for scripts.
let formatJson (network: NetworkSpec) (result: CompileResult) =
    let dims (s: Shape) = Seq.toArray s.Dims
    let total f = leaves result.LayerTable |> Seq.sumBy f
    let document =
        {| network = network.Name
           input = dims network.Input
           output = dims (ShapeInference.OutputShape network)
           layers =
            [| for r in result.LayerTable ->
                   {| path = r.Path; kind = r.Kind; output = dims r.Output; parameters = r.Parameters
                      macs = r.Macs; neurons = r.Neurons; init = r.Init |} |]
           totals = {| parameters = total (fun r -> r.Parameters); macs = total (fun r -> r.Macs); neurons = total (fun r -> r.Neurons) |}
           parameters = [| for p in result.Parameters -> {| name = p.Name; shape = dims p.Shape; buffer = p.IsBuffer |} |] |}
    JsonSerializer.Serialize(document, JsonSerializerOptions(WriteIndented = true))

let private diagnosticsJson (result: CompileResult) =
    let document =
        {| diagnostics =
            [| for d in result.Diagnostics ->
                   {| file = d.FileName; line = d.Position.Line; column = d.Position.Column
                      severity = (if d.IsError then "error" else "warning"); code = d.Code; message = d.Message |} |] |}
    JsonSerializer.Serialize(document, JsonSerializerOptions(WriteIndented = true))

/// Checks the file; returns the exit code. Output goes to `out`, diagnostics to `err`.
let run (options: CheckOptions) (out: TextWriter) (err: TextWriter) =
    match tryReadFile options.File with
    | Error message ->
        err.WriteLine(SnnDsl.Runner.Cli.UserErrors.line None message)
        ExitCode.UserError
    | Ok bytes ->
        let result = Compiler.CompileBytes(bytes, options.File, options.Overrides)
        printDiagnostics err result.Diagnostics
        match result.Network with
        | NonNull network when result.Succeeded ->
            out.WriteLine(if options.Json then formatJson network result else formatTable network result)
        | _ ->
            if options.Json then out.WriteLine(diagnosticsJson result)
            err.WriteLine $"{options.File}: {summary result.Diagnostics}"
        exitCodeOf result
