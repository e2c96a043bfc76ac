// Bounded work on hostile network files: long operator chains, thousands of errors on one line, very long lines.
module SnnDsl.Tests.Dsl.BoundsTests

open System
open System.IO
open System.Threading
open Expecto
open SnnDsl.Dsl
open SnnDsl.Dsl.Diagnostics
open SnnDsl.Tests.Dsl.DslTestSupport

/// Runs f on a thread with a 1 MB stack, so a recursion that grows with the input fails here rather than on a big stack.
let private onSmallStack (f: unit -> 'T) =
    let mutable result = Unchecked.defaultof<'T>
    let mutable error: exn | null = null
    let thread = Thread((fun () -> try result <- f () with e -> error <- e), 1024 * 1024)
    thread.Start()
    thread.Join()
    match error with
    | null -> result
    | e -> raise e

let private chain (terms: int) = String.Join(" * ", Array.create terms "1") + " * classes"

[<Tests>]
let tests =
    testList "Dsl.Bounds" [
        test "a chain of 25,000 terms is one error, not a stack overflow, in compile and fmt" {
            let text = networkWith $"  linear({chain 25000})"
            let result = onSmallStack (fun () -> compile text)
            let codes = result.Diagnostics |> Seq.map (fun d -> d.Code) |> List.ofSeq
            Expect.equal codes [ "SNN0014" ] "one diagnostic"
            Expect.stringContains (Seq.head result.Diagnostics).Message "more than 1000 operators" "message"
            onSmallStack (fun () -> let struct (tree, _) = Compiler.Parse(text, "t.snn") in SnnDsl.Dsl.Formatting.Formatter.Format tree) |> ignore
        }
        test "a chain within the limit compiles, evaluates and formats" {
            let text = networkWith $"  flatten\n  linear({chain 900})"
            let result = onSmallStack (fun () -> compile text)
            Expect.isTrue result.Succeeded $"compiles: {result.Diagnostics |> Seq.map (fun d -> d.Message) |> List.ofSeq}"
            onSmallStack (fun () -> let struct (tree, _) = Compiler.Parse(text, "t.snn") in SnnDsl.Dsl.Formatting.Formatter.Format tree) |> ignore
        }
        test "20,000 errors on one line print 20 of them, each line cut to a window, and a count of the rest" {
            let text = networkWith ("  " + String.replicate 20000 "conv(;) ")
            let result = compile text
            let rendered = DiagnosticRenderer.RenderCapped(Array.ofSeq result.Diagnostics)
            Expect.isLessThan rendered.Length 20000 $"bounded output ({rendered.Length} characters)"
            let rest = (Seq.length result.Diagnostics - 20).ToString("N0", Globalization.CultureInfo.InvariantCulture)
            Expect.stringContains rendered $"... and {rest} more" "count of the rest"
            for line in rendered.Split('\n') do Expect.isLessThan line.Length (DiagnosticRenderer.MaxLineWidth + 20) "line width"
        }
    ]
