// The `init` declaration and argument: scoping, overrides, diagnostics, formatting and F# authoring of initialisation schemes.
module SnnDsl.Tests.Dsl.InitTests

open Expecto
open SnnDsl.Dsl
open SnnDsl.Dsl.Model
open SnnDsl.Authoring.Snn
open SnnDsl.Tests.Dsl.DslTestSupport

/// (path, init as check prints it) of every conv and linear layer.
let private inits (result: CompileResult) =
    [ for row in result.LayerTable do
        match row.Init with
        | null -> ()
        | init -> yield row.Path, init ]

[<Tests>]
let tests =
    testList "Dsl.Init" [
        test "a network-level init applies to every conv and linear, a layer's init overrides it, check shows both" {
            let result = expectNetwork (networkWith "  init normal(std = 0.5)\n  conv(4, 3); flatten; fc: linear(classes, init = default)")
            Expect.equal (inits result) [ "0", "normal(mean = 0, std = 0.5)"; "fc", "default" ] "schemes"
        }
        test "without init, layers keep PyTorch's default (no scheme in the records)" {
            let result = expectNetwork (networkWith "  conv(4, 3); flatten; linear(classes)")
            Expect.equal (inits result) [ "0", "default"; "2", "default" ] "check's column"
            let conv = (nonNull result.Network).Layers.[0] :?> ConvSpec
            Expect.isNull conv.Init "no scheme recorded"
        }
        test "kaiming_normal with mode and nonlinearity, positional std for normal, mean" {
            let result = expectNetwork (networkWith "  conv(4, 3, init = kaiming_normal(mode = fan_out, nonlinearity = linear))\n  flatten; linear(classes, init = normal(0.1, mean = 0.2))")
            Expect.equal (inits result) [ "0", "kaiming_normal(mode = fan_out, nonlinearity = linear)"; "2", "normal(mean = 0.2, std = 0.1)" ] "schemes"
        }
        test "an init inside a block applies to that block's layers only; the derived shortcut follows the scheme in force" {
            let text =
                networkWith "  block b(w) { init kaiming_normal; residual add { conv(w, 3, stride = 2); bn } shortcut auto }\n  b(8); conv(4, 1); flatten; linear(classes)"
            let result = expectNetwork text
            Expect.equal (inits result)
                [ "0.0.body.0", "kaiming_normal(mode = fan_in, nonlinearity = relu)"; "0.0.shortcut.0", "kaiming_normal(mode = fan_in, nonlinearity = relu)"
                  "1", "default"; "3", "default" ] "scoped"
        }
        test "a layer may still be labelled init" {
            let result = expectNetwork (networkWith "  flatten; init: linear(classes)")
            Expect.equal (inits result) [ "init", "default" ] "a label"
        }
        test "misspelt scheme, missing std, unknown mode, bad std, unknown argument, wrong type" {
            expectDiagnostics (networkWith "  init «norml(std = 0.5)»\n  flatten; linear(classes)")
                [ "SNN0119", "the initialisation cannot be 'norml'; did you mean 'normal'?" ]
            expectDiagnostics (networkWith "  init «normal(mean = 1)»\n  flatten; linear(classes)") [ "SNN0103", "'normal' needs a value for 'std'" ]
            expectDiagnostics (networkWith "  init «kaiming_normal(mode = fan_up)»\n  flatten; linear(classes)")
                [ "SNN0119", "'mode' of 'kaiming_normal' cannot be 'fan_up'; did you mean 'fan_in'?" ]
            expectDiagnostics (networkWith "  flatten; linear(classes, init = «normal(std = -1)»)")
                [ "SNN0124", "'std' of 'normal' must be greater than 0, but it is -1" ]
            expectDiagnostics (networkWith "  flatten; linear(classes, init = «normal(sdt = 1)»)")
                [ "SNN0101", "'normal' has no argument 'sdt'; did you mean 'std'?" ]
            expectDiagnostics (networkWith "  flatten; linear(classes, init = «3»)")
                [ "SNN0105", "the initialisation must be a scheme such as normal(std = 0.5), but this is the whole number 3" ]
        }
        test "the formatter prints init declarations and arguments back; F# authoring builds the same tree" {
            let text = networkWith "  init normal(std = 0.5)\n  conv(4, 3); flatten\n  linear(classes, init = kaiming_normal(mode = fan_out))"
            let struct (parsed, _) = Compiler.Parse(text, "n.snn")
            let printed = format parsed
            Expect.stringContains printed "init normal(std = 0.5)" "declaration"
            Expect.stringContains printed "linear(classes, init = kaiming_normal(mode = fan_out))" "argument"
            let authored =
                network "n" [ optional "classes" 10 ] [
                    input [ 3; 8; 8 ]
                    initDeclaration (normalInit 0.5)
                    conv 4 3 []
                    flatten
                    linear (param "classes") [ initWith (kaimingNormalInit "fan_out") ] ]
            let a = Compiler.Compile(format authored, "a.snn")
            let b = Compiler.Compile(text, "b.snn")
            Expect.equal (describeNetwork (nonNull a.Network)) (describeNetwork (nonNull b.Network)) "same records"
        }
    ]
