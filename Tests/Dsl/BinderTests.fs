// Binder tests: every kind of bad input gets its diagnostic at the right span, and good input the right network records.
module SnnDsl.Tests.Dsl.BinderTests

open System.Text
open Expecto
open SnnDsl.Dsl
open SnnDsl.Dsl.Model
open SnnDsl.Tests.Dsl.DslTestSupport

let layersOf (result: CompileResult) = (nonNull result.Network).Layers |> List.ofSeq

let badInput =
    testList "bad input" [
        test "unknown layer, with a suggestion" {
            expectDiagnostics (networkWith "  «cnov»(64, 3)") [ "SNN0100", "unknown layer or block 'cnov'; did you mean 'conv'?" ]
        }
        test "unknown block, with a suggestion" {
            expectDiagnostics (networkWith "  block basic(w) { conv(w, 3) }\n  «basik»(4)")
                [ "SNN0100", "unknown layer or block 'basik'; did you mean 'basic'?" ]
        }
        test "too many positional arguments" {
            expectDiagnostics (networkWith "  conv(64, 3, «1»)")
                [ "SNN0102", "'conv' takes at most 2 positional arguments, but 3 were given" ]
        }
        test "a missing required argument" {
            expectDiagnostics (networkWith "  «conv»(64)") [ "SNN0103", "'conv' needs a value for 'kernel'" ]
        }
        test "a misspelt argument name" {
            expectDiagnostics (networkWith "  conv(64, 3, «strid» = 2)") [ "SNN0101", "'conv' has no argument 'strid'; did you mean 'stride'?" ]
        }
        test "an argument given twice" {
            expectDiagnostics (networkWith "  conv(64, 3, «kernel = 5»)") [ "SNN0104", "'kernel' is given twice to 'conv'" ]
        }
        test "an argument of the wrong type" {
            expectDiagnostics (networkWith "  conv(64, 3, bias = «2»)")
                [ "SNN0105", "'bias' of 'conv' must be true or false, but this is the whole number 2" ]
        }
        test "a fractional channel count" {
            expectDiagnostics (networkWith "  conv(«6.5», 3)") [ "SNN0105", "'channels' of 'conv' must be a whole number, but this is the number 6.5" ]
        }
        test "a misspelt parameter in an argument" {
            expectDiagnostics (networkWith "  linear(«clases»)") [ "SNN0106", "unknown name 'clases'; did you mean 'classes'?" ]
        }
        test "duplicate layer names" {
            expectDiagnostics (networkWith "  a: bn; «a»: lif")
                [ "SNN0108", "the name 'a' is already used by another layer here; layer names must be unique within their group" ]
        }
        test "duplicate blocks" {
            expectDiagnostics (networkWith "  block b { bn }\n  block «b» { lif }") [ "SNN0107", "a block named 'b' is already declared" ]
        }
        test "duplicate block parameters" {
            expectDiagnostics (networkWith "  block b(w, «w») { bn }") [ "SNN0109", "the parameter 'w' is declared twice" ]
        }
        test "a block named like a built-in layer" {
            expectDiagnostics (networkWith "  block «conv»(w) { bn }") [ "SNN0110", "'conv' is a built-in layer; choose another name for this block" ]
        }
        test "a missing input shape" {
            expectDiagnostics "snn 1\nnetwork «n» {\n  linear(10)\n}\n"
                [ "SNN0111", "network 'n' has no input shape; add a line such as 'input [3, 32, 32]'" ]
        }
        test "an input shape of the wrong rank" {
            expectDiagnostics "snn 1\nnetwork n {\n  input «[3, 8]»\n}\n"
                [ "SNN0113", "the input shape must be a list of positive whole numbers such as [3, 32, 32] or [784], but this is a list of 2" ]
        }
        test "a residual whose branches disagree in shape" {
            expectDiagnostics (networkWith "  «residual add { conv(16, 3) } shortcut identity»")
                [ "SNN0201", "this residual cannot add its branches: the body gives [16, 8, 8] but the shortcut gives [3, 8, 8]" ]
        }
        test "a layer that does not fit its input shape points at the layer" {
            expectDiagnostics (networkWith "  flatten; linear(10); «conv(8, 3)»")
                [ "SNN0200", "conv '2' expects a [C, H, W] input, got [10]" ]
        }
        test "blocks that call each other" {
            expectDiagnostics (networkWith "  block a { b }\n  block b { «a» }\n  a")
                [ "SNN0114", "blocks call each other in a cycle (a -> b -> a); a network must be finite" ]
        }
        test "a block that calls itself" {
            expectDiagnostics (networkWith "  block a { bn; «a» }\n  a") [ "SNN0114", "blocks call each other in a cycle (a -> a); a network must be finite" ]
        }
        test "a 10^12-channel conv is refused before anything is allocated" {
            expectDiagnostics (networkWith "  conv(«1000000000000», 3)")
                [ "SNN0202", "'channels' of 'conv' is 1,000,000,000,000, above the limit of 16,777,216; this is refused before anything is allocated" ]
        }
        test "an absurd repeat count" {
            expectDiagnostics (networkWith "  repeat «1000000» bn") [ "SNN0120", "the repeat count must be between 0 and 10,000, but it is 1,000,000" ]
        }
        test "a network that expands beyond the layer budget is refused quickly" {
            let result = compile (networkWith "  repeat 10000 repeat 10000 bn")
            Expect.equal (codes result.Diagnostics) [ "SNN0121" ] "too large"
        }
        test "bytes that are not UTF-8 point at the first bad byte" {
            let bytes = Array.append (Encoding.UTF8.GetBytes "snn 1\nnetwork n {\n  b") [| 0xFFuy; byte 'n'; byte '\n' |]
            let result = Compiler.CompileBytes(bytes, "t.snn")
            let d = Seq.exactlyOne result.Diagnostics
            Expect.equal (d.Code, d.Position.Line, d.Position.Column) ("SNN0002", 3, 4) "code and position"
            Expect.equal d.Message "the file is not valid UTF-8: byte 0xFF here cannot be decoded; save the file as UTF-8" "message"
        }
        test "an unknown merge" {
            expectDiagnostics (networkWith "  residual «sum» { bn } shortcut identity")
                [ "SNN0116", "unknown merge 'sum'; a residual merges with 'add', 'and' or 'iand'" ]
        }
        test "an unknown reset mode" {
            expectDiagnostics (networkWith "  lif(reset = «sfot»)") [ "SNN0119", "'reset' of 'lif' cannot be 'sfot'; did you mean 'soft'?" ]
        }
        test "IF neurons have no time constant" {
            expectDiagnostics (networkWith "  if(«tau» = 2)")
                [ "SNN0101", "'if' has no argument 'tau'; 'if' takes 'threshold', 'reset', 'reset_value', 'detach_reset', 'surrogate'" ]
        }
        test "input inside a block" {
            expectDiagnostics (networkWith "  block b { «input [1]» }\n  b") [ "SNN0125", "'input' is not allowed inside a block" ]
        }
        test "a dropout probability of 1 is refused once" {
            expectDiagnostics (networkWith "  dropout(«1»)") [ "SNN0124", "'p' of 'dropout' must be below 1, but it is 1" ]
        }
        test "division by zero" {
            expectDiagnostics (networkWith "  linear(«classes / 0»)") [ "SNN0123", "division by zero" ]
        }
    ]

