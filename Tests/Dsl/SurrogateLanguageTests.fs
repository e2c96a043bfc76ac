// Surrogate gradients in the language: every catalog name and argument binds, and every mistake is a diagnostic naming it.
module SnnDsl.Tests.Dsl.SurrogateLanguageTests

open Expecto
open SnnDsl.Dsl.Model
open SnnDsl.Dsl.Model.Surrogates
open SnnDsl.Tests.Dsl.DslTestSupport

/// The surrogate of the only neuron layer of a one-layer network.
let private surrogateOf (layer: string) = (onlyNeuronOf $"  {layer}").SurrogateOrDefault

[<Tests>]
let tests =
    testList "Dsl.Surrogates" [
        for d in SurrogateCatalog.All do
            test $"'{d.Name}' binds with its defaults" {
                Expect.equal (surrogateOf $"lif(surrogate = {d.Name})") (SurrogateSpec.Of d.Name) "defaults"
                Expect.equal ((surrogateOf $"lif(surrogate = {d.Name})").Arguments) d.Defaults "argument values"
            }
            test $"'{d.Name}' takes its arguments by name and by position" {
                let values = [ for a in d.Info.Arguments -> a.Default + 0.25 ]
                let named = d.Info.Arguments |> Seq.mapi (fun i a -> $"{a.Name} = {values[i]}") |> String.concat ", "
                let positional = values |> List.map string |> String.concat ", "
                let expected = SurrogateSpec(d.Name, SurrogateArgs.Of values)
                Expect.equal (surrogateOf $"lif(surrogate = {d.Name}({named}))") expected "named"
                Expect.equal (surrogateOf $"lif(surrogate = {d.Name}({positional}))") expected "positional"
            }
        test "piecewise_leaky_relu: one argument by position, the other by name" {
            Expect.equal (surrogateOf "lif(surrogate = piecewise_leaky_relu(0.5, c = 0))") (SurrogateSpec("piecewise_leaky_relu", SurrogateArgs(0.5, 0.0))) "w = 0.5, c = 0"
            Expect.equal (surrogateOf "lif(surrogate = piecewise_leaky_relu(c = 0.1))") (SurrogateSpec("piecewise_leaky_relu", SurrogateArgs(1.0, 0.1))) "w keeps its default"
        }
        test "a neuron declaration's surrogate is the layers' default" {
            let result = expectNetwork (networkWith "  neuron lif(surrogate = erf(3))\n  lif")
            match List.ofSeq (nonNull result.Network).Layers with
            | [ :? NeuronLayerSpec as n ] -> Expect.equal n.Neuron.SurrogateOrDefault (SurrogateSpec.Of("erf", 3.0)) "erf(alpha = 3)"
            | other -> failtestf "unexpected layers %A" other
        }
        test "an unknown surrogate names the choices, with a suggestion" {
            expectDiagnostics (networkWith "  lif(surrogate = «super_spik»)")
                [ "SNN0119", "the surrogate cannot be 'super_spik'; did you mean 'super_spike'?" ]
            expectDiagnostics (networkWith "  lif(surrogate = «gaussian»)")
                [ "SNN0119", "the surrogate cannot be 'gaussian'; choose one of " + (SurrogateCatalog.Names |> Seq.map (fun n -> $"'{n}'") |> String.concat ", ") ]
        }
        test "an unknown argument names the surrogate's arguments" {
            expectDiagnostics (networkWith "  lif(surrogate = «piecewise_leaky_relu(width = 1)»)")
                [ "SNN0101", "'piecewise_leaky_relu' has no argument 'width'; 'piecewise_leaky_relu' takes 'w', 'c'" ]
            expectDiagnostics (networkWith "  lif(surrogate = «sigmoid(alpa = 2)»)")
                [ "SNN0101", "'sigmoid' has no argument 'alpa'; did you mean 'alpha'?" ]
        }
        test "too many, repeated and out-of-range arguments" {
            expectDiagnostics (networkWith "  lif(surrogate = «atan(1, 2)»)")
                [ "SNN0102", "'atan' takes at most 1 positional argument, but 2 were given" ]
            expectDiagnostics (networkWith "  lif(surrogate = «piecewise_leaky_relu(1, w = 2)»)")
                [ "SNN0104", "'w' is given twice to 'piecewise_leaky_relu'" ]
            expectDiagnostics (networkWith "  lif(surrogate = «q_pseudo_spike(alpha = 1)»)")
                [ "SNN0124", "'alpha' of 'q_pseudo_spike' must be greater than 1, but it is 1" ]
            expectDiagnostics (networkWith "  lif(surrogate = «piecewise_leaky_relu(c = -0.1)»)")
                [ "SNN0124", "'c' of 'piecewise_leaky_relu' must be at least 0, but it is -0.1" ]
            expectDiagnostics (networkWith "  lif(surrogate = «erf(alpha = 1e300 * 1e300)»)")
                [ "SNN0124", "'alpha' of 'erf' must be a finite number greater than 0, but it is Infinity" ]
        }
        test "the records refuse what the language refuses" {
            Expect.throwsT<System.ArgumentException> (fun () -> SurrogateSpec.Of "gaussian" |> ignore) "unknown name"
            Expect.throwsT<System.ArgumentOutOfRangeException> (fun () -> SurrogateSpec.Of("q_pseudo_spike", 1.0) |> ignore) "alpha = 1"
            Expect.throwsT<System.ArgumentException> (fun () -> SurrogateSpec("sigmoid", SurrogateArgs(4.0, 1.0)) |> ignore) "a second argument sigmoid does not take"
        }
        test "the catalog: unique snake_case names, ten surrogates, defaults in range" {
            Expect.equal SurrogateCatalog.Names.Count 10 "ten surrogates"
            Expect.equal (SurrogateCatalog.Names |> Seq.distinct |> Seq.length) 10 "unique"
            for d in SurrogateCatalog.All do
                Expect.isMatch d.Name "^[a-z][a-z_]*$" "snake_case"
                for a in d.Info.Arguments do Expect.isTrue (a.Accepts a.Default) $"{d.Name}.{a.Name} default in range"
        }
    ]
