// LIF dynamics, surrogate gradients and the eligibility trace, each against an independent computation.
module SnnDsl.Tests.Core.NeuronTests

open Expecto
open TorchSharp
open SnnDsl.Dsl.Model
open SnnDsl.Dsl.Model.Surrogates
open SnnDsl.Core.Neurons
open SnnDsl.Core.Surrogates
open SnnDsl.Core.Layers
open SnnDsl.Tests.Support

let private neuron reset resetValue detach =
    NeuronSpec(Tau = 2.0, Threshold = 1.0, Reset = reset, ResetValue = resetValue, DetachReset = detach) // λ = 0.5

/// Runs LifDynamics.Step over a 1-neuron input sequence; returns (spikes, membranes after reset).
let private trajectory (spec: NeuronSpec) (inputs: float32 list) =
    let p = LifParameters.From spec
    let mutable v : torch.Tensor | null = null
    [ for x in inputs do
        let struct (_, s, vNext) = LifDynamics.Step(v, torch.tensor [| x |], p, SpikeGradientForm.StraightThrough)
        v <- vNext
        yield s.item<float32>(), vNext.item<float32>() ]

let private expectTrajectory spec inputs (expected: (float32 * float32) list) =
    let actual = trajectory spec inputs
    for (t, ((s, v), (es, ev))) in List.indexed (List.zip actual expected) do
        Expect.equal s es $"spike at t = {t}"
        Expect.floatClose { absolute = 1e-6; relative = 0.0 } (float v) (float ev) $"membrane at t = {t}"

let private inputs = [ 0.6f; 0.6f; 0.9f; 0.2f; 1.5f ]

/// Every surrogate of the catalog, with its default arguments and with others (kinks move with them).
let private surrogates =
    [ for d in SurrogateCatalog.All do
        yield Surrogate.From(SurrogateSpec.Of d.Name)
        let varied = [| for a in d.Info.Arguments -> if a.Name = "c" then 0.05 else a.Default * 1.7 |]
        yield Surrogate.From(SurrogateSpec(d.Name, SurrogateArgs.Of varied)) ]

/// Points away from the kinks of the piecewise surrogates (0, ±1/α, ±α/2, ±w for the arguments above), where
/// derivatives are one-sided.
let private smoothPoints () =
    let kinks = [ for k in [ 0.0; 0.5; 1.0; 1.0 / 1.7; 0.85; 1.7 ] do yield k; yield -k ]
    let points = [| for i in 0 .. 56 -> -1.4 + 0.05 * float i + 0.01 |] |> Array.filter (fun x -> kinks |> List.forall (fun k -> abs (x - k) > 1e-3))
    torch.tensor(points, dtype = torch.float64)

/// The firing rate r(x̄) of one LIF layer under a constant input, unrolled with autograd (surrogate gradients).
let private rateByAutograd (p: LifParameters) (steps: int) (xbar: torch.Tensor) =
    let mutable v : torch.Tensor | null = null
    let spikes = ResizeArray()
    for _ in 1 .. steps do
        let struct (_, s, vNext) = LifDynamics.Step(v, xbar, p, SpikeGradientForm.CustomFunction)
        spikes.Add s
        v <- vNext
    torch.stack(spikes).mean([| 0L |])

