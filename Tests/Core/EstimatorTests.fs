// The estimators against independent computations: a hand-unrolled BPTT, docs/rate-bp.md §5 checks, merges, memory discipline.
module SnnDsl.Tests.Core.EstimatorTests

open Expecto
open TorchSharp
open SnnDsl.Dsl.Model
open SnnDsl.Core.Model
open SnnDsl.Core.Layers
open SnnDsl.Core.Estimators
open SnnDsl.Core.Training
open SnnDsl.Tests.Support
open SnnDsl.Tests.Core.TestNetworks

let private paper = NeuronSpec.Paper

/// A network and batch with a fixed seed; runs one estimator and returns (loss, output, gradients by name).
let private run (spec: NetworkSpec) (kind: EstimatorKind) (steps: int) (seed: int64) (options: EstimatorOptions -> EstimatorOptions) =
  withSeed seed (fun () ->
    let network = NetworkBuilder.Build(spec, seed)
    let batch = 6L
    let input = torch.rand([| yield batch; yield! spec.Input.Dims |]) * 2.0f
    let labels = torch.randint(int64 (ShapeInference.OutputShape(spec).[0]), [| batch |])
    let result = GradientEstimator.Create(kind, options (EstimatorOptions steps)).Backward(network, SpikeInput.Static input, labels)
    let grads = dict [ for struct (name, p) in network.named_parameters() -> name, (gradOf name p).clone() ]
    result, grads)

/// BPTT of Linear(3→4) → LIF (soft, detached) → Linear(4→2), differentiated by hand in the test.
let private handUnrolledBptt (w1: torch.Tensor) (b1: torch.Tensor) (w2: torch.Tensor) (b2: torch.Tensor) (x: torch.Tensor) (y: torch.Tensor) steps (lambda: float) =
    use _ = torch.no_grad()
    let a = x.matmul(w1.t()) + b1                                           // [B, 4], the same at every step
    let sigmoidDerivative (z: torch.Tensor) = let s = (z * 4.0).sigmoid() in s * (1.0 - s) * 4.0
    let mutable v = torch.zeros_like a
    let spikes, surrogates =
        [ for _ in 1 .. steps do
            let u = v * lambda + a
            let s = u.ge(torch.tensor 1.0f).to_type(torch.float32)
            v <- u - s
            yield s, sigmoidDerivative (u - 1.0) ] |> List.unzip
    let out = (spikes |> List.map (fun s -> s.matmul(w2.t()) + b2) |> List.reduce (+)) / float steps
    let batch = float x.shape.[0]
    let dOut = (out.softmax(1) - torch.nn.functional.one_hot(y, 2L).to_type(torch.float32)) / batch    // dL/d mean output
    let dO = dOut / float steps                                             // dL/do_t, the same for every t
    let dW2 = spikes |> List.map (fun s -> dO.t().matmul(s)) |> List.reduce (+)
    let dB2 = dO.sum(0) * float steps
    let dS = dO.matmul(w2)                                                  // dL/ds_t
    let dU = Array.zeroCreate<torch.Tensor> steps
    for t in steps - 1 .. -1 .. 0 do
        let fromFuture = if t = steps - 1 then torch.zeros_like a else dU.[t + 1] * lambda
        dU.[t] <- dS * surrogates.[t] + fromFuture
    let dW1 = dU |> Array.map (fun g -> g.t().matmul(x)) |> Array.reduce (+)
    let dB1 = dU |> Array.map (fun g -> g.sum(0)) |> Array.reduce (+)
    dW1, dB1, dW2, dB2

