// The check and fmt commands, called in-process: exit codes, the layer table, JSON, and formatting in place.
module SnnDsl.Tests.Dsl.CommandTests

open System.IO
open System.Text.Json
open Expecto
open SnnDsl.Runner.Commands
open SnnDsl.Tests.Dsl.DslTestSupport

let run (command: TextWriter -> TextWriter -> int) =
    use out = new StringWriter()
    use err = new StringWriter()
    let code = command out err
    code, out.ToString(), err.ToString()

let check file overrides json = run (CheckCommand.run { File = file; Overrides = overrides; Json = json })
let fmt file write checkOnly = run (FmtCommand.run { File = file; Write = write; Check = checkOnly })

let withTempFile (text: string) (f: string -> unit) =
    let path = Path.Combine(Path.GetTempPath(), $"snn-test-{System.Guid.NewGuid()}.snn")
    File.WriteAllText(path, text)
    try f path finally File.Delete path

let resnet18 = Path.Combine(examplesFolder, "resnet18.snn")

[<Tests>]
let tests =
    testList "Dsl.Commands" [
        test "check prints the layer table, totals and parameter names" {
            let code, out, err = check resnet18 [] false
            Expect.equal code 0 "exit code"
            Expect.equal err "" "no diagnostics"
            Expect.stringContains out "total: 11,173,962 parameters" "totals"
            Expect.stringContains out "layer2.0.0.shortcut.0.weight [128, 64, 1, 1]" "parameter names"
            Expect.stringContains out "path" "table header"
        }
        test "check --set changes the network" {
            let code, out, _ = check resnet18 [ "classes=100" ] false
            Expect.equal code 0 "exit code"
            Expect.stringContains out "fc.weight [100, 512]" "read-out"
        }
        test "check --json is JSON with the totals" {
            let code, out, _ = check resnet18 [] true
            Expect.equal code 0 "exit code"
            use document = JsonDocument.Parse out
            Expect.equal (document.RootElement.GetProperty("totals").GetProperty("parameters").GetInt64()) 11_173_962L "parameters"
        }
        test "check of a broken file exits 1 with rendered diagnostics on stderr" {
            withTempFile (networkWith "  cnov(8, 3)") (fun path ->
                let code, out, err = check path [] false
                Expect.equal code 1 "exit code"
                Expect.equal out "" "no table"
                Expect.stringContains err $"{path}:4:3: error SNN0100: unknown layer or block 'cnov'; did you mean 'conv'?" "headline"
                Expect.stringContains err " 4 |   cnov(8, 3)\n   |   ^^^^" "source line and carets")
        }
        test "check of a missing file exits 1 without a stack trace" {
            let code, _, err = check "/no/such/file.snn" [] false
            Expect.equal code 1 "exit code"
            Expect.equal (err.Trim()) "snn: error: no such file '/no/such/file.snn'" "message"
        }
        test "fmt prints canonical text" {
            withTempFile (networkWith "bn ;lif") (fun path ->
                let code, out, _ = fmt path false false
                Expect.equal code 0 "exit code"
                Expect.stringContains out "  bn; lif\n" "canonical")
        }
        test "fmt --check fails on text that is not canonical, and --write fixes it" {
            withTempFile (networkWith "bn ;lif") (fun path ->
                let code, _, err = fmt path false true
                Expect.equal code 1 "not canonical"
                Expect.stringContains err "is not in canonical form" "message"
                let written, _, _ = fmt path true false
                Expect.equal written 0 "written"
                let after, _, _ = fmt path false true
                Expect.equal after 0 "canonical now")
        }
        test "fmt of a file that does not parse exits 1" {
            withTempFile "snn 1\nnetwork n {" (fun path ->
                let code, _, err = fmt path false false
                Expect.equal code 1 "exit code"
                Expect.stringContains err "SNN0010" "unterminated block")
        }
        test "fmt refuses to drop a comment inside a statement" {
            withTempFile (networkWith "  conv(8, # inside\n 3)") (fun path ->
                let code, out, err = fmt path false false
                Expect.equal code 1 "exit code"
                Expect.equal out "" "nothing printed"
                Expect.stringContains err "error SNN0013: fmt cannot keep a comment inside a statement" "message")
        }
        test "the command line: a bad flag exits 1, help exits 0" {
            Expect.equal (SnnDsl.Runner.Program.execute [| "check"; resnet18; "--bogus" |]) 1 "bad flag"
            Expect.equal (SnnDsl.Runner.Program.execute [| "check"; "--help" |]) 0 "help"
            Expect.equal (SnnDsl.Runner.Program.execute [| "fmt"; resnet18; "--check" |]) 0 "fmt --check of an example"
        }
    ]
