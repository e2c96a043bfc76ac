// Formatter tests: parse -> format -> parse is the identity on every example, and messy text prints canonically.
module SnnDsl.Tests.Dsl.FormatterTests

open System.IO
open Expecto
open SnnDsl.Dsl
open SnnDsl.Dsl.Formatting
open SnnDsl.Tests.Dsl.DslTestSupport

let parseClean (text: string) =
    let struct (tree, diagnostics) = Compiler.Parse(text, "t.snn")
    Expect.isEmpty (diagnostics |> Seq.map string |> List.ofSeq) "parses without errors"
    tree

let roundTrip (file: string) =
    test (nonNull (Path.GetFileName file)) {
        let text = File.ReadAllText file
        let tree = parseClean text
        let printed = Formatter.Format tree
        Expect.equal (parseClean printed) tree "parse -> format -> parse gives the same tree"
        Expect.equal (Formatter.Format(parseClean printed)) printed "formatting is idempotent"
        Expect.equal printed text "the example is in canonical form"
    }

let messy = "# header\nsnn   1\nnetwork n( classes=10 ){input [3,8,8] # shape\n\n\n  stem : conv( 8,3 ,bias=false ) bn ;lif\n residual   and{bn}shortcut identity\n  for w in [1,2]{\nconv(w,3)}\n # closing\n}\n"

let canonical = "# header\nsnn 1\n\nnetwork n(classes = 10) {\n  input [3, 8, 8]  # shape\n\n  stem: conv(8, 3, bias = false); bn; lif\n  residual and { bn } shortcut identity\n  for w in [1, 2] {\n    conv(w, 3)\n  }\n  # closing\n}\n"

[<Tests>]
let tests =
    testList "Dsl.Formatter" [
        testList "round trip on every example" [ for file in exampleFiles () -> roundTrip file ]
        test "there are examples to round-trip" { Expect.isGreaterThanOrEqual (List.length (exampleFiles ())) 9 "the zoo" }
        test "messy text prints canonically, keeping comments" {
            Expect.equal (Formatter.Format(parseClean messy)) canonical "canonical text"
        }
        test "messy and canonical text are the same tree" {
            Expect.equal (parseClean canonical) (parseClean (Formatter.Format(parseClean messy))) "same tree"
        }
        test "spans take no part in tree equality, content does" {
            Expect.equal (parseClean (networkWith "bn")) (parseClean (networkWith "     bn")) "same tree"
            Expect.notEqual (parseClean (networkWith "bn")) (parseClean (networkWith "lif")) "different trees"
        }
        test "parentheses the tree needs are kept" {
            let tree = parseClean (networkWith "  linear((1 + 2) * 3 - -4.5)")
            Expect.stringContains (Formatter.Format tree) "linear((1 + 2) * 3 - -4.5)" "expression"
        }
    ]
