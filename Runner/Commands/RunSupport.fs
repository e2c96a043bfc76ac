// Helpers of the commands that run networks: loading a network file, parsing lists and devices, weights, user errors.
module SnnDsl.Runner.Commands.RunSupport

open System
open System.IO
open TorchSharp
open SnnDsl.Dsl
open SnnDsl.Dsl.Model
open SnnDsl.Core.Model
open SnnDsl.Core.Estimators
open SnnDsl.Core.Benchmarks
open SnnDsl.Runner.Cli.Arguments
open SnnDsl.Runner.Commands.CommandSupport

/// Compiles a network file with --set overrides; diagnostics go to err, and a failure becomes a UserError.
let loadSpec (file: string) (overrides: string list) (err: TextWriter) : NetworkSpec =
    match loadNetwork err file overrides with
    | Ok(network, _) -> network
    | Error _ -> fail $"{file} was not loaded"

/// Parses a comma-separated list with a parser per item; names the bad item.
let parseList (what: string) (parse: string -> 'T option) (text: string) : 'T list =
    [ for item in text.Split(',', StringSplitOptions.RemoveEmptyEntries ||| StringSplitOptions.TrimEntries) ->
        match parse item with
        | Some value -> value
        | None -> fail $"'{item}' is not a valid {what}" ]
    |> function
        | [] -> fail $"the list of {what}s is empty"
        | items -> items

let parseEstimators (text: string) =
    let names = EstimatorNames.All |> Seq.map (fun struct (n, _) -> n) |> String.concat ", "
    parseList $"estimator (expected one of {names})" (fun s -> EstimatorNames.Parse s |> Option.ofNullable) text

let private positive (s: string) =
    match Int32.TryParse s with
    | true, n when n > 0 -> Some n
    | _ -> None

let parseSteps (text: string) = parseList "number of time steps (a positive integer)" positive text

let requirePositive (what: string) (value: int) = if value > 0 then value else fail $"{what} must be positive, got {value}"

/// cpu, cuda or cuda:i; refuses CUDA when this build or machine has none.
let parseDevice (text: string) : torch.Device =
    let lower = text.Trim().ToLowerInvariant()
    if lower = "cpu" then torch.CPU
    elif lower = "cuda" || lower.StartsWith "cuda:" then
        if not (torch.cuda.is_available()) then fail $"device '{text}': CUDA is not available (this build uses the CPU libtorch, or no GPU is visible)"
        match lower.Split(':') with
        | [| _ |] -> torch.CUDA
        | [| _; index |] when (positive index).IsSome || index = "0" -> torch.device($"cuda:{index}")
        | _ -> fail $"'{text}' is not a device; expected cpu, cuda or cuda:<index>"
    else fail $"'{text}' is not a device; expected cpu, cuda or cuda:<index>"

/// --weights-map: name (default), order, reference (the name map beside the network file) or a .names.tsv file.
let parseMapping (networkFile: string) (text: string option) =
    let text = text |> Option.map (fun s -> s.Trim()) |> Option.defaultValue "name"
    let lower = text.ToLowerInvariant()
    try WeightMap.Parse((if lower.EndsWith NameMap.Extension then text else lower), networkFile)
    with :? WeightsException as e -> fail $"--weights-map: {e.Message}"

/// Loads weights into the network when a file is given; a file that does not fit is a UserError naming the tensor.
let loadWeights (network: SpikingNetwork) (file: string option) (mapping: WeightMap) =
    match file with
    | None -> ()
    | Some path ->
        try WeightIO.Load(network, path, mapping)
        with :? WeightsException as e -> fail $"--weights {path}: {e.Message}"

/// The default surrogate-gradient form of the estimators.
let defaultGradientForm = (EstimatorOptions 1).GradientForm

let private gradientForm (text: string) =
    match text.ToLowerInvariant() with
    | "straight-through" -> Some SnnDsl.Core.Surrogates.SpikeGradientForm.StraightThrough
    | "custom" -> Some SnnDsl.Core.Surrogates.SpikeGradientForm.CustomFunction
    | _ -> None

/// A comma-separated list of surrogate-gradient forms (straight-through, custom); the estimators' default when absent.
let parseGradientForms (text: string option) =
    match text with
    | None -> [ defaultGradientForm ]
    | Some list -> parseList "spike gradient form (expected straight-through or custom)" gradientForm list

/// Runs a command body; user errors become one line on err and exit code 1.
let guard (err: TextWriter) (body: unit -> int) = reportingUserErrorsTo err body
