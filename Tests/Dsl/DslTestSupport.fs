// Helpers for the language tests: inline span markers, compiling snippets, finding examples, comparing network records.
module SnnDsl.Tests.Dsl.DslTestSupport

open System
open System.IO
open System.Text
open Expecto
open SnnDsl.Dsl
open SnnDsl.Dsl.Model
open SnnDsl.Dsl.Diagnostics

/// Marks the expected span of an error inside a test source: conv(64, «[x]»).
let markStart, markEnd = '«', '»'

/// The source with markers removed and the (start, length) of every marked span, in order.
let unmark (annotated: string) =
    let text = StringBuilder()
    let spans = ResizeArray()
    let mutable start = -1
    for c in annotated do
        if c = markStart then start <- text.Length
        elif c = markEnd then spans.Add(start, text.Length - start)
        else text.Append c |> ignore
    text.ToString(), List.ofSeq spans

/// A minimal valid file around some network statements.
let networkWith (body: string) = $"snn 1\nnetwork n(classes = 10) {{\n  input [3, 8, 8]\n{body}\n}}\n"

let compile (text: string) = Compiler.Compile(text, "test.snn")

/// Asserts the diagnostics of an annotated source: one per marker, in order, with these exact codes and messages.
let expectDiagnostics (annotated: string) (expected: (string * string) list) =
    let text, spans = unmark annotated
    let diagnostics = (compile text).Diagnostics |> List.ofSeq
    let actual = diagnostics |> List.map (fun d -> d.Code, d.Message)
    Expect.equal actual expected "codes and messages"
    Expect.equal (diagnostics |> List.map (fun d -> d.Span.Start, d.Span.Length)) spans "spans (marked with « »)"

/// Asserts that a source compiles without diagnostics and returns its network.
let expectNetwork (text: string) =
    let result = compile text
    Expect.isEmpty (result.Diagnostics |> Seq.map string |> List.ofSeq) "no diagnostics"
    Expect.isNotNull result.Network "a network"
    result

/// The neuron of a network whose only layer is a neuron layer, `body` written as in `networkWith`.
let onlyNeuronOf (body: string) =
    match List.ofSeq (nonNull (expectNetwork (networkWith body)).Network).Layers with
    | [ :? NeuronLayerSpec as n ] -> n.Neuron
    | other -> failtestf "expected one neuron layer, got %A" other

/// The repository root, found by walking up from the test assembly to the folder holding SnnDsl.sln.
let repoRoot =
    let rec up (dir: DirectoryInfo | null) =
        match dir with
        | null -> failwith "SnnDsl.sln not found above the test assembly"
        | d when File.Exists(Path.Combine(d.FullName, "SnnDsl.sln")) -> d.FullName
        | d -> up d.Parent
    up (DirectoryInfo AppContext.BaseDirectory)

let examplesFolder = Path.Combine(repoRoot, "examples", "networks")

let exampleFiles () = Directory.GetFiles(examplesFolder, "*.snn") |> Array.sort |> List.ofArray

let example (name: string) = File.ReadAllText(Path.Combine(examplesFolder, name + ".snn"))

/// A structural text of a layer tree (records with list fields compare by reference, so compare this instead).
let rec describe (layer: LayerSpec) : string =
    match layer with
    | :? SequenceSpec as s -> $"""seq {s.Name} [{s.Layers |> Seq.map describe |> String.concat "; "}]"""
    | :? ResidualSpec as r ->
        let shortcut =
            match r.Shortcut with
            | null -> "identity"
            | s -> describe s
        $"residual {r.Name} {r.Merge} body={describe r.Body} shortcut={shortcut}"
    | leaf -> string leaf

let describeNetwork (network: NetworkSpec) = $"{network.Name} {network.Input} {describe network.Root}"

/// The total parameter count of a compiled network (leaf rows only).
let totalParameters (result: CompileResult) =
    result.LayerTable
    |> Seq.filter (fun r -> not (r.Kind.StartsWith "sequence" || r.Kind.StartsWith "residual"))
    |> Seq.sumBy (fun r -> r.Parameters)

let codes (diagnostics: Diagnostic seq) = diagnostics |> Seq.map (fun d -> d.Code) |> List.ofSeq
