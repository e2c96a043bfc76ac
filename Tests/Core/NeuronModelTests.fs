// Every neuron of the catalog: an implementation, the rate-BP eligibilities against autograd, and the single-layer identity T·rate-M = BPTT-M.
module SnnDsl.Tests.Core.NeuronModelTests

open Expecto
open TorchSharp
open SnnDsl.Dsl.Model
open SnnDsl.Dsl.Model.Neurons
open SnnDsl.Dsl.Model.Surrogates
open SnnDsl.Core.Neurons
open SnnDsl.Core.Surrogates
open SnnDsl.Core.Layers
open SnnDsl.Core.Model
open SnnDsl.Core.Estimators
open SnnDsl.Tests.Support

let private resets = [ ResetMode.Soft, 0.0; ResetMode.Hard, 0.0; ResetMode.Hard, -0.3 ]

/// The rate r(x̄) of one neuron layer under a constant input, unrolled through its own step with autograd.
let private rateByAutograd (layer: NeuronLayer) (steps: int) (xbar: torch.Tensor) =
    let state = NeuronState()
    let spikes = [ for _ in 1 .. steps -> layer.Neuron.Step(state, xbar, layer, SpikeGradientForm.CustomFunction, false) ]
    torch.stack(spikes).mean([| 0L |])

/// conv(3, 3) → NEURON → flatten → linear(4) on [2, 5, 5] images, no BN, direct encoding.
let private singleLayer (neuron: NeuronSpec) =
    NetworkSpec("single", Shape.Of(2L, 5L, 5L),
        [ ConvSpec("conv", 3L, 3, Padding = 1); NeuronLayerSpec("neuron", neuron); FlattenSpec("flat"); LinearSpec("fc", 4L) ])

/// Loss and gradients of one estimator in float64 (seeded weights and batch; the conv weights scaled so that neurons fire).
let private gradients (spec: NetworkSpec) (kind: EstimatorKind) (steps: int) =
    withSeed 3L (fun () ->
        let network = NetworkBuilder.Build(spec, 3L)
        network.``to``(torch.float64) |> ignore
        let input = torch.rand([| 5L; 2L; 5L; 5L |], dtype = torch.float64) * 3.0
        let labels = torch.randint(4L, [| 5L |])
        let result = GradientEstimator.Create(kind, EstimatorOptions steps).Backward(network, SpikeInput.Static input, labels)
        result.ReadLoss(), dict [ for struct (name, p) in network.named_parameters() -> name, (gradOf name p).clone() ])

