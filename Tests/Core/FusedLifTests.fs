// The fused CPU LIF kernel against the tensor-operation path: spikes bit for bit, rates and eligibilities to float tolerance.
module SnnDsl.Tests.Core.FusedLifTests

open Expecto
open TorchSharp
open SnnDsl.Dsl.Model
open SnnDsl.Dsl.Model.Surrogates
open SnnDsl.Core.Neurons
open SnnDsl.Core.Layers
open SnnDsl.Tests.Support

/// Every surrogate of the catalog with its default arguments.
let private surrogates = [ for d in SurrogateCatalog.All -> SurrogateSpec.Of d.Name ]

let private layerPair (spec: NeuronSpec) =
    let fused = new NeuronLayer(NeuronLayerSpec("lif", spec), "lif")
    let tensor = new NeuronLayer(NeuronLayerSpec("lif", spec), "lif", Fused = false)
    fused, tensor

/// Random time-major input [T·B, C, H, W] whose step-1 values put many membranes exactly on the threshold, or one
/// float step either side of it, however the charge λ·v + x is rounded (the cases a fused multiply-add decides).
let private input (steps: int) (shape: int64 list) (p: LifParameters) =
    withSeed 5L (fun () ->
        let x = torch.randn([| int64 steps * shape.Head; yield! shape.Tail |]) * 0.8f + 0.45f
        let perStep = x.numel() / int64 steps
        let flat = x.view(int64 steps, perStep)
        let pick = torch.rand([| perStep |]).lt(torch.tensor 0.5)
        // below the threshold at step 0, so v_0 = x_0 whatever the reset
        let x0 = torch.rand([| perStep |]) * float32 (0.9 * p.Threshold)
        flat.[0].copy_(torch.where(pick, x0, flat.[0])) |> ignore
        let lambda = float32 p.Decay
        let onThreshold = torch.ones([| perStep |]) * float32 p.Threshold - x0 * lambda
        let nudge = torch.randint(-1L, 2L, [| perStep |]).to_type(torch.float32)
        let nudged = torch.nextafter(onThreshold, onThreshold + nudge)
        flat.[1].copy_(torch.where(pick, nudged, flat.[1])) |> ignore
        x)

let private compare (spec: NeuronSpec) (steps: int) (shape: int64 list) =
    let fused, tensor = layerPair spec
    let x = input steps shape fused.Parameters
    use _ = torch.no_grad()
    let fusedCtx, tensorCtx = PassContext(steps, true), PassContext(steps, true)
    let sFused = fused.MultiStep(x, fusedCtx)
    let sTensor = tensor.MultiStep(x, tensorCtx)
    Expect.isTrue (sameTensor sFused sTensor) "spikes equal bit for bit"
    let fires = sTensor.mean().item<float32>()
    Expect.isTrue (fires > 0.01f && fires < 0.99f) $"a mix of spikes and silence (rate {fires})"
    let struct (rFused, eFused) = fused.RateAndEligibility fusedCtx
    let struct (rTensor, eTensor) = tensor.RateAndEligibility tensorCtx
    Expect.isTrue (sameTensor rFused rTensor) "rates equal"
    expectClose 1e-5 1e-6 eFused eTensor "eligibility"
    let plain = fused.MultiStep(x, PassContext(steps, false))
    Expect.isTrue (sameTensor plain sTensor) "the non-recording pass gives the same spikes"
    Expect.equal (fusedCtx.FiringRates().["lif"]) (tensorCtx.FiringRates().["lif"]) "reported firing rate"

[<Tests>]
let tests =
    testList "Core.Neurons.FusedLif" [
        test "the kernel applies to float32 CPU tensors without a graph only" {
            let x = torch.rand(8L, 4L)
            Expect.isTrue (FusedLif.Applies x) "float32, no graph"
            Expect.isFalse (FusedLif.Applies(x.to_type torch.float64)) "float64 keeps the tensor path"
            Expect.isFalse (FusedLif.Applies(x.clone().requires_grad_(true))) "a graph keeps the tensor path"
            Expect.isFalse (FusedLif.Applies(x.t())) "non-contiguous keeps the tensor path"
        }
        for kind in [ for n in SnnDsl.Dsl.Model.Neurons.NeuronCatalog.All do if n.Fused then yield n.Name ] do // every neuron it covers
            for reset, resetValue in [ ResetMode.Soft, 0.0; ResetMode.Hard, 0.0; ResetMode.Hard, -0.3 ] do
                for detach in [ true; false ] do
                    for surrogate in surrogates do
                        test $"{kind}, {reset} reset to {resetValue}, detach_reset = {detach}, {surrogate}" {
                            let spec = NeuronSpec(Kind = kind, Tau = 1.25, Threshold = 1.0, Reset = reset, ResetValue = resetValue, DetachReset = detach, Surrogate = surrogate)
                            compare spec 4 [ 3L; 5L; 7L; 9L ] // 945 neurons per step: vector body and scalar tail
                        }
        test "many neuron blocks in parallel (T = 6, 18,432 neurons per step), IF neuron, λ = 1" {
            compare (NeuronSpec(Kind = "if", Threshold = 0.7)) 6 [ 8L; 16L; 12L; 12L ]
        }
        test "a graph-building call (BPTT) takes the tensor path and still matches the fused spike pass" {
            let fused, _ = layerPair NeuronSpec.Paper
            let x = input 4 [ 2L; 3L; 5L; 5L ] fused.Parameters
            let withGraph = fused.MultiStep(x.clone().requires_grad_(true), PassContext(4, false))
            Expect.isTrue withGraph.requires_grad "the output carries the surrogate graph"
            let spikePass = (use _ = torch.no_grad() in fused.MultiStep(x, PassContext(4, true)))
            Expect.isTrue (sameTensor (withGraph.detach()) spikePass) "BPTT forward == spike pass, bit for bit"
        }
    ]
