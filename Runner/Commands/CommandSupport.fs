// Helpers shared by the commands: reading a network file and printing diagnostics as a person sees them.
module SnnDsl.Runner.Commands.CommandSupport

open System.IO
open SnnDsl.Dsl
open SnnDsl.Dsl.Diagnostics

/// Writes every diagnostic (headline, source line, carets) to the writer.
let printDiagnostics (err: TextWriter) (diagnostics: Diagnostic seq) =
    for d in diagnostics do
        err.Write(DiagnosticRenderer.Render d)

/// The bytes of a file, or a message saying why it cannot be read.
let readFile (path: string) : Result<byte[], string> =
    try
        if Directory.Exists path then Error $"snn: error: '{path}' is a folder, not a network file"
        elif not (File.Exists path) then Error $"snn: error: no such file '{path}'"
        else Ok(File.ReadAllBytes path)
    with
    | :? IOException
    | :? System.UnauthorizedAccessException as e -> Error $"snn: error: cannot read '{path}': {e.Message}"

/// Diagnostics with the errors counted, as a closing line.
let summary (diagnostics: Diagnostic seq) =
    let errors = diagnostics |> Seq.filter (fun d -> d.IsError) |> Seq.length
    if errors = 1 then "1 error" else $"{errors} errors"

/// The exit code for a list of diagnostics.
let exitCodeOf (result: CompileResult) =
    if result.Succeeded then SnnDsl.Runner.Cli.Arguments.ExitCode.Success
    else SnnDsl.Runner.Cli.Arguments.ExitCode.UserError

/// Compiles a network file with --set overrides; on failure prints the diagnostics and gives the exit code.
let loadNetwork (err: TextWriter) (path: string) (overrides: string seq) : Result<SnnDsl.Dsl.Model.NetworkSpec * string, int> =
    match readFile path with
    | Error message ->
        err.WriteLine message
        Error SnnDsl.Runner.Cli.Arguments.ExitCode.UserError
    | Ok bytes ->
        let result = Compiler.CompileBytes(bytes, path, overrides)
        if result.Succeeded then
            Ok(nonNull result.Network, System.Text.Encoding.UTF8.GetString bytes)
        else
            printDiagnostics err result.Diagnostics
            err.WriteLine(summary result.Diagnostics)
            Error(exitCodeOf result)

/// A config value as a JSON node (for TrainingConfig.With).
let jsonValue (value: obj) : System.Text.Json.Nodes.JsonNode | null =
    System.Text.Json.Nodes.JsonNode.Parse(System.Text.Json.JsonSerializer.Serialize value)

/// A mistake of the user (bad flag value, unreadable file): printed as one line, exit code 1.
exception UserError of string

let fail message = raise (UserError message)

/// Runs a command body; a mistake the user can fix (flags, settings, data, weights) becomes one line on err and exit code 1.
let reportingUserErrorsTo (err: TextWriter) (body: unit -> int) =
    let report (message: string) =
        err.WriteLine $"snn: error: {message}"
        SnnDsl.Runner.Cli.Arguments.ExitCode.UserError
    try body ()
    with
    | UserError message -> report message
    | :? SnnDsl.Core.Training.ConfigException as e -> report e.Message
    | :? SnnDsl.Core.Data.DataException as e -> report e.Message
    | :? SnnDsl.Core.Model.WeightsException as e -> report e.Message

/// reportingUserErrorsTo on the console's error stream.
let reportingUserErrors (body: unit -> int) = reportingUserErrorsTo System.Console.Error body