[<Tests>]
let tests =
    testList "Core.NeuronModels" [
        test "every catalog neuron has an implementation, and the fused kernel runs exactly the neurons it covers" {
            Expect.equal (Set.ofSeq NeuronModel.Implementations.Keys) (Set.ofSeq NeuronCatalog.Names) "implementations = catalog"
            let x = torch.rand(8L, 4L)
            for info in NeuronCatalog.All do
                let model = NeuronModel.Create(NeuronSpec(Kind = info.Name))
                Expect.equal (FusedLif.Applies(x, model)) info.Fused $"{info.Name}: the fused kernel applies only to covered neurons"
                Expect.equal [ for (name, _) in model.Learnable -> name ] (List.ofSeq info.Learnable) $"{info.Name}: learnable parameters as catalogued"
                if not info.Fused then
                    Expect.throwsT<System.ArgumentException> (fun () -> FusedLif.Run(x, 2, model, false) |> ignore) $"{info.Name}: the kernel refuses it"
            Expect.throwsT<System.ArgumentException> (fun () -> NeuronModel.Create(NeuronSpec(Kind = "izhikevich")) |> ignore) "an unknown kind"
        }
        test "plif: w starts at −ln(τ − 1), so λ = 1 − 1/τ, and a run of the layer registers it as 'w'" {
            let layer = new NeuronLayer(NeuronLayerSpec("n", NeuronSpec(Kind = "plif", Tau = 2.5)), "n")
            let w = layer.Parameter "w"
            Expect.floatClose Accuracy.high (w.item<float32>() |> float) (-log 1.5) "w₀ (float32)"
            Expect.floatClose Accuracy.high (PlifNeuron.DecayOf(layer).item<float32>() |> float) 0.6 "λ₀ = 1 − 1/2.5"
            Expect.equal [ for struct (name, _) in layer.named_parameters() -> name ] [ "w" ] "registered"
        }
        test "alif: the threshold rises after a spike and decays back (λ_a = 0.5, β = 0.5)" {
            let spec = NeuronSpec(Kind = "alif", Tau = 2.0, TauAdapt = 2.0, Beta = 0.5, Reset = ResetMode.Hard)
            let layer = new NeuronLayer(NeuronLayerSpec("n", spec), "n")
            let state = NeuronState()
            let spikes = [ for x in [ 1.0f; 1.1f; 1.1f; 1.1f; 1.2f ] -> layer.Neuron.Step(state, torch.tensor [| x |], layer, SpikeGradientForm.StraightThrough, false).item<float32>() ]
            // u: 1, 1.1, 0.55 + 1.1, 1.1, 0.55 + 1.2 (hard reset to 0); a: 0, 1, 0.5, 1.25, 0.625; θ = 1 + a/2: 1, 1.5, 1.25, 1.625, 1.3125
            Expect.equal spikes [ 1f; 0f; 1f; 0f; 1f ] "held back by θ = 1.5 and 1.625 after a spike; a LIF with θ = 1 fires at every step"
        }
        for info in NeuronCatalog.All do
            for reset, resetValue in resets do
                for detach in [ true; false ] do
                    test $"{info.Name}, {reset} reset to {resetValue}, detach_reset = {detach}: e (and PLIF's e_λ) equal autograd of the rate" {
                        let spec = NeuronSpec(Kind = info.Name, Tau = 1.8, Threshold = 0.9, Reset = reset, ResetValue = resetValue, DetachReset = detach,
                                              Surrogate = SurrogateSpec.Of "atan", TauAdapt = 3.0, Beta = 0.3)
                        let steps = 6
                        let layer = new NeuronLayer(NeuronLayerSpec("n", spec), "n", Fused = false)
                        layer.``to``(torch.float64) |> ignore
                        let xbar = withSeed 11L (fun () -> torch.rand(300L, dtype = torch.float64) * 1.8 - 0.1)
                        let ctx = PassContext(steps, true)
                        (use _ = torch.no_grad() in layer.MultiStep(xbar.repeat(int64 steps), ctx)) |> ignore
                        let struct (rate, elig) = layer.RateAndEligibility ctx
                        let decayElig = layer.DecayEligibility ctx
                        let x = xbar.clone().requires_grad_(true)
                        let r = rateByAutograd layer steps x
                        r.sum().backward()
                        expectClose 1e-9 1e-12 rate (r.detach()) "rate"
                        expectClose 1e-9 1e-12 elig (gradOf "x" x) "eligibility"
                        Expect.isGreaterThan (elig.abs().sum().item<float>()) 1.0 "non-trivial eligibilities"
                        match decayElig with
                        | null -> Expect.isEmpty (List.ofSeq info.Learnable) "only PLIF records a decay eligibility"
                        | eLambda ->
                            let w = layer.Parameter "w"
                            let dLambdaDw = -(w.sigmoid() * (1.0 - w.sigmoid())).item<float>()
                            expectClose 1e-9 1e-12 ((eLambda.sum() * dLambdaDw).reshape(1L)) ((gradOf "w" w).reshape(1L)) "w's gradient through e_λ"
                    }
        for info in NeuronCatalog.All do
            for reset in [ ResetMode.Soft; ResetMode.Hard ] do
                for surrogate in SurrogateCatalog.All do
                    test $"single layer, {info.Name}, {reset} reset, {surrogate.Name}: T·rate-M = BPTT-M for every parameter" {
                        let neuron = NeuronSpec(Kind = info.Name, Tau = 1.6, Threshold = 0.8, Reset = reset, DetachReset = true,
                                                Surrogate = SurrogateSpec.Of surrogate.Name, TauAdapt = 2.5, Beta = 0.4)
                        let spec = singleLayer neuron
                        let steps = 4
                        let bpttLoss, bptt = gradients spec EstimatorKind.BpttM steps
                        let rateLoss, rate = gradients spec EstimatorKind.RateM steps
                        Expect.floatClose Accuracy.veryHigh rateLoss bpttLoss "the same loss"
                        Expect.equal (Set.ofSeq rate.Keys) (Set.ofSeq bptt.Keys) "the same parameters"
                        for KeyValue(name, g) in bptt do
                            expectClose 1e-9 1e-12 (rate.[name] * float steps) g $"{name}: T × rate-M = BPTT-M"
                        Expect.isGreaterThan (bptt.["conv.weight"].abs().sum().item<float>()) 1e-6 "a gradient reaches the conv"
                    }
    ]
