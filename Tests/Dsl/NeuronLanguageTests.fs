// Neurons in the language: every catalog kind binds with its own arguments, the docs table is the catalog's, mistakes are diagnostics.
module SnnDsl.Tests.Dsl.NeuronLanguageTests

open System.IO
open Expecto
open SnnDsl.Dsl
open SnnDsl.Dsl.Model
open SnnDsl.Dsl.Model.Neurons
open SnnDsl.Tests.Dsl.DslTestSupport

[<Tests>]
let tests =
    testList "Dsl.Neurons" [
        for info in NeuronCatalog.All do
            test $"'{info.Name}' binds with the paper's defaults, and a declaration sets them" {
                Expect.equal (onlyNeuronOf $"  {info.Name}") (NeuronSpec(Kind = info.Name)) "defaults"
                Expect.equal (onlyNeuronOf $"  neuron {info.Name}(threshold = 0.5)\n  {info.Name}") (NeuronSpec(Kind = info.Name, Threshold = 0.5)) "declared"
            }
        test "alif takes tau_adapt and beta; plif lif's arguments" {
            Expect.equal (onlyNeuronOf "  alif(tau_adapt = 4, beta = 0.2, decay = 0.5)") (NeuronSpec(Kind = "alif", TauAdapt = 4.0, Beta = 0.2, Tau = 2.0)) "alif"
            Expect.equal (onlyNeuronOf "  plif(tau = 3, reset = hard, surrogate = erf)") (NeuronSpec(Kind = "plif", Tau = 3.0, Reset = ResetMode.Hard, Surrogate = SurrogateSpec.Of "erf")) "plif"
        }
        test "plif's learnable decay is a parameter of the network, one scalar per layer" {
            let result = expectNetwork (networkWith "  conv(4, 3); n: plif\n  flatten; linear(classes)")
            Expect.contains (result.Parameters |> Seq.map (fun p -> p.Name, p.Shape) |> List.ofSeq) ("n.w", Shape.Of()) "n.w, a scalar"
            Expect.equal (result.LayerTable |> Seq.find (fun r -> r.Path = "n")).Parameters 1L "counted in the table"
        }
        test "an unknown neuron, an argument of another kind, and a PLIF that cannot start" {
            expectDiagnostics (networkWith "  neuron «plf»(tau = 2)")
                [ "SNN0118", "unknown neuron kind 'plf'; did you mean 'plif'?" ]
            expectDiagnostics (networkWith "  neuron «hodgkin»()")
                [ "SNN0118", "unknown neuron kind 'hodgkin'; the neurons are 'lif', 'if', 'plif', 'alif'" ]
            expectDiagnostics (networkWith "  lif(«tau_adapt» = 3)")
                [ "SNN0101", "'lif' has no argument 'tau_adapt'; 'lif' takes 'tau', 'decay', 'threshold', 'reset', 'reset_value', 'detach_reset', 'surrogate'" ]
            expectDiagnostics (networkWith "  plif(tau = «1»)")
                [ "SNN0124", "'tau' of 'plif' must be a time constant above 1 (a decay above 0): the learnable w starts at −ln(τ − 1), but it is 1" ]
            expectDiagnostics (networkWith "  alif(tau_adapt = «0.5»)")
                [ "SNN0124", "'tau_adapt' of 'alif' must be at least 1, but it is 0.5" ]
        }
        test "the docs table is the catalog's (docs/language.md)" {
            let docs = File.ReadAllText(Path.Combine(repoRoot, "docs", "language.md"))
            let starts = docs.IndexOf "<!-- neuron table (generated) -->"
            let ends = docs.IndexOf "<!-- end of neuron table -->"
            Expect.isTrue (starts >= 0 && ends > starts) "the generated table's markers"
            Expect.equal (docs.Substring(starts, ends - starts).Split('\n', 2).[1].Trim()) (NeuronCatalog.MarkdownTable()) "paste NeuronCatalog.MarkdownTable() between the markers"
        }
    ]
