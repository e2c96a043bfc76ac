// The command line of `snn` as Argu unions: one case per subcommand, each with its own arguments and usage text.
module SnnDsl.Runner.Cli.Arguments

open Argu

/// Exit codes: what failed, for scripts and CI.
[<RequireQualifiedAccess>]
module ExitCode =
    let Success = 0
    /// A mistake in the network file or on the command line; diagnostics are on stderr.
    let UserError = 1
    /// A failure of the tool itself.
    let InternalError = 2

type CheckArgs =
    | [<MainCommand; ExactlyOnce>] File of path: string
    | Set of assignment: string
    | Json

    interface IArgParserTemplate with
        member this.Usage =
            match this with
            | File _ -> "the network file (.snn) to check."
            | Set _ -> "override a network parameter, as name=value (repeatable), e.g. --set classes=100."
            | Json -> "print the layer table and parameter names as JSON on stdout."

type FmtArgs =
    | [<MainCommand; ExactlyOnce>] File of path: string
    | Write
    | Check

    interface IArgParserTemplate with
        member this.Usage =
            match this with
            | File _ -> "the network file (.snn) to format."
            | Write -> "rewrite the file in place with its canonical text."
            | Check -> "print nothing; exit 1 if the file is not in canonical form."

type SnnArgs =
    | [<CliPrefix(CliPrefix.None)>] Check of ParseResults<CheckArgs>
    | [<CliPrefix(CliPrefix.None)>] Fmt of ParseResults<FmtArgs>
    | Version

    interface IArgParserTemplate with
        member this.Usage =
            match this with
            | Check _ -> "check a network file: diagnostics, layer table (shapes, parameters, MACs, neurons) and parameter names."
            | Fmt _ -> "print a network file in canonical form, or rewrite it with --write."
            | Version -> "print the version of snn and of the network language."
