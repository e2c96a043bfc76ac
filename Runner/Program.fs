// Entry point of the `snn` command line: parses arguments with Argu and dispatches to a command.
module SnnDsl.Runner.Program

open System
open Argu
open SnnDsl.Runner.Cli.Arguments
open SnnDsl.Runner.Commands

/// Commands that run networks load libtorch first; check and fmt are pure and never do.
let private needsTorch (command: SnnArgs) =
    match command with
    | Check _ | Fmt _ | Plot _ | Version -> false
    | Train _ | Eval _ | Allreduce_Bench _ | Bench _ | Grad _ | Export_Weights _ | Doctor _ -> true

let private dispatch (command: SnnArgs) =
    if needsTorch command then SnnDsl.Core.Runtime.NativeRuntime.EnsureLoaded()
    match command with
    | Check args -> CheckCommand.run (CheckCommand.optionsOf args) Console.Out Console.Error
    | Fmt args -> FmtCommand.run (FmtCommand.optionsOf args) Console.Out Console.Error
    | Train args -> TrainCommand.run args
    | Eval args -> EvalCommand.run args
    | Plot args -> PlotCommand.run args
    | Allreduce_Bench floats -> DistributedJob.allReduceBench floats
    | Bench args -> BenchCommand.run args Console.Out Console.Error
    | Grad args -> GradCommand.run args Console.Out Console.Error
    | Export_Weights args -> ExportWeightsCommand.run args Console.Out Console.Error
    | Doctor args -> DoctorCommand.run args Console.Out Console.Error
    | Version ->
        let version =
            match typeof<CheckArgs>.Assembly.GetName().Version with
            | null -> "(unknown)"
            | v -> v.ToString()
        printfn "snn %s, network language version %d" version SnnDsl.Dsl.Syntax.Parser.LanguageVersion
        ExitCode.Success

/// Parses the command line and runs the command; returns the exit code.
let execute (argv: string[]) =
    let parser = ArgumentParser.Create<SnnArgs>(programName = "snn")
    try
        let results = parser.ParseCommandLine(argv, raiseOnUsage = true)
        match results.TryGetSubCommand() with
        | Some command -> dispatch command
        | None ->
            match results.TryGetResult Version, results.TryGetResult Allreduce_Bench with
            | Some _, _ -> dispatch Version
            | None, Some floats -> dispatch (Allreduce_Bench floats)
            | None, None ->
                eprintfn "%s" (parser.PrintUsage())
                ExitCode.UserError
    with
    | :? ArguParseException as e when e.ErrorCode = ErrorCode.HelpText ->
        printfn "%s" e.Message
        ExitCode.Success
    | :? ArguParseException as e ->
        eprintfn "%s" e.Message
        ExitCode.UserError

[<EntryPoint>]
let main argv =
    try
        execute argv
    with
    | :? SnnDsl.Core.Runtime.NativeRuntimeException as e ->
        eprintfn "snn: error: %s" e.Message
        ExitCode.InternalError
    | e ->
        eprintfn "snn: internal error (this is a bug in snn, not in your file): %s" e.Message
        eprintfn "%s" e.StackTrace
        ExitCode.InternalError