[<Tests>]
let tests =
    testList "Core.Estimators" [
        test "BPTT-M and BPTT-S gradients equal a hand-unrolled BPTT of a tiny network" {
            let spec = NetworkSpec("tiny", Shape.Of 3L, [ LinearSpec("in", 4L); NeuronLayerSpec("lif", NeuronSpec(Tau = 2.0)); LinearSpec("out", 2L) ])
            for kind in [ EstimatorKind.BpttM; EstimatorKind.BpttS ] do
                for form in [ SnnDsl.Core.Surrogates.SpikeGradientForm.CustomFunction; SnnDsl.Core.Surrogates.SpikeGradientForm.StraightThrough ] do
                    let network = NetworkBuilder.Build(spec, 5L)
                    let p name = nonNull (network.get_parameter name)
                    use _ = torch.no_grad()
                    (p "in.weight").mul_(torch.tensor 3.0f) |> ignore                 // make the hidden layer fire
                    let x = withSeed 6L (fun () -> torch.rand(5L, 3L))
                    let y = torch.tensor [| 0L; 1L; 1L; 0L; 1L |]
                    let dW1, dB1, dW2, dB2 = handUnrolledBptt (p "in.weight") (p "in.bias") (p "out.weight") (p "out.bias") x y 4 0.5
                    torch.set_grad_enabled true |> ignore
                    GradientEstimator.Create(kind, EstimatorOptions(4, GradientForm = form)).Backward(network, SpikeInput.Static x, y) |> ignore
                    for name, expected in [ "in.weight", dW1; "in.bias", dB1; "out.weight", dW2; "out.bias", dB2 ] do
                        expectClose 1e-5 1e-7 (gradOf name (p name)) expected $"{kind} {form} {name}"
                    Expect.isGreaterThan (dW1.abs().sum().item<float32>()) 0f "the hidden layer receives gradient"
        }
        testList "docs/rate-bp.md §5 on a conv net with BN" [
            for steps in [ 1; 2; 4 ] do
                test $"T = {steps}: equal loss values, classifier gradient = BPTT-M × 1/T" {
                    let bptt, gb = run (convBn paper) EstimatorKind.BpttM steps 21L id
                    let rate, gr = run (convBn paper) EstimatorKind.RateM steps 21L id
                    Expect.floatClose { absolute = 1e-6; relative = 1e-6 } (rate.ReadLoss()) (bptt.ReadLoss()) "loss (check 2)"
                    expectClose 1e-5 1e-6 rate.Output bptt.Output "mean output"
                    for name in [ "fc.weight"; "fc.bias" ] do
                        Expect.isGreaterThan (cosine gr.[name] gb.[name]) 0.999999 $"{name} cosine (check 1)"
                        expectClose 1e-4 1e-8 gr.[name] (gb.[name] / float steps) $"{name} = BPTT / T"
                }
            test "at T = 1 rate-M equals BPTT-M for every parameter" {
                let _, gb = run (convBn paper) EstimatorKind.BpttM 1 8L id
                let _, gr = run (convBn paper) EstimatorKind.RateM 1 8L id
                for KeyValue(name, g) in gb do expectClose 1e-4 1e-7 gr.[name] g name
            }
        ]
        test "rate-M and rate-S give the same gradients for static input without BN" {
            for steps in [ 1; 3; 4 ] do
                let m, gm = run (convNoBn paper) EstimatorKind.RateM steps 13L id
                let s, gs = run (convNoBn paper) EstimatorKind.RateS steps 13L id
                Expect.floatClose { absolute = 1e-6; relative = 1e-6 } (s.ReadLoss()) (m.ReadLoss()) "loss"
                for KeyValue(name, g) in gm do expectClose 1e-5 1e-8 gs.[name] g $"T = {steps} {name}"
        }
        test "BPTT-S equals BPTT-M without BN (the same graph, unrolled differently)" {
            let _, gm = run (convNoBn paper) EstimatorKind.BpttM 4 17L id
            let _, gs = run (convNoBn paper) EstimatorKind.BpttS 4 17L id
            for KeyValue(name, g) in gm do expectClose 1e-5 1e-8 gs.[name] g name
        }
        testSequenced <| testList "residual merges, max pooling and dropout: the rate pass reproduces the spike pass's output" [
            for merge in [ MergeKind.Add; MergeKind.And; MergeKind.IAnd ] do
                test $"{merge}" {
                    let spec = residualNet paper merge
                    let bptt, _ = run spec EstimatorKind.BpttM 4 29L id
                    let rate, gr = run spec EstimatorKind.RateM 4 29L id
                    let rateS, _ = run spec EstimatorKind.RateS 4 29L id
                    Expect.floatClose { absolute = 1e-5; relative = 1e-5 } (rate.ReadLoss()) (bptt.ReadLoss()) "rate-M loss = BPTT-M loss"
                    Expect.isTrue (System.Double.IsFinite (rateS.ReadLoss())) "rate-S runs"
                    for KeyValue(name, g) in gr do
                        Expect.isTrue (g.isfinite().all().item<bool>()) $"{name} finite"
                    Expect.isGreaterThan (gr.["stem.weight"].abs().sum().item<float32>()) 0f "gradient reaches the stem"
                }
        ]
        testSequenced <| test "one dispose scope per batch: no tensor survives a training iteration" {
            let spec = residualNet paper MergeKind.Add
            withSeed 2L <| fun () ->
             for kind in [ EstimatorKind.BpttM; EstimatorKind.BpttS; EstimatorKind.RateM; EstimatorKind.RateS ] do
                 let network = NetworkBuilder.Build(spec, 2L)
                 let optimizer = ParameterGroups.Sgd(network, 0.1, 0.9, 5e-4)
                 let estimator = GradientEstimator.Create(kind, EstimatorOptions 3)
                 let input = SpikeInput.Static(torch.rand(4L, 2L, 8L, 8L))
                 let labels = torch.tensor [| 0L; 1L; 2L; 3L |]
                 let live () = DisposeScopeManager.Statistics.ThreadTotalLiveCount
                 TrainingStep.Run(network, estimator, optimizer, input, labels) |> ignore
                 TrainingStep.Run(network, estimator, optimizer, input, labels) |> ignore
                 let before = live ()
                 for _ in 1 .. 3 do TrainingStep.Run(network, estimator, optimizer, input, labels) |> ignore
                 Expect.equal (live ()) before $"{kind}: live tensors after 3 more iterations"
        }
    ]
