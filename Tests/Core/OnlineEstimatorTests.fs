// OTTT, SLTT and SLTT-K against independent computations: a detached-membrane BPTT, hand-derived OTTT gradients, memory and leaks.
module SnnDsl.Tests.Core.OnlineEstimatorTests

open Expecto
open TorchSharp
open SnnDsl.Dsl.Model
open SnnDsl.Core.Benchmarks
open SnnDsl.Core.Estimators
open SnnDsl.Core.Model
open SnnDsl.Core.Settings
open SnnDsl.Core.Training
open SnnDsl.Tests.Support
open SnnDsl.Tests.Core.TestNetworks

let private paper = NeuronSpec.Paper
let private lambda = 0.5 // NeuronSpec(Tau = 2.0)

/// Linear(3→6) → LIF → Linear(6→5) → LIF → Linear(5→2), λ = 0.5, soft detached reset, sigmoid(α = 4) surrogate.
let private mlp =
    let neuron = NeuronSpec(Tau = 2.0)
    NetworkSpec("mlp", Shape.Of 3L, [ LinearSpec("l1", 6L); NeuronLayerSpec("n1", neuron); LinearSpec("l2", 5L)
                                      NeuronLayerSpec("n2", neuron); LinearSpec("out", 2L) ])

/// Linear(3→4) → LIF → Linear(4→2): the one-hidden-layer network of the OTTT check.
let private oneHidden =
    NetworkSpec("one", Shape.Of 3L, [ LinearSpec("in", 4L); NeuronLayerSpec("lif", NeuronSpec(Tau = 2.0)); LinearSpec("out", 2L) ])

let private batch () =
    let x = withSeed 6L (fun () -> torch.rand(5L, 3L))
    x, torch.tensor [| 0L; 1L; 1L; 0L; 1L |]

/// A network whose first layer is scaled up so that its neurons fire; returns it with a parameter lookup.
let private firingNetwork spec =
    let network = NetworkBuilder.Build(spec, 5L)
    let p name = nonNull (network.get_parameter name) :> torch.Tensor
    use _ = torch.no_grad()
    (p (spec.Layers.[0].Name + ".weight")).mul_(torch.tensor 3.0f) |> ignore
    network, p

let private gradients (network: SpikingNetwork) =
    dict [ for struct (name, p) in network.named_parameters() -> name, (gradOf name p).clone() ]

/// Runs an estimator on a fresh copy of the seeded network; returns (result, gradients).
let private estimate spec kind (options: EstimatorOptions) (input: torch.Tensor) labels =
    let network, _ = firingNetwork spec
    let result = GradientEstimator.Create(kind, options).Backward(network, SpikeInput.Static input, labels)
    result, gradients network

/// Independent reference: a BPTT of the MLP written with autograd, its membrane recurrence cut (u_t = λ·stopgrad(v_{t−1})
/// + x_t), spikes H(u − 1) carrying the sigmoid(4·) derivative, loss Σ_t w_t·CE(o_t, y).
let private detachedBptt (p: string -> torch.Tensor) (x: torch.Tensor) (y: torch.Tensor) (weights: float list) =
    let leaf name = (p name).detach().clone().requires_grad_(true)
    let layers = [ for n in [ "l1"; "l2"; "out" ] -> leaf (n + ".weight"), leaf (n + ".bias") ]
    let fire (u: torch.Tensor) =
        let sigma = ((u - 1.0) * 4.0).sigmoid()
        u.ge(torch.tensor 1.0f).to_type(torch.float32).detach() + (sigma - sigma.detach())
    let mutable v = [ None; None ]
    let mutable loss = torch.tensor 0.0f
    for w in weights do
        let mutable h = x
        let next = ResizeArray()
        for i, (weight, bias) in List.indexed layers do
            let a = h.matmul(weight.t()) + bias
            if i < 2 then
                let u = match v.[i] with Some (prev: torch.Tensor) -> prev.detach() * lambda + a | None -> a
                let s = fire u
                next.Add(Some (u - s.detach()))
                h <- s
            else h <- a
        v <- List.ofSeq next
        loss <- loss + torch.nn.functional.cross_entropy(h, y) * w
    loss.backward()
    dict [ for (n, (weight, bias)) in List.zip [ "l1"; "l2"; "out" ] layers do
               yield n + ".weight", weight.grad |> nonNull
               yield n + ".bias", bias.grad |> nonNull ]

