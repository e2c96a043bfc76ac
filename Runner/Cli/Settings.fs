// Flags to config.json settings, derived from the Argu case names: Time_Steps 6 is "time-steps": 6, No_Dvs_Flip is "dvs-flip": false.
module SnnDsl.Runner.Cli.Settings

open System
open System.Text.Json.Nodes
open Microsoft.FSharp.Reflection
open SnnDsl.Core.Settings
open SnnDsl.Runner.Cli.UserErrors

/// The config.json key a union case names: its name in lower case with '-' for '_'.
let keyOf (case: UnionCaseInfo) = case.Name.ToLowerInvariant().Replace('_', '-')

/// The flag as typed: --key.
let flagOf (key: string) = "--" + key

let private isKey (key: string) = TrainingConfig.Keys |> Seq.contains key

let private valueNode (key: string) (value: obj) : JsonNode | null =
    match value with
    | :? float as x when not (Double.IsFinite x) -> fail $"{flagOf key} {x}: expected a finite number"
    | :? string as s -> JsonValue.Create s
    | :? int as n -> JsonValue.Create n
    | :? int64 as n -> JsonValue.Create n
    | :? float as x -> JsonValue.Create x
    | :? bool as b -> JsonValue.Create b
    | other -> invalidArg "value" $"flag {key} has a value of type {other.GetType().Name}, which no setting takes"

/// The setting a parsed flag sets, or None for a flag that is not a setting (run options such as --resume).
let settingOf (arg: 'Arg) : (string * (JsonNode | null)) option =
    let case, fields = FSharpValue.GetUnionFields(box arg |> nonNull, typeof<'Arg>)
    let key = keyOf case
    match fields with
    | [||] when isKey key -> Some(key, JsonValue.Create true)
    | [||] when key.StartsWith "no-" && isKey (key.Substring 3) -> Some(key.Substring 3, JsonValue.Create false)
    | [| value |] when isKey key -> Some(key, valueNode key (nonNull value))
    | _ -> None

/// Every union case of 'Arg that is not a setting.
let optionCases<'Arg> () =
    FSharpType.GetUnionCases typeof<'Arg>
    |> Array.map keyOf
    |> Array.filter (fun key -> not (isKey key || (key.StartsWith "no-" && isKey (key.Substring 3))))
    |> List.ofArray

/// The settings of parsed flags, for TrainingConfig.With, leaving out the keys in <paramref name="except"/>.
let settingsOf (except: string list) (args: 'Arg list) =
    args |> List.choose settingOf |> List.filter (fun (key, _) -> not (List.contains key except)) |> List.map (fun (k, v) -> struct (k, v))

/// A network parameter assignment name=value, as the key network-parameters.name.
let assignment (text: string) =
    match text.IndexOf '=' with
    | i when i > 0 -> struct ($"network-parameters.{text.Substring(0, i).Trim()}", JsonValue.Create(text.Substring(i + 1).Trim()) :> JsonNode | null)
    | _ -> fail $"--set expects name=value, got '{text}'"

/// The settings of a command from its parsed flags that are config.json keys and its --set values, over the settings
/// it starts from, checked by the same sections as train's: bench, grad and doctor read their network, seed, device,
/// threads, weights, weights map, T and batch here. <paramref name="except"/>: keys the command spells differently.
let resolve (defaults: TrainingConfig) (except: string list) (args: 'Arg list) (sets: string list) =
    defaults.With(settingsOf except args @ (sets |> List.map assignment), "command line").Validated()
