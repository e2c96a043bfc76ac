// Core's rooms: reads Core's C# sources and fails when two of its folders use each other (directly or round a cycle).
module SnnDsl.Tests.Core.RoomsTests

open System.IO
open System.Text.RegularExpressions
open Expecto

/// The folder of Core a source file lives in, as a room name ("Training", "Data/Sources").
let private roomOf (coreRoot: string) (file: string) =
    Path.GetRelativePath(coreRoot, Path.GetDirectoryName file |> nonNull).Replace('\\', '/')

let private comments = Regex(@"//[^\n]*|/\*.*?\*/", RegexOptions.Singleline)
let private strings = Regex("\"(?:[^\"\\\\\\n]|\\\\.)*\"")
let private fullNames = Regex(@"SnnDsl\.Core\.([A-Za-z_][\w.]*)")
// A partly qualified name such as `Benchmarks.OperationCounter` or `Data.Sources.TrainingData`: inside namespace
// SnnDsl.Core.X it resolves through the parent namespace, so it is a use of that room with no `using`.
let private partialNames = Regex(@"(?<![\w.])([A-Z]\w*(?:\.[A-Z]\w*)?)\.[A-Z]")
let private namespaceLine = Regex(@"^\s*namespace\s", RegexOptions.Multiline)

/// The rooms a source text names, by `using`, full name or a partly qualified name; its own room excluded.
let roomsUsedBy (rooms: Set<string>) (room: string) (text: string) =
    let code = strings.Replace(comments.Replace(text, ""), "\"\"")
    let code = code.Split('\n') |> Array.filter (fun l -> not (namespaceLine.IsMatch l)) |> String.concat "\n"
    // the longest room a dotted name starts with: SnnDsl.Core.Data.Sources.X is Data/Sources, SnnDsl.Core.Data.X is Data
    let roomOfName (dotted: string) =
        let parts = dotted.Split('.')
        seq { parts.Length .. -1 .. 1 }
        |> Seq.map (fun k -> String.concat "/" parts[.. k - 1])
        |> Seq.tryFind rooms.Contains
    let named =
        [ for m in fullNames.Matches code -> roomOfName m.Groups[1].Value
          for m in partialNames.Matches code -> (let r = m.Groups[1].Value.Replace('.', '/') in if rooms.Contains r then Some r else None) ]
    named |> List.choose id |> List.filter ((<>) room) |> Set.ofList

/// A nested room sees its parent's namespace without naming it (SnnDsl.Core.Data.Sources sees SnnDsl.Core.Data).
let private parentOf (rooms: Set<string>) (room: string) =
    match room.LastIndexOf '/' with
    | -1 -> Set.empty
    | i when rooms.Contains room[.. i - 1] -> Set.singleton room[.. i - 1]
    | _ -> Set.empty

/// Edges room -> room used, with the files that make each one.
let roomEdges (rooms: Set<string>) (sources: (string * string * string) list) =
    sources
    |> List.collect (fun (room, file, text) ->
        Set.union (roomsUsedBy rooms room text) (parentOf rooms room) |> Set.toList |> List.map (fun used -> (room, used), file))
    |> List.groupBy fst
    |> List.map (fun (edge, files) -> edge, files |> List.map snd |> List.distinct)
    |> Map.ofList

/// Every cycle's rooms in order (a -> b -> ... -> a), found by depth-first search; empty when the rooms form layers.
let cycles (edges: Map<string * string, string list>) =
    let next = edges |> Map.toList |> List.map (fst) |> List.groupBy fst |> Map.ofList |> Map.map (fun _ es -> es |> List.map snd)
    let found = ResizeArray<string list>()
    let rec visit (path: string list) room =
        match List.tryFindIndex ((=) room) path with
        | Some i -> found.Add(List.rev (room :: List.take (i + 1) path))
        | None -> for n in Map.tryFind room next |> Option.defaultValue [] do visit (room :: path) n
    for room in next.Keys do visit [] room
    found |> Seq.map (fun c -> let body = List.tail c in let r = List.min body in let i = List.findIndex ((=) r) body in (body[i..] @ body[..i - 1]) @ [ r ])
          |> Seq.distinct |> List.ofSeq

let private coreRoot =
    let rec up (d: DirectoryInfo | null) =
        match d with
        | null -> failwith "no Core folder above the test binary"
        | d when File.Exists(Path.Combine(d.FullName, "Core", "Core.csproj")) -> Path.Combine(d.FullName, "Core")
        | d -> up d.Parent
    up (DirectoryInfo System.AppContext.BaseDirectory)

let private coreSources () =
    let skip (f: string) = f.Contains "/obj/" || f.Contains "/bin/"
    Directory.GetFiles(coreRoot, "*.cs", SearchOption.AllDirectories)
    |> Array.filter (skip >> not)
    |> Array.map (fun f -> roomOf coreRoot f, Path.GetRelativePath(coreRoot, f), File.ReadAllText f)
    |> List.ofArray

let private describe (edges: Map<string * string, string list>) (cycle: string list) =
    let edge (a, b) = let files = String.concat ", " edges[(a, b)] in $"{a} -> {b} ({files})"
    cycle |> List.pairwise |> List.map edge |> String.concat "; "

[<Tests>]
let tests =
    testList "Core.Rooms" [
        test "no two folders of Core use each other, directly or round a cycle" {
            let sources = coreSources ()
            let rooms = sources |> List.map (fun (r, _, _) -> r) |> Set.ofList
            Expect.isGreaterThan rooms.Count 10 "Core's folders were found"
            let edges = roomEdges rooms sources
            let found = cycles edges
            Expect.isEmpty found $"""rooms that use each other: {found |> List.map (describe edges) |> String.concat " | "}"""
        }

        test "the check sees a using, a full name and a partly qualified name, and reports the cycle they make" {
            let rooms = set [ "Layers"; "Metrics"; "Training"; "Data"; "Data/Sources" ]
            let sources =
                [ "Layers", "Layers/PassContext.cs", "namespace SnnDsl.Core.Layers;\nclass P { Metrics.OperationCounter? c; }"
                  "Metrics", "Metrics/Ops.cs", "using SnnDsl.Core.Layers;\nnamespace SnnDsl.Core.Metrics;\n// Training.Trainer in a comment\nclass O { string s = \"Training.X\"; }"
                  "Training", "Training/Trainer.cs", "namespace SnnDsl.Core.Training;\nclass T { SnnDsl.Core.Data.Sources.TrainingData d; }" ]
            let edges = roomEdges rooms sources
            Expect.equal (edges |> Map.keys |> Set.ofSeq) (set [ "Layers", "Metrics"; "Metrics", "Layers"; "Training", "Data/Sources" ])
                "a partly qualified name, a using and a nested room's full name; nothing from comments or strings"
            Expect.equal (cycles edges) [ [ "Layers"; "Metrics"; "Layers" ] ] "the two-way tie is reported once"
            let longer = edges |> Map.add ("Data/Sources", "Layers") [ "x" ] |> Map.add ("Metrics", "Training") [ "y" ] |> Map.remove ("Metrics", "Layers")
            Expect.equal (cycles longer) [ [ "Data/Sources"; "Layers"; "Metrics"; "Training"; "Data/Sources" ] ] "a longer cycle is reported"
        }
    ]