/// OTTT on oneHidden by hand, without autograd: δ_t = (softmax(o_t) − onehot)/(B·T), dW_out = Σ_t δ_tᵀ·â_t with
/// â_t = λ·â_{t−1} + s_t, dW_in = Σ_t (δ_t·W_out ⊙ sg_t)ᵀ·x (spatial path only; the input layer sees real values).
let private handOttt (p: string -> torch.Tensor) (x: torch.Tensor) (y: torch.Tensor) steps =
    use _ = torch.no_grad()
    let w1, b1, w2, b2 = p "in.weight", p "in.bias", p "out.weight", p "out.bias"
    let a = x.matmul(w1.t()) + b1
    let onehot = torch.nn.functional.one_hot(y, 2L).to_type(torch.float32)
    let scale = float x.shape.[0] * float steps
    let mutable v = torch.zeros_like a
    let mutable trace = torch.zeros_like a
    let mutable dW1, dB1, dW2, dB2 = torch.zeros_like w1, torch.zeros_like b1, torch.zeros_like w2, torch.zeros_like b2
    for _ in 1 .. steps do
        let u = v * lambda + a
        let s = u.ge(torch.tensor 1.0f).to_type(torch.float32)
        let sigma = ((u - 1.0) * 4.0).sigmoid()
        v <- u - s
        trace <- trace * lambda + s
        let o = s.matmul(w2.t()) + b2
        let delta = (o.softmax(1) - onehot) / scale
        dW2 <- dW2 + delta.t().matmul(trace)
        dB2 <- dB2 + delta.sum(0)
        let dU = delta.matmul(w2) * (sigma * (1.0 - sigma) * 4.0)
        dW1 <- dW1 + dU.t().matmul(x)
        dB1 <- dB1 + dU.sum(0)
    dict [ "in.weight", dW1; "in.bias", dB1; "out.weight", dW2; "out.bias", dB2 ]

let private expectSame (actual: System.Collections.Generic.IDictionary<string, torch.Tensor>) (expected: System.Collections.Generic.IDictionary<string, torch.Tensor>) what =
    for KeyValue(name, g) in expected do expectClose 1e-5 1e-7 actual.[name] g $"{what} {name}"

let private benchNetwork = NetworkSpec("bench", Shape.Of(2L, 16L, 16L), (convBn paper).Layers)
let private benchSettings = BenchSettings(BatchSize = 4, Warmup = 0, Iterations = 1, Seed = 3L)

