// The one path of user errors: raising one (fail), recognising one among exceptions, and the line printed for it.
module SnnDsl.Runner.Cli.UserErrors

open System
open System.IO
open System.Text.RegularExpressions
open SnnDsl.Core.Errors

/// Ends the command with a user error: one line "snn: error: MESSAGE", exit code 1.
let fail (message: string) : 'T = raise (UserException message)

let private bytesText (bytes: float) =
    if bytes >= 1073741824.0 then $"%.1f{bytes / 1073741824.0} GB" else $"%.0f{bytes / 1048576.0} MB"

/// The size in a libtorch allocation failure ("you tried to allocate 123 bytes", "Tried to allocate 2.00 GiB").
let private allocationSize (message: string) =
    let plain = Regex.Match(message, @"allocate (\d+) bytes")
    let cuda = Regex.Match(message, @"[Tt]ried to allocate ([\d.]+ [KMG]i?B)")
    if plain.Success then Some(bytesText (float plain.Groups[1].Value))
    elif cuda.Success then Some cuda.Groups[1].Value
    else None

let private outOfMemory (size: string option) =
    let what = size |> Option.map (fun s -> $"a tensor of {s}") |> Option.defaultValue "a tensor"
    $"out of memory allocating {what}; use a smaller --batch-size or -T (activations grow with both)"

/// The message of an exception that is the user's to fix, or None for a fault of snn itself.
let describe (e: exn) : string option =
    match e with
    | :? UserException as u -> Some u.Message
    | :? UnauthorizedAccessException as u -> Some $"permission denied: {u.Message}"
    | :? IOException as io -> Some io.Message
    | :? OutOfMemoryException -> Some(outOfMemory None)
    | :? Runtime.InteropServices.ExternalException as x when (x.Message.Contains "allocate" && x.Message.Contains "memory") ->
        Some(outOfMemory (allocationSize x.Message))
    | _ -> None

/// "snn: error: MESSAGE", naming the rank when the process is one of several.
let line (rank: (int * int) option) (message: string) =
    match rank with
    | Some(r, n) when n > 1 -> $"snn: error: rank {r} of {n}: {message}"
    | _ -> $"snn: error: {message}"

/// One sentence from Argu's parse failure (its "ERROR: ..." line, without the usage it appends), with a pointer to the
/// command's --help: "unrecognized argument: '--bogus'; see 'snn train --help'".
let parseError (arguMessage: string) =
    let lines = arguMessage.Split('\n') |> Array.map (fun l -> l.Trim()) |> Array.filter (fun l -> l <> "")
    let error = lines |> Array.tryFind (fun l -> l.StartsWith "ERROR:") |> Option.defaultValue (Array.tryHead lines |> Option.defaultValue "bad command line")
    let usage = lines |> Array.tryFind (fun l -> l.StartsWith "USAGE:")
    let command =
        match usage with
        | Some u -> u.Substring(6).Trim().Split(' ') |> Array.takeWhile (fun w -> not (w.StartsWith "[") && not (w.StartsWith "<") && not (w.StartsWith "-")) |> String.concat " "
        | None -> "snn"
    let sentence = error.Replace("ERROR:", "").Trim().TrimEnd('.')
    $"{sentence}; see '{command} --help'"