[<Tests>]
let tests =
    testList "Core.Neurons" [
        testList "LIF trajectories (λ = 0.5, V_th = 1), computed by hand" [
            test "soft reset subtracts the threshold" {
                expectTrajectory (neuron ResetMode.Soft 0.0 true) inputs
                    [ 0f, 0.6f; 0f, 0.9f; 1f, 0.35f; 0f, 0.375f; 1f, 0.6875f ] }
            test "hard reset to 0" {
                expectTrajectory (neuron ResetMode.Hard 0.0 true) inputs
                    [ 0f, 0.6f; 0f, 0.9f; 1f, 0.0f; 0f, 0.2f; 1f, 0.0f ] }
            test "hard reset to -0.5" {
                expectTrajectory (neuron ResetMode.Hard -0.5 true) inputs
                    [ 0f, 0.6f; 0f, 0.9f; 1f, -0.5f; 0f, -0.05f; 1f, -0.5f ] }
            test "detach_reset changes gradients, not values" {
                for reset in [ ResetMode.Soft; ResetMode.Hard ] do
                    Expect.equal (trajectory (neuron reset 0.0 false) inputs) (trajectory (neuron reset 0.0 true) inputs) $"{reset}" }
            test "a membrane exactly at threshold fires (H(0) = 1)" {
                Expect.equal (trajectory (neuron ResetMode.Soft 0.0 true) [ 1.0f ]) [ 1f, 0f ] "fires at u = V_th" }
            test "IF neurons do not leak" {
                expectTrajectory (NeuronSpec(Kind = "if")) [ 0.4f; 0.4f; 0.4f ] [ 0f, 0.4f; 0f, 0.8f; 1f, 0.2f ] }
        ]
        testList "surrogates" [
            for sg in surrogates do
                test $"{sg}: closed-form derivative equals autograd of the primitive" {
                    let x = smoothPoints().requires_grad_(true)
                    sg.Primitive(x).sum().backward()
                    expectClose 1e-9 1e-12 (sg.Derivative(x.detach())) (gradOf "x" x) "derivative"
                }
                for form in [ SpikeGradientForm.CustomFunction; SpikeGradientForm.StraightThrough ] do
                    test $"{sg} {form}: Heaviside forward, surrogate backward" {
                        let x = smoothPoints().requires_grad_(true)
                        let s = SpikeFunction.Apply(x, sg, form)
                        Expect.isTrue (sameTensor (s.detach()) (Surrogate.Heaviside(x.detach()))) "forward is H(x)"
                        Expect.equal (s.sum().item<float>()) (float (x.detach().ge(torch.tensor 0.0).sum().item<int64>())) "spikes where x >= 0"
                        let weights = torch.arange(s.shape.[0], dtype = torch.float64) + 1.0
                        (s * weights).sum().backward()
                        expectClose 1e-9 1e-12 (gradOf "x" x) (sg.Derivative(x.detach()) * weights) "backward"
                    }
        ]
        testList "layer" [
            test "multi-step, single-step and the recording spike pass give the same spikes as the step function" {
                let spec = NeuronLayerSpec("lif", NeuronSpec(Tau = 1.6))
                let layer = new NeuronLayer(spec, "lif")
                let steps, batch = 5, 3
                let x = withSeed 3L (fun () -> torch.rand(int64 (steps * batch), 4L) * 1.5f)                  // [T·B, 4]
                let multi = layer.MultiStep(x, new PassContext(steps, false))
                let recorded = (use _ = torch.no_grad() in layer.MultiStep(x, new PassContext(steps, true)))
                let ctx = new PassContext(steps, false)
                let xt = x.view(int64 steps, int64 batch, 4L)
                let single = torch.stack [ for t in 0 .. steps - 1 -> layer.SingleStep(xt.[t], ctx) ]
                let p = layer.Parameters
                let mutable v : torch.Tensor | null = null
                let byHand = torch.stack [ for t in 0 .. steps - 1 -> (let struct (_, s, vn) = LifDynamics.Step(v, xt.[t], p, SpikeGradientForm.StraightThrough) in v <- vn; s) ]
                Expect.isTrue (sameTensor multi (byHand.view(x.shape))) "multi-step == step function"
                Expect.isTrue (sameTensor recorded multi) "recording pass == multi-step"
                Expect.isTrue (sameTensor single byHand) "single-step == step function"
                Expect.isGreaterThan (multi.sum().item<float32>()) 0f "some neurons fire"
            }
        ]
        testList "eligibility equals the autograd derivative of the rate for a constant input (docs/rate-bp.md §3, check 3)" [
            for reset, resetValue in [ ResetMode.Soft, 0.0; ResetMode.Hard, 0.0; ResetMode.Hard, -0.3 ] do
                for detach in [ true; false ] do
                    for surrogate in [ for d in SurrogateCatalog.All -> SurrogateSpec.Of d.Name ] do
                        test $"{reset} reset to {resetValue}, detach_reset = {detach}, {surrogate}" {
                            let spec = NeuronSpec(Tau = 1.8, Threshold = 0.9, Reset = reset, ResetValue = resetValue, DetachReset = detach, Surrogate = surrogate)
                            let steps = 6
                            let xbar = withSeed 11L (fun () -> torch.rand(200L, dtype = torch.float64) * 1.6 - 0.1)
                            let layer = new NeuronLayer(NeuronLayerSpec("lif", spec), "lif")
                            let ctx = new PassContext(steps, true)
                            (use _ = torch.no_grad() in layer.MultiStep(xbar.repeat(int64 steps), ctx)) |> ignore
                            let struct (rate, elig) = layer.RateAndEligibility ctx
                            let x = xbar.clone().requires_grad_(true)
                            let r = rateByAutograd layer.Parameters steps x
                            r.sum().backward()
                            expectClose 1e-9 1e-12 rate (r.detach()) "rate"
                            expectClose 1e-9 1e-12 elig (gradOf "x" x) "eligibility"
                        }
        ]
    ]