[<Tests>]
let tests =
    testList "Core.OnlineEstimators" [
        test "at T = 1 SLTT and OTTT equal BPTT-S (conv net with BN)" {
            let x = withSeed 4L (fun () -> torch.rand(6L, 2L, 8L, 8L) * 2.0f)
            let y = torch.tensor [| 0L; 1L; 2L; 3L; 4L; 0L |]
            let spec = convBn paper
            let run kind = withSeed 9L (fun () ->
                let network = NetworkBuilder.Build(spec, 9L)
                let r = GradientEstimator.Create(kind, EstimatorOptions 1).Backward(network, SpikeInput.Static x, y)
                r, gradients network)
            let bptt, gb = run EstimatorKind.BpttS
            for kind in [ EstimatorKind.Sltt; EstimatorKind.Ottt; EstimatorKind.SlttK ] do
                let r, g = run kind
                Expect.floatClose { absolute = 1e-6; relative = 1e-6 } (r.ReadLoss()) (bptt.ReadLoss()) $"{kind} loss"
                expectSame g gb $"{kind}"
        }
        test "SLTT equals a BPTT whose membrane recurrence is detached (per-step losses, mean over T)" {
            let x, y = batch ()
            for steps in [ 2; 4 ] do
                let network, p = firingNetwork mlp
                let expected = detachedBptt p x y (List.replicate steps (1.0 / float steps))
                let result = GradientEstimator.Create(EstimatorKind.Sltt, EstimatorOptions steps).Backward(network, SpikeInput.Static x, y)
                expectSame (gradients network) expected $"T = {steps}"
                Expect.isGreaterThan (expected.["l1.weight"].abs().sum().item<float32>()) 0f "the first layer receives gradient"
                Expect.isTrue (System.Double.IsFinite(result.ReadLoss())) "loss"
        }
        test "SLTT differs from BPTT-S when the temporal path matters" {
            let x, y = batch ()
            let _, sltt = estimate mlp EstimatorKind.Sltt (EstimatorOptions 4) x y
            let _, bptt = estimate mlp EstimatorKind.BpttS (EstimatorOptions 4) x y
            Expect.isGreaterThan (maxAbsDiff sltt.["l1.weight"] bptt.["l1.weight"]) 1e-6 "first-layer gradients differ"
        }
        test "SLTT-K back-propagates the K seeded steps it draws, each step's loss weighted 1/K" {
            let x, y = batch ()
            let steps, k = 5, 2
            let options = EstimatorOptions(steps, SlttK = k, Seed = 11L)
            let drawn = (OnlineEstimator(options, EstimatorKind.SlttK)).DrawSteps()
            Expect.equal drawn.Count k "K distinct steps"
            Expect.isTrue (drawn |> Seq.forall (fun t -> t >= 0 && t < steps)) "steps in [0, T)"
            let network, p = firingNetwork mlp
            let expected = detachedBptt p x y [ for t in 0 .. steps - 1 -> if drawn.Contains t then 1.0 / float k else 0.0 ]
            GradientEstimator.Create(EstimatorKind.SlttK, options).Backward(network, SpikeInput.Static x, y) |> ignore
            expectSame (gradients network) expected "SLTT-K"
            let again = (OnlineEstimator(options, EstimatorKind.SlttK)).DrawSteps()
            Expect.sequenceEqual (Seq.sort again) (Seq.sort drawn) "the same seed draws the same steps"
            Expect.equal (EstimatorOptions(4).StepsBackpropagated) 2 "default K = T/2"
            Expect.equal (EstimatorOptions(4, SlttK = 9).StepsBackpropagated) 4 "K capped at T"
        }
        test "SLTT-K with --sltt-k-weight 1/T weights each drawn step 1/T, as the SLTT authors' script" {
            let x, y = batch ()
            let steps, k = 5, 2
            let options = EstimatorOptions(steps, SlttK = k, Seed = 11L, SlttKWeight = SlttKWeight.InverseT)
            let drawn = (OnlineEstimator(options, EstimatorKind.SlttK)).DrawSteps()
            let network, p = firingNetwork mlp
            let expected = detachedBptt p x y [ for t in 0 .. steps - 1 -> if drawn.Contains t then 1.0 / float steps else 0.0 ]
            GradientEstimator.Create(EstimatorKind.SlttK, options).Backward(network, SpikeInput.Static x, y) |> ignore
            expectSame (gradients network) expected "SLTT-K, 1/T"
            let config = TrainingConfig().With([ struct ("sltt-k-weight", SnnDsl.Tests.Support.Json.node "1/T") ], "test")
            Expect.equal config.Estimator.SlttKWeight SlttKWeight.InverseT "the setting's name table reads 1/T"
            Expect.stringContains (config.ToJson()) "\"sltt-k-weight\": \"1/T\"" "and writes it back"
            Expect.equal (TrainingConfig().Estimator.SlttKWeight) SlttKWeight.InverseK "1/K by default"
        }
        test "OTTT's gradients equal Σ_t δ_t·â_tᵀ computed by hand (one hidden layer)" {
            let x, y = batch ()
            for steps in [ 1; 3; 5 ] do
                let network, p = firingNetwork oneHidden
                let expected = handOttt p x y steps
                let result = GradientEstimator.Create(EstimatorKind.Ottt, EstimatorOptions steps).Backward(network, SpikeInput.Static x, y)
                expectSame (gradients network) expected $"T = {steps}"
                Expect.isGreaterThan (expected.["out.weight"].abs().sum().item<float32>()) 0f "the read-out receives gradient"
                Expect.isTrue (System.Double.IsFinite(result.ReadLoss())) "loss"
            let network, _ = firingNetwork oneHidden
            GradientEstimator.Create(EstimatorKind.Sltt, EstimatorOptions 3).Backward(network, SpikeInput.Static x, y) |> ignore
            let sltt = gradients network
            let network, _ = firingNetwork oneHidden
            GradientEstimator.Create(EstimatorKind.Ottt, EstimatorOptions 3).Backward(network, SpikeInput.Static x, y) |> ignore
            Expect.isGreaterThan (maxAbsDiff (gradients network).["out.weight"] sltt.["out.weight"]) 1e-6 "traces change the read-out gradient"
        }
        test "OTTT's forward is the spiking forward: its output equals BPTT-S's" {
            let x, y = batch ()
            let ottt, _ = estimate mlp EstimatorKind.Ottt (EstimatorOptions 4) x y
            let bptt, _ = estimate mlp EstimatorKind.BpttS (EstimatorOptions 4) x y
            expectClose 1e-6 1e-7 ottt.Output bptt.Output "mean output"
        }
        testSequenced <| test "memory held for backward and the tensor peak do not grow with T" {
            let measure kind steps = Benchmark.Run(benchNetwork, kind, steps, benchSettings)
            let bptt8 = float (measure EstimatorKind.BpttM 8).HeldForBackwardBytes
            for kind in [ EstimatorKind.Ottt; EstimatorKind.Sltt; EstimatorKind.SlttK ] do
                let m2, m8 = measure kind 2, measure kind 8
                let held2, held8 = float m2.HeldForBackwardBytes, float m8.HeldForBackwardBytes
                Expect.isLessThan (abs (held8 - held2) / held2) 0.02 $"{kind} held T=8 vs T=2: {held8} vs {held2}"
                Expect.isLessThan (held8 / bptt8) 0.5 $"{kind} / BPTT-M held at T=8"
                let peak2, peak8 = float m2.TensorPeakBytes, float m8.TensorPeakBytes
                Expect.isLessThan (abs (peak8 - peak2) / peak2) 0.05 $"{kind} peak T=8 vs T=2: {peak8} vs {peak2}"
        }
        testSequenced <| test "no tensor survives a training iteration (residual merges, max pooling, dropout)" {
            withSeed 2L <| fun () ->
             for merge in [ MergeKind.Add; MergeKind.And ] do
              for kind in [ EstimatorKind.Ottt; EstimatorKind.Sltt; EstimatorKind.SlttK ] do
                 let network = NetworkBuilder.Build(residualNet paper merge, 2L)
                 let optimizer = ParameterGroups.Sgd(network, 0.1, 0.9, 5e-4)
                 let estimator = GradientEstimator.Create(kind, EstimatorOptions 3)
                 let input = SpikeInput.Static(torch.rand(4L, 2L, 8L, 8L))
                 let labels = torch.tensor [| 0L; 1L; 2L; 3L |]
                 let live () = DisposeScopeManager.Statistics.ThreadTotalLiveCount
                 TrainingStep.Run(network, estimator, optimizer, input, labels) |> ignore
                 let before = live ()
                 for _ in 1 .. 3 do TrainingStep.Run(network, estimator, optimizer, input, labels) |> ignore
                 Expect.equal (live ()) before $"{kind} {merge}: live tensors after 3 more iterations"
                 for struct (name, p) in network.named_parameters() do
                     Expect.isTrue ((gradOf name p).isfinite().all().item<bool>()) $"{kind} {name} finite"
        }
        test "snn grad's comparison runs the online estimators next to BPTT-M" {
            let x, y = batch ()
            let network, _ = firingNetwork mlp
            let runs = GradientComparison.Compute(network, [ EstimatorKind.BpttM; EstimatorKind.Ottt; EstimatorKind.Sltt; EstimatorKind.SlttK ],
                                                  EstimatorOptions 4, SpikeInput.Static x, y) |> List.ofSeq
            Expect.sequenceEqual [ for r in runs -> r.Estimator ] [ EstimatorKind.BpttM; EstimatorKind.Ottt; EstimatorKind.Sltt; EstimatorKind.SlttK ] "one run each"
            let _, sltt = estimate mlp EstimatorKind.Sltt (EstimatorOptions 4) x y
            let comparedSltt = runs.[2].Gradients |> Seq.map (fun kv -> kv.Key, kv.Value) |> dict
            expectSame comparedSltt sltt "the comparison's SLTT gradients are the estimator's"
        }
        test "estimator names and --sltt-k are checked with one sentence" {
            for name in [ "ottt"; "sltt"; "sltt-k" ] do
                Expect.equal (EstimatorNames.Of(EstimatorNames.Table.Parse name)) name $"{name} in the one estimator table"
            let bad = TrainingConfig(Estimator = SnnDsl.Core.Settings.EstimatorSettings(Kind = EstimatorKind.SlttK, TimeSteps = 4, SlttK = 5))
            Expect.throwsT<ConfigException> (fun () -> bad.Validated() |> ignore) "K > T"
        }
    ]
