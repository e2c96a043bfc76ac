// Helpers shared by the commands: reading a network file and printing diagnostics as a person sees them.
module SnnDsl.Runner.Commands.CommandSupport

open System.IO
open SnnDsl.Dsl
open SnnDsl.Dsl.Diagnostics
open SnnDsl.Core.Runs
open SnnDsl.Core.Settings
open SnnDsl.Runner.Cli

/// Writes the diagnostics (headline, source line, carets) to the writer: the first 20, then how many more there are.
let printDiagnostics (err: TextWriter) (diagnostics: Diagnostic seq) =
    err.Write(DiagnosticRenderer.RenderCapped(Seq.toArray diagnostics))

/// The bytes of a file, or the user error saying why it cannot be read.
let tryReadFile (path: string) : Result<byte[], string> =
    try
        if Directory.Exists path then Error $"'{path}' is a folder, not a network file"
        elif not (File.Exists path) then Error $"no such file '{path}'"
        else Ok(File.ReadAllBytes path)
    with
    | :? IOException
    | :? System.UnauthorizedAccessException as e -> Error $"cannot read '{path}': {e.Message}"

/// The bytes of a file; a file that cannot be read is a user error.
let readFile (path: string) =
    match tryReadFile path with
    | Ok bytes -> bytes
    | Error message -> UserErrors.fail message

/// Diagnostics with the errors counted, as a closing line.
let summary (diagnostics: Diagnostic seq) =
    let errors = diagnostics |> Seq.filter (fun d -> d.IsError) |> Seq.length
    if errors = 1 then "1 error" else $"{errors} errors"

/// The exit code for a list of diagnostics.
let exitCodeOf (result: CompileResult) =
    if result.Succeeded then SnnDsl.Runner.Cli.Arguments.ExitCode.Success
    else SnnDsl.Runner.Cli.Arguments.ExitCode.UserError

/// Compiles network source with --set overrides; on failure prints the diagnostics and raises the user error.
let compileNetwork (err: TextWriter) (bytes: byte[]) (path: string) (overrides: string seq) =
    let result = Compiler.CompileBytes(bytes, path, overrides)
    if result.Succeeded then nonNull result.Network, System.Text.Encoding.UTF8.GetString bytes
    else
        printDiagnostics err result.Diagnostics
        UserErrors.fail $"{path}: {summary result.Diagnostics}"

/// Reads and compiles a network file with --set overrides: the spec and the source text.
let loadNetwork (err: TextWriter) (path: string) (overrides: string seq) = compileNetwork err (readFile path) path overrides

/// A config's network parameters as the compiler's --set overrides ("classes=100").
let private overridesOf (config: TrainingConfig) = config.NetworkParameters |> Seq.map (fun kv -> $"{kv.Key}={kv.Value}")

/// The network a config names: its file compiled with its network parameters (the --set values of the run).
let loadConfigured (err: TextWriter) (config: TrainingConfig) = loadNetwork err config.Network (overridesOf config)

/// A recorded run's own network.snn, compiled with the network parameters of <paramref name="config"/>.
let compileRecorded (err: TextWriter) (recorded: RecordedRun) (config: TrainingConfig) =
    compileNetwork err (System.Text.Encoding.UTF8.GetBytes recorded.NetworkSource) recorded.NetworkFile (overridesOf config)

/// The one line a bf16 run prints at start on a CPU without native bf16 (nothing for fp32, CUDA or a bf16 CPU).
let notePrecision (out: TextWriter) (precision: SnnDsl.Core.Layers.Precision) (device: TorchSharp.torch.Device) =
    match SnnDsl.Core.Doctor.Bf16Support.StartWarning(precision, device.``type``, SnnDsl.Core.Doctor.Bf16Support.ThisCpu()) with
    | null -> ()
    | line -> out.WriteLine line
