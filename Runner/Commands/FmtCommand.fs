// `snn fmt FILE [--write | --check]`: prints a network file in canonical form, rewrites it, or checks that it is.
module SnnDsl.Runner.Commands.FmtCommand

open System.IO
open System.Text
open Argu
open SnnDsl.Dsl
open SnnDsl.Runner.Cli.Arguments
open SnnDsl.Runner.Commands.CommandSupport

type FmtOptions = { File: string; Write: bool; Check: bool }

let optionsOf (args: ParseResults<FmtArgs>) =
    { File = args.GetResult FmtArgs.File
      Write = args.Contains FmtArgs.Write
      Check = args.Contains FmtArgs.Check }

/// The canonical text of a file, or its diagnostics when it does not parse.
let canonical (bytes: byte[]) (fileName: string) =
    match Compiler.Decode(bytes, fileName) with
    | struct (null, problems) -> Error problems
    | struct (text, _) ->
        match Compiler.Format(text, fileName) with
        | struct (null, diagnostics) -> Error diagnostics
        | struct (formatted, _) -> Ok(text, formatted)

/// Formats the file; returns the exit code. Canonical text goes to `out`, diagnostics and notes to `err`.
let run (options: FmtOptions) (out: TextWriter) (err: TextWriter) =
    match tryReadFile options.File with
    | Error message ->
        err.WriteLine(SnnDsl.Runner.Cli.UserErrors.line None message)
        ExitCode.UserError
    | Ok bytes ->
        match canonical bytes options.File with
        | Error diagnostics ->
            printDiagnostics err diagnostics
            err.WriteLine $"{options.File}: {summary diagnostics}"
            ExitCode.UserError
        | Ok(original, formatted) ->
            if options.Check then
                if original = formatted then ExitCode.Success
                else
                    err.WriteLine $"{options.File} is not in canonical form; run: snn fmt {options.File} --write"
                    ExitCode.UserError
            elif options.Write then
                if original <> formatted then File.WriteAllText(options.File, formatted, UTF8Encoding false)
                ExitCode.Success
            else
                out.Write formatted
                ExitCode.Success
