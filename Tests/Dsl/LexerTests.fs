// Lexer tests: every token kind, literals, comments as trivia, and lexical errors with their spans.
module SnnDsl.Tests.Dsl.LexerTests

open System
open Expecto
open SnnDsl.Dsl.Diagnostics
open SnnDsl.Dsl.Syntax
open SnnDsl.Dsl.Text
open SnnDsl.Tests.Dsl.DslTestSupport

let lex (text: string) =
    let bag = DiagnosticBag()
    let tokens = Lexer.Lex(SourceText(text, "t.snn"), bag)
    List.ofSeq tokens, List.ofSeq bag.Items

let kinds text = fst (lex text) |> List.map (fun t -> t.Kind)

/// Inputs that together must produce every token kind (checked by the coverage test below).
let samples =
    [ "snn 1 network input neuron block repeat for in residual shortcut true false"
      "conv(64, 3.5, \"text\") { [a] ; b: c = 1 + 2 - 3 * 4 / 5 } # comment"
      "$" ]

[<Tests>]
let tests =
    testList "Dsl.Lexer" [
        test "keywords, names and punctuation" {
            Expect.equal (kinds "network n(a = 1) { x: conv; }")
                [ TokenKind.NetworkKeyword; TokenKind.Identifier; TokenKind.OpenParen; TokenKind.Identifier
                  TokenKind.Equals; TokenKind.Integer; TokenKind.CloseParen; TokenKind.OpenBrace; TokenKind.Identifier
                  TokenKind.Colon; TokenKind.Identifier; TokenKind.Semicolon; TokenKind.CloseBrace; TokenKind.EndOfFile ] "kinds"
        }
        test "every token kind is produced by some sample" {
            let produced = samples |> List.collect kinds |> Set.ofList
            let missing = Enum.GetValues<TokenKind>() |> Array.filter (produced.Contains >> not)
            Expect.isEmpty missing "token kinds no sample produces"
        }
        test "numbers: whole, fractional and exponent" {
            let tokens, _ = lex "64 1.25 1e-5 2E3 .5"
            Expect.equal (tokens |> List.map (fun t -> t.Value)) [ box 64L; box 1.25; box 1e-5; box 2000.0; box 0.5; null ] "values"
        }
        test "a whole number beyond 64 bits is an error at the number" {
            let _, diagnostics = lex "x 99999999999999999999"
            Expect.equal (diagnostics |> List.map (fun d -> d.Code, d.Span)) [ "SNN0005", TextSpan(2, 20) ] "diagnostic"
        }
        test "strings keep escaped quotes" {
            let tokens, diagnostics = lex "\"a\\\"b\""
            Expect.isEmpty diagnostics "no error"
            Expect.equal tokens.Head.Value (box "a\"b") "value"
        }
        test "an unterminated string stops at the end of the line" {
            let tokens, diagnostics = lex "\"abc\nlif"
            Expect.equal (diagnostics |> List.map (fun d -> d.Code, d.Span)) [ "SNN0004", TextSpan(0, 4) ] "diagnostic"
            Expect.equal (tokens |> List.map (fun t -> t.Kind)) [ TokenKind.String; TokenKind.Identifier; TokenKind.EndOfFile ] "lexing goes on"
        }
        test "an unexpected character becomes a bad token and an error" {
            let tokens, diagnostics = lex "a @ b"
            Expect.equal (diagnostics |> List.map (fun d -> d.Code, d.Message)) [ "SNN0003", "unexpected character '@'" ] "diagnostic"
            Expect.equal (tokens |> List.map (fun t -> t.Kind)) [ TokenKind.Identifier; TokenKind.Bad; TokenKind.Identifier; TokenKind.EndOfFile ] "kinds"
        }
        test "comments attach to the token after them, or to the token before them on the same line" {
            let tokens = Lexer.LexForParser(SourceText("# lead\nbn # trail\nlif", "t"), DiagnosticBag()) |> List.ofSeq
            Expect.equal (tokens[0].LeadingComments |> Seq.map Token.CommentText |> List.ofSeq) [ "lead" ] "leading"
            Expect.equal (tokens[0].TrailingComment |> Option.ofObj |> Option.map Token.CommentText) (Some "trail") "trailing"
            Expect.isEmpty tokens[1].LeadingComments "lif has none"
        }
        test "line and column are 1-based" {
            let source = SourceText("ab\ncd", "t")
            Expect.equal (source.Position 4) (LinePosition(2, 2)) "d is at 2:2"
        }
    ]
