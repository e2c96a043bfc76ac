// F# authoring: the builders make the parser's tree, the same network records as the text, and the same diagnostics.
module SnnDsl.Tests.Dsl.AuthoringTests

open System.IO
open Expecto
open SnnDsl.Dsl
open SnnDsl.Dsl.Syntax
open SnnDsl.Tests.Dsl.DslTestSupport
open SnnDsl.Authoring
open SnnDsl.Authoring.Snn

let basic =
    block "basic" [ required "width"; optional "stride" 1 ] [
        residual Add [
            conv (param "width") 3 [ stride (param "stride"); bias false ]
            bn
            lif
            conv (param "width") 3 [ bias false ]
            bn
        ] Auto
        lif
    ]

let stage (width: int) (first: ArgumentSyntax list) =
    group [ call "basic" (pos width :: first); call "basic" [ pos width ] ]

let resnet18 =
    network "resnet18" [ optional "classes" 10; optional "channels" 3; optional "size" 32 ] [
        inputOf [ param "channels"; param "size"; param "size" ]
        neuron "lif" [ tau 1.25; threshold 1.0; reset "soft"; detachReset true; surrogate "sigmoid" 4 ]
        initDeclaration defaultInit
        basic
        label "conv1" (conv 64 3 [ bias false ])
        label "bn1" bn
        label "lif1" lif
        label "layer1" (stage 64 [])
        label "layer2" (stage 128 [ stride 2 ])
        label "layer3" (stage 256 [ stride 2 ])
        label "layer4" (stage 512 [ stride 2 ])
        label "pool" globalAvgpool
        label "flatten" flatten
        label "fc" (linear (param "classes") [])
    ]

let broken =
    network "broken" [] [
        input [ 3; 8; 8 ]
        call "cnov" [ pos 8; pos 3 ]
        conv 8 3 [ arg "strid" 2 ]
        residual Add [ conv 16 3 [] ] Identity
    ]

/// The same broken network, written by hand in canonical text.
let brokenText =
    "snn 1\n\nnetwork broken {\n  input [3, 8, 8]\n  cnov(8, 3)\n  conv(8, 3, strid = 2)\n  residual add {\n    conv(16, 3)\n  } shortcut identity\n}\n"

let diagnosticFacts (result: CompileResult) =
    [ for d in result.Diagnostics -> d.Code, d.Message, d.Position.Line, d.Position.Column ]

[<Tests>]
let tests =
    testList "Dsl.Authoring" [
        test "the authoring library stands alone: it references the language, not the runner or libtorch" {
            let assembly = typeof<SnnDsl.Authoring.Snn.ToExpression>.Assembly
            Expect.equal (assembly.GetName().Name) "SnnDsl.Authoring" "its own assembly"
            let references = assembly.GetReferencedAssemblies() |> Array.map (fun a -> a.Name) |> Set.ofArray
            Expect.isTrue (references.Contains "SnnDsl.Dsl") "uses the language"
            for other in [ "snn"; "SnnDsl.Core"; "TorchSharp"; "Argu" ] do
                Expect.isFalse (references.Contains other) $"does not need {other}"
        }
        test "XML documentation is generated for Dsl and Core (a malformed doc comment fails their build)" {
            for name in [ "SnnDsl.Dsl"; "SnnDsl.Core" ] do
                let file = System.IO.Path.Combine(System.AppContext.BaseDirectory, name + ".xml")
                Expect.isTrue (System.IO.File.Exists file) $"{name}.xml next to the assembly"
                Expect.stringContains (System.IO.File.ReadAllText file) "<member name=" $"{name}.xml has members"
        }
        test "the F# ResNet-18 gives the same network records as resnet18.snn" {
            let fromText = Compiler.Compile(example "resnet18", "resnet18.snn")
            let fromFSharp = Snn.compile resnet18
            Expect.isEmpty (fromFSharp.Diagnostics |> Seq.map string |> List.ofSeq) "compiles"
            Expect.equal (describeNetwork (nonNull fromFSharp.Network)) (describeNetwork (nonNull fromText.Network)) "same records"
            Expect.equal (List.ofSeq fromFSharp.Parameters) (List.ofSeq fromText.Parameters) "same parameter names"
        }
        test "the builders make exactly the tree the parser makes of their printed text" {
            let struct (parsed, diagnostics) = Compiler.Parse(Snn.format resnet18, "resnet18.snn")
            Expect.isEmpty diagnostics "parses"
            Expect.equal parsed resnet18 "same tree"
        }
        test "a broken F# network gives the same diagnostics as the same text" {
            let fromFSharp = diagnosticFacts (Snn.compile broken)
            Expect.isNonEmpty fromFSharp "there are errors"
            Expect.equal fromFSharp (diagnosticFacts (Compiler.Compile(brokenText, "broken.snn"))) "same diagnostics"
        }
        test "the broken network prints as the hand-written text" {
            Expect.equal (Snn.format broken) brokenText "canonical text"
        }
        test "a network saves as a .snn file that compiles" {
            let path = Path.Combine(Path.GetTempPath(), $"snn-authoring-{System.Guid.NewGuid()}.snn")
            try
                save path resnet18
                let result = Compiler.Compile(File.ReadAllText path, path)
                Expect.equal (totalParameters result) 11_173_962L "parameters"
            finally
                File.Delete path
        }
        test "surrogates from F#: any catalog name with its arguments; an unknown name is refused at once" {
            let text = "snn 1\n\nnetwork n {\n  input [4]\n  lif(surrogate = piecewise_leaky_relu(w = 0.5, c = 0))\n  if(surrogate = erf)\n}\n"
            let tree =
                network "n" [] [
                    input [ 4 ]
                    lifWith [ surrogateWith "piecewise_leaky_relu" [ arg "w" 0.5; arg "c" 0 ] ]
                    ifWith [ surrogateWith "erf" [] ]
                ]
            Expect.equal (Snn.format tree) text "the same text"
            Expect.isEmpty (Snn.compile tree).Diagnostics "compiles"
            Expect.equal surrogateNames (List.ofSeq SnnDsl.Dsl.Model.Surrogates.SurrogateCatalog.Names) "the catalog's names"
            Expect.throwsT<System.ArgumentException> (fun () -> surrogate "gaussian" 1.0 |> ignore) "unknown surrogate"
        }
        test "every neuron kind from F#: the catalog's kinds and arguments; an unknown kind is refused at once" {
            let text = "snn 1\n\nnetwork n {\n  input [4]\n  neuron alif(tau_adapt = 4, beta = 0.2)\n  plif(tau = 3)\n  alif\n}\n"
            let tree = network "n" [] [ input [ 4 ]; neuron "alif" [ tauAdapt 4; beta 0.2 ]; plifWith [ tau 3 ]; alif ]
            Expect.equal (Snn.format tree) text "the same text"
            Expect.isEmpty (Snn.compile tree).Diagnostics "compiles"
            Expect.equal neuronKinds (List.ofSeq SnnDsl.Dsl.Model.Neurons.NeuronCatalog.Names) "the catalog's kinds"
            Expect.throwsT<System.ArgumentException> (fun () -> neuronLayer "izhikevich" [] |> ignore) "unknown kind"
            Expect.throwsT<System.ArgumentException> (fun () -> neuron "izhikevich" [] |> ignore) "unknown declaration"
        }
        test "negative numbers become negation, as the parser reads them" {
            let tree = network "n" [ optional "shift" -2; optional "scale" -0.5 ] [ input [ 1 ] ]
            let struct (parsed, _) = Compiler.Parse(Snn.format tree, "n.snn")
            Expect.equal parsed tree "same tree"
        }
    ]
