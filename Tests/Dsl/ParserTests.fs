// Parser tests: expected error spans marked inline with « », exact messages, recovery, and never throwing on any input.
module SnnDsl.Tests.Dsl.ParserTests

open Expecto
open FsCheck
open SnnDsl.Dsl
open SnnDsl.Dsl.Syntax
open SnnDsl.Tests.Dsl.DslTestSupport

let parse (text: string) =
    let struct (tree, diagnostics) = Compiler.Parse(text, "t.snn")
    tree, List.ofSeq diagnostics

let statementsOf (tree: CompilationUnitSyntax) = (nonNull tree.Network).Body.Statements |> List.ofSeq

[<Tests>]
let tests =
    testList "Dsl.Parser" [
        test "a missing value, then the junk after it" {
            expectDiagnostics (networkWith "  conv(64, «;»«)»")
                [ "SNN0006", "unexpected ';', expected a value"
                  "SNN0006", "unexpected ')', expected a layer, a block or a statement" ]
        }
        test "a missing comma is reported once at the unexpected token" {
            expectDiagnostics (networkWith "  conv(64 «3»)") [ "SNN0006", "unexpected number 3, expected ')'" ]
        }
        test "a missing ')' at the end of a line points after the last token" {
            expectDiagnostics (networkWith "  conv(64, 3«»\n  bn") [ "SNN0012", "expected ')' after '3' at the end of this line" ]
        }
        test "the version line is required" {
            expectDiagnostics "«network» n { input [1] }" [ "SNN0007", "a network file starts with the language version line 'snn 1'" ]
        }
        test "only language version 1 is read" {
            expectDiagnostics "snn «2»\nnetwork n { input [1] }"
                [ "SNN0008", "this file is written for language version 2, but this tool reads version 1" ]
        }
        test "an empty file" {
            expectDiagnostics "«»" [ "SNN0001", "the file is empty; a network file starts with the version line 'snn 1' followed by 'network name { ... }'" ]
        }
        test "a file of blank lines is empty too" {
            expectDiagnostics "«»\n\n   \n" [ "SNN0001", "the file is empty; a network file starts with the version line 'snn 1' followed by 'network name { ... }'" ]
        }
        test "an unterminated block points at its '{'" {
            expectDiagnostics "snn 1\nnetwork n «{»\n  input [3, 8, 8]\n  bn\n" [ "SNN0010", "this '{' is never closed; add a '}' to end it" ]
        }
        test "a missing '}' points at the outermost '{' left open" {
            expectDiagnostics "snn 1\nnetwork n «{»\n  input [3, 8, 8]\n  residual add { bn\n}\n" [ "SNN0010", "this '{' is never closed; add a '}' to end it" ]
        }
        test "an unterminated string" {
            expectDiagnostics (networkWith "  conv(64, 3, bias = «\"true)»")
                [ "SNN0004", "this string is never closed; add a '\"' before the end of the line" ]
        }
        test "text after the network" {
            expectDiagnostics "snn 1\nnetwork n { input [1] }\n«network» m { }\n" [ "SNN0011", "unexpected text after the end of the network; a file holds one network" ]
        }
        test "every syntax error of a file is reported in one run" {
            expectDiagnostics (networkWith "  conv(64 «3»)\n  bn\n  linear(«=»)\n  lif «@»")
                [ "SNN0006", "unexpected number 3, expected ')'"
                  "SNN0006", "unexpected '=', expected a value"
                  "SNN0003", "unexpected character '@'" ]
        }
        test "deep nesting is refused once, without a stack overflow" {
            let text = "snn 1\nnetwork n {\n" + String.replicate 100000 "{" + "\n}"
            let _, diagnostics = parse text
            Expect.equal (codes diagnostics) [ "SNN0009" ] "one nesting error"
        }
        test "deeply nested parentheses are refused too" {
            let text = networkWith ("  conv(" + String.replicate 100000 "(" + "1")
            let _, diagnostics = parse text
            Expect.equal (codes diagnostics) [ "SNN0009" ] "one nesting error"
        }
        test "labels, repeat, for, residual and shortcut parse into their nodes" {
            let tree, diagnostics = parse (networkWith "  s: repeat 2 bn\n  for w in [1, 2] { conv(w, 3) }\n  residual and { bn } shortcut { bn }")
            Expect.isEmpty diagnostics "no errors"
            match statementsOf tree with
            | [ :? InputSyntax; :? RepeatSyntax as r; :? ForSyntax as f; :? ResidualSyntax as res ] ->
                Expect.equal (nonNull r.Label).Text "s" "label"
                Expect.equal f.Variable.Text "w" "loop variable"
                Expect.equal (nonNull res.Merge).Text "and" "merge"
                Expect.isNotNull (nonNull res.Shortcut).Body "shortcut body"
            | other -> failtestf "unexpected statements %A" other
        }
        test "statements on one line are marked SameLine" {
            let tree, _ = parse (networkWith "  conv(8, 3); bn; lif\n  flatten")
            Expect.equal (statementsOf tree |> List.map (fun s -> s.SameLine)) [ false; false; true; true; false ] "same line flags"
        }
        test "arithmetic binds * before +" {
            let tree, _ = parse (networkWith "  linear(1 + 2 * 3)")
            match statementsOf tree |> List.last with
            | :? CallSyntax as c ->
                match c.Arguments[0].Value with
                | :? BinarySyntax as b -> Expect.equal b.Operator BinaryOperator.Add "top operator"
                | other -> failtestf "not binary: %A" other
            | other -> failtestf "not a call: %A" other
        }
        test "every truncation and every one-character deletion of an example compiles without throwing" {
            let text = example "sew_resnet34"
            for i in 0 .. 3 .. text.Length - 1 do
                let truncated = Compiler.Compile(text.Substring(0, i), "t.snn")
                if text.Substring(0, i).TrimEnd() <> text.TrimEnd() then // dropping only the final newline leaves a valid file
                    Expect.isNonEmpty truncated.Diagnostics $"truncated at {i} has diagnostics"
                Compiler.Compile(text.Remove(i, 1), "t.snn") |> ignore
        }
        testProperty "the parser never throws, whatever the text" <| fun (text: string | null) ->
            let text =
                match text with
                | null -> ""
                | t -> t
            parse text |> ignore
            true
        testProperty "the parser never throws on shuffled language tokens" <| fun (picks: int list) ->
            let vocabulary =
                [| "snn"; "1"; "network"; "n"; "{"; "}"; "("; ")"; "["; "]"; ","; ";"; ":"; "="; "conv"; "residual"
                   "repeat"; "for"; "in"; "shortcut"; "block"; "input"; "neuron"; "\""; "-"; "*"; "2.5"; "\n"; "#" |]
            let text = picks |> List.map (fun i -> vocabulary[abs (i % vocabulary.Length)]) |> String.concat " "
            Compiler.Compile(text, "t.snn") |> ignore
            true
    ]
