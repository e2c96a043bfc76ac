// A bad flag value or an unknown flag: one `snn: error:` line naming the flag and pointing to the command's --help, exit 1.
// Sequenced: runCli redirects the process's console, which tests running in parallel would share.
module SnnDsl.Tests.Runner.CommandLineTests

open Expecto
open SnnDsl.Tests.Support

/// Exit code and the lines on stderr.
let private run (argv: string list) =
    let code, _, err = runCli (Array.ofList argv)
    code, err.Split('\n', System.StringSplitOptions.RemoveEmptyEntries)

[<Tests>]
let tests =
    testSequenced <| testList "Runner.CommandLine" [
        test "a bad flag value is one line naming the flag, with a pointer to --help, exit 1" {
            let code, lines = run [ "train"; "--lr"; "abc" ]
            Expect.equal code 1 "exit 1"
            Expect.equal lines.Length 1 $"one line, not the usage: {lines}"
            Expect.stringStarts lines[0] "snn: error: " "the error prefix"
            Expect.isTrue (lines[0].Contains "--learning-rate" || lines[0].Contains "--lr") $"names the flag: {lines[0]}"
            Expect.stringContains lines[0] "'abc'" "and the value"
            Expect.stringEnds lines[0] "see 'snn train --help'" "points to the command's help"
        }
        test "an unknown flag is one line naming it, exit 1, also where a file path is expected" {
            for argv, command in [ [ "train"; "--no-such-flag" ], "train"; [ "eval"; "--no-such-flag" ], "eval"
                                   [ "bench"; "x.snn"; "--bogus" ], "bench"; [ "check"; "--nope" ], "check" ] do
                let code, lines = run argv
                Expect.equal code 1 $"{argv}: exit 1"
                Expect.equal lines.Length 1 $"{argv}: one line: {lines}"
                Expect.stringStarts lines[0] "snn: error: " "prefix"
                Expect.stringContains lines[0] (List.last argv) $"names the flag: {lines[0]}"
                Expect.stringEnds lines[0] $"see 'snn {command} --help'" $"points to snn {command} --help: {lines[0]}"
        }
        test "--help still prints the usage and exits 0" {
            let code, out, _ = runCli [| "train"; "--help" |]
            Expect.equal code 0 "exit 0"
            Expect.stringContains out "--learning-rate" "the usage"
        }
    ]
