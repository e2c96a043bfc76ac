// Helpers of the commands that run networks: the shared flags (network, --set, weights, seed, device, threads) read once.
module SnnDsl.Runner.Commands.RunSupport

open System
open System.IO
open TorchSharp
open SnnDsl.Dsl.Model
open SnnDsl.Core.Estimators
open SnnDsl.Core.Model
open SnnDsl.Core.Settings
open SnnDsl.Runner.Cli.UserErrors
open SnnDsl.Runner.Commands.CommandSupport

/// Compiles a network file with --set overrides; diagnostics go to err, and a failure is a user error.
let loadSpec (file: string) (overrides: string list) (err: TextWriter) : NetworkSpec = fst (loadNetwork err file overrides)

/// Parses a comma-separated list with a parser per item; names the bad item.
let parseList (what: string) (parse: string -> 'T option) (text: string) : 'T list =
    [ for item in text.Split(',', StringSplitOptions.RemoveEmptyEntries ||| StringSplitOptions.TrimEntries) ->
        match parse item with
        | Some value -> value
        | None -> fail $"'{item}' is not a valid {what}" ]
    |> function
        | [] -> fail $"the list of {what}s is empty"
        | items -> items

/// What bench and grad compare when no --estimators is given: the four estimators of the rate-BP paper.
let defaultEstimators = [ EstimatorKind.BpttM; EstimatorKind.BpttS; EstimatorKind.RateM; EstimatorKind.RateS ]

let parseEstimators (text: string) =
    parseList $"estimator (expected {EstimatorNames.Table.Expected})" (EstimatorNames.Parse >> Option.ofNullable) text

/// Comma-separated T values, each checked by the estimator section as train's -T is (1 to its limit).
/// A comma-separated list of precisions ("fp32,bf16"), by the settings' one name table.
let parsePrecisions (text: string) =
    parseList $"precision (expected {SettingNames.Precision.Expected})" (SettingNames.Precision.TryParse >> Option.ofNullable) text

let parseSteps (text: string) =
    let valid (item: string) =
        match Int32.TryParse item with
        | true, n when n >= 1 && n <= EstimatorSettings.MaxTimeSteps -> Some n
        | _ -> None
    parseList $"number of time steps (an integer in [1, {EstimatorSettings.MaxTimeSteps}])" valid text

let requirePositive (what: string) (value: int) = if value > 0 then value else fail $"{what} must be positive, got {value}"

/// Applies the settings' libtorch threads (0 keeps libtorch's choice); the sections checked the range.
let applyThreads (settings: TrainingConfig) =
    if settings.Runtime.Threads > 0 then torch.set_num_threads settings.Runtime.Threads

/// The settings' device: cpu, cuda or cuda:i; refuses CUDA when this build or machine has none.
let deviceOf (settings: TrainingConfig) : torch.Device = SnnDsl.Core.Runtime.Devices.Parse settings.Runtime.Device

/// The settings' --weights-map, read by the one parser (WeightMap.Parse) for the network they name.
let weightMapOf (settings: TrainingConfig) =
    try WeightMap.Parse(settings.Runtime.WeightsMap, settings.Network)
    with :? WeightsException as e -> fail $"--weights-map: {e.Message}"

/// Loads weights into the network when a file is given; a file that does not fit is a user error naming the tensor.
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
