// The reference implementation's own numbers (../shared/golden): BPTT-M, BPTT-S and Rate-M on a tiny spiking VGG.
module SnnDsl.Tests.Core.GoldenTests

open System.Collections.Generic
open Expecto
open TorchSharp
open TorchSharp.PyBridge
open SnnDsl.Dsl.Model
open SnnDsl.Core.Model
open SnnDsl.Core.Estimators
open SnnDsl.Tests.Support
open SnnDsl.Tests.Core.TestNetworks

/// λ as the reference stores it: sigmoid(logit(0.2)) in float32.
let goldenNeuron = NeuronSpec.FromDecay(0.19999998807907104)

let private load (steps: int) = Safetensors.LoadStateDict(dataPath $"golden/tinyvgg_T{steps}.safetensors")

/// The golden network with the reference's weights, on testDevice (the CPU unless SNNDSL_TEST_DEVICE says otherwise).
let private buildWithWeights (golden: Dictionary<string, torch.Tensor>) =
    let network = NetworkBuilder.Build(tinyVgg goldenNeuron, 0L, testDevice)
    let state = network.state_dict()
    use _ = torch.no_grad()
    for KeyValue(name, target) in state do
        target.copy_(golden.["state/" + name].reshape(target.shape).``to``(testDevice)) |> ignore
    Expect.equal state.Count (golden.Keys |> Seq.filter (fun k -> k.StartsWith "state/") |> Seq.length) "every reference tensor has a home"
    network

/// Conv biases that feed a batch norm have a true gradient of 0; the stored values are rounding noise.
let private biasIntoBatchNorm (name: string) = name = "feature.0.bias" || name = "feature.4.bias"

let private checkMode (steps: int) (kind: EstimatorKind) (prefix: string) =
    use scope = torch.NewDisposeScope()
    let golden = load steps
    let network = buildWithWeights golden
    let input = SpikeInput.Static(golden.["input"].``to``(testDevice))
    let estimator = GradientEstimator.Create(kind, EstimatorOptions(steps))
    let result = estimator.Backward(network, input, golden.["labels"].``to``(testDevice))
    Expect.floatClose { absolute = 1e-5; relative = 1e-5 } (result.ReadLoss()) (golden.[prefix + "/loss"].item<float>()) $"{prefix} loss"
    expectClose 1e-5 1e-5 result.Output golden.[prefix + "/output"] $"{prefix} output"
    for struct (name, p) in network.named_parameters() do
        let expected = golden.[$"{prefix}/grad/{name}"]
        if not (biasIntoBatchNorm name) then
            let grad = gradOf name p
            Expect.isGreaterThan (cosine grad expected) 0.99999 $"{prefix} grad {name} cosine"
            expectClose 1e-4 1e-7 grad expected $"{prefix} grad {name}"

[<Tests>]
let tests =
    testList "Core.Golden (reference implementation)" [
        for steps in [ 1; 2; 4 ] do
            for kind, prefix in [ EstimatorKind.BpttM, "bptt_m"; EstimatorKind.BpttS, "bptt_s"; EstimatorKind.RateM, "rate_m" ] do
                test $"{prefix} at T = {steps}: loss, output and every gradient match" { checkMode steps kind prefix }
        test "rate_m spike pass: BN statistics and eligibilities match the reference internals" {
            use scope = torch.NewDisposeScope()
            let golden = load 4
            let network = buildWithWeights golden
            let ctx = SnnDsl.Core.Layers.PassContext(4, true)
            network.train() |> ignore
            (use _ = torch.no_grad() in network.MultiStep(SpikeInput.Static(golden.["input"].``to``(testDevice)), ctx)) |> ignore
            for layer in network.Layers do
                match layer with
                | :? SnnDsl.Core.Layers.NeuronLayer as lif ->
                    let struct (_, elig) = lif.RateAndEligibility ctx
                    expectClose 1e-5 1e-6 elig golden.[$"rate_m/lif/{lif.Path}/elig"] $"eligibility {lif.Path}"
                | :? SnnDsl.Core.Layers.BatchNormLayer as bn ->
                    let struct (mean, variance) = bn.RecordedStatistics ctx
                    expectClose 1e-5 1e-6 mean golden.[$"rate_m/bn/{bn.Path}/spike_mean"] $"BN mean {bn.Path}"
                    expectClose 1e-5 1e-6 variance golden.[$"rate_m/bn/{bn.Path}/spike_var"] $"BN variance {bn.Path}"
                | _ -> ()
        }
        test "without the 1/T factor, rate_m gradients at T = 4 are exactly T times the reference's" {
            use scope = torch.NewDisposeScope()
            let golden = load 4
            let network = buildWithWeights golden
            let options = EstimatorOptions(4, RateGradientScale = RateScaling.None)
            GradientEstimator.Create(EstimatorKind.RateM, options).Backward(network, SpikeInput.Static(golden.["input"].``to``(testDevice)), golden.["labels"].``to``(testDevice)) |> ignore
            let weight = gradOf "classifier.0.weight" (nonNull (network.get_parameter "classifier.0.weight"))
            expectClose 1e-4 1e-7 weight (golden.["rate_m/grad/classifier.0.weight"] * 4.0f) "unscaled classifier gradient"
        }
    ]