let overrides =
    testList "--set" [
        test "a parameter is overridden from the command line" {
            let result = Compiler.Compile(networkWith "  flatten; linear(classes)", "t.snn", [ "classes=100" ])
            match layersOf result |> List.last with
            | :? LinearSpec as l -> Expect.equal l.OutFeatures 100L "classes"
            | other -> failtestf "not linear: %A" other
        }
        test "an unknown parameter is reported on the command line with a suggestion" {
            let result = Compiler.Compile(networkWith "  flatten", "t.snn", [ "clases=100" ])
            let d = Seq.exactlyOne result.Diagnostics
            Expect.equal (d.Code, d.FileName, d.Span.Start) ("SNN0127", Compiler.CommandLine, 6) "where"
            Expect.equal d.Message "--set clases: the network has no parameter 'clases'; did you mean 'classes'?" "message"
        }
        test "an assignment without '=' is malformed" {
            let result = Compiler.Compile(networkWith "  flatten", "t.snn", [ "classes" ])
            Expect.equal (codes result.Diagnostics) [ "SNN0128" ] "malformed"
        }
        test "the merge of a residual may come from a parameter" {
            let text = "snn 1\nnetwork n(connect = add) {\n  input [3, 8, 8]\n  residual connect { bn } shortcut identity\n}\n"
            let result = Compiler.Compile(text, "t.snn", [ "connect=iand" ])
            match layersOf result with
            | [ :? ResidualSpec as r ] -> Expect.equal r.Merge MergeKind.IAnd "merge"
            | other -> failtestf "unexpected layers %A" other
        }
    ]

