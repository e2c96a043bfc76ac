// Entry point of the `snn` command line: parses arguments with Argu, dispatches to a command, and is the one place
// that turns failures into messages and exit codes.
module SnnDsl.Runner.Program

open System
open System.IO
open Argu
open Microsoft.FSharp.Reflection
open SnnDsl.Runner.Cli
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

/// Runs a command body: a user error becomes one line on err ("snn: error: ...", with the rank under mpirun) and exit
/// code 1; libtorch failing to load is one line and exit code 2; any other exception is a bug of snn, reported with
/// its stack trace and exit code 2. A failing rank of an mpirun job ends the job.
let handle (err: TextWriter) (body: unit -> int) =
    let ended (code: int) =
        err.Flush()
        DistributedJob.finish code
    try body ()
    with
    | :? ArguParseException as e when e.ErrorCode = ErrorCode.HelpText ->
        printfn "%s" e.Message
        ExitCode.Success
    | :? ArguParseException as e ->
        err.WriteLine(UserErrors.line None (UserErrors.parseError e.Message))
        ended ExitCode.UserError
    | :? SnnDsl.Core.Runtime.NativeRuntimeException as e ->
        // libtorch could not be loaded (its own message says which file and what to do): not a bug, not a user file
        err.WriteLine(UserErrors.line (DistributedJob.rankOfLaunch ()) e.Message)
        ended ExitCode.InternalError
    | e ->
        match UserErrors.describe e with
        | Some message ->
            err.WriteLine(UserErrors.line (DistributedJob.rankOfLaunch ()) message)
            ended ExitCode.UserError
        | None ->
            err.WriteLine(UserErrors.line (DistributedJob.rankOfLaunch ()) $"internal error (this is a bug in snn, not in your file): {e.Message}")
            err.WriteLine e.StackTrace
            ended ExitCode.InternalError

/// The command's name as typed ("train"), for the pointer to its --help.
let private commandName (command: SnnArgs) =
    let case, _ = FSharpValue.GetUnionFields(command, typeof<SnnArgs>)
    case.Name.ToLowerInvariant().Replace('_', '-')

/// A positional value that looks like a flag (Argu takes an unknown `--x` as the network or run path): refused by name.
let private refuseFlagLikeValues (command: SnnArgs) =
    let _, fields = FSharpValue.GetUnionFields(command, typeof<SnnArgs>)
    for field in fields do
        match field with
        | null -> ()
        | results ->
            match results.GetType().GetMethod("GetAllResults") with
            | null -> ()
            | getAll ->
                for result in nonNull (getAll.Invoke(results, [| null |])) :?> Collections.IEnumerable do
                    let case, values = FSharpValue.GetUnionFields(result, result.GetType())
                    let positional = case.GetCustomAttributes(typeof<MainCommandAttribute>).Length > 0
                    match values with
                    | [| :? string as value |] when positional && value.StartsWith "-" && value.Length > 1 ->
                        UserErrors.fail $"unknown flag '{value}'; see 'snn {commandName command} --help'"
                    | _ -> ()

/// Parses the command line and runs the command; returns the exit code.
let execute (argv: string[]) =
    handle Console.Error (fun () ->
        let parser = ArgumentParser.Create<SnnArgs>(programName = "snn")
        let results = parser.ParseCommandLine(argv, raiseOnUsage = true)
        match results.TryGetSubCommand() with
        | Some command ->
            refuseFlagLikeValues command
            dispatch command
        | None ->
            match results.TryGetResult Version, results.TryGetResult Allreduce_Bench with
            | Some _, _ -> dispatch Version
            | None, Some floats -> dispatch (Allreduce_Bench floats)
            | None, None ->
                eprintfn "%s" (parser.PrintUsage())
                ExitCode.UserError)

[<EntryPoint>]
let main argv = execute argv