let meaning =
    testList "meaning" [
        test "neuron defaults are declared once and overridden per layer" {
            let result = expectNetwork (networkWith "  neuron lif(threshold = 0.5, surrogate = atan)\n  lif; lif(threshold = 2, decay = 0.5)")
            match layersOf result with
            | [ :? NeuronLayerSpec as a; :? NeuronLayerSpec as b ] ->
                Expect.equal a.Neuron (NeuronSpec(Threshold = 0.5, Surrogate = SurrogateSpec.Of "atan")) "declared defaults"
                Expect.equal b.Neuron (NeuronSpec(Threshold = 2.0, Tau = 2.0, Surrogate = SurrogateSpec.Of "atan")) "overridden"
            | other -> failtestf "unexpected layers %A" other
        }
        test "the default neuron is the paper's LIF" {
            let result = expectNetwork (networkWith "  lif")
            match layersOf result with
            | [ :? NeuronLayerSpec as n ] -> Expect.equal n.Neuron NeuronSpec.Paper "paper LIF"
            | other -> failtestf "unexpected layers %A" other
        }
        test "for loops name their iterations by position and bind the variable" {
            let result = expectNetwork (networkWith "  f: for w in [4, 8] { conv(w, 3) }")
            Expect.equal (describe (List.head (layersOf result)))
                "seq f [ConvSpec { Name = 0, OutChannels = 4, Kernel = 3, Stride = 1, Padding = 1, Bias = True, Groups = 1, Dilation = 1 }; ConvSpec { Name = 1, OutChannels = 8, Kernel = 3, Stride = 1, Padding = 1, Bias = True, Groups = 1, Dilation = 1 }]"
                "layers"
        }
        test "repeat makes numbered copies" {
            let result = expectNetwork (networkWith "  s: repeat 2 bn")
            Expect.equal (describe (List.head (layersOf result)))
                "seq s [BatchNormSpec { Name = 0, Eps = 1E-05, Momentum = 0.1 }; BatchNormSpec { Name = 1, Eps = 1E-05, Momentum = 0.1 }]" "copies"
        }
        test "shortcut auto becomes conv1x1 with the body's stride and BN when the shape changes" {
            let result = expectNetwork (networkWith "  residual { conv(16, 3, stride = 2) }")
            match layersOf result with
            | [ :? ResidualSpec as r ] ->
                Expect.equal (describe (nonNull r.Shortcut))
                    "seq shortcut [ConvSpec { Name = 0, OutChannels = 16, Kernel = 1, Stride = 2, Padding = 0, Bias = False, Groups = 1, Dilation = 1 }; BatchNormSpec { Name = 1, Eps = 1E-05, Momentum = 0.1 }]"
                    "projection"
            | other -> failtestf "unexpected layers %A" other
        }
        test "shortcut auto is the identity when the shape is kept" {
            let result = expectNetwork (networkWith "  residual { conv(3, 3) }")
            match layersOf result with
            | [ :? ResidualSpec as r ] -> Expect.isNull r.Shortcut "identity"
            | other -> failtestf "unexpected layers %A" other
        }
        test "block arguments by position and name, with defaults" {
            let result = expectNetwork (networkWith "  block b(w, k = 3, s = 1) { conv(w, k, stride = s) }\n  b(8, s = 2)")
            Expect.equal (describe (List.head (layersOf result)))
                "seq 0 [ConvSpec { Name = 0, OutChannels = 8, Kernel = 3, Stride = 2, Padding = 1, Bias = True, Groups = 1, Dilation = 1 }]" "block"
        }
        test "parameter names follow labels and positions" {
            let result = expectNetwork (networkWith "  stem: conv(4, 3, bias = false); bn; flatten; fc: linear(classes)")
            Expect.equal [ for p in result.Parameters -> p.Name, string p.Shape ]
                [ "stem.weight", "[4, 3, 3, 3]"; "1.weight", "[4]"; "1.bias", "[4]"; "1.running_mean", "[4]"
                  "1.running_var", "[4]"; "1.num_batches_tracked", "[]"; "fc.weight", "[10, 256]"; "fc.bias", "[10]" ] "names"
        }
    ]

[<Tests>]
let tests = testList "Dsl.Binder" [ badInput; overrides; meaning ]
