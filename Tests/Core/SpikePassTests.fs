// The rate-BP spike pass is BPTT's forward bit for bit: a membrane placed exactly on the threshold fires in both.
module SnnDsl.Tests.Core.SpikePassTests

open Expecto
open TorchSharp
open SnnDsl.Dsl.Model
open SnnDsl.Core.Model
open SnnDsl.Core.Estimators
open SnnDsl.Tests.Support
open SnnDsl.Tests.Core.TestNetworks

let private steps = 3

/// bn → lif(V_th) → conv → bn → lif → pooling → linear: the first LIF sees BN's output directly (u_0 = x_0).
let private network (threshold: float) =
    let first = NeuronSpec(Threshold = threshold)
    NetworkSpec("onthreshold", Shape.Of(4L, 4L, 4L), [
        bn "bn1"; lif "lif1" first
        conv "conv2" 8 3 1; bn "bn2"; lif "lif2" NeuronSpec.Paper
        AdaptiveAvgPoolSpec("gap", 1); FlattenSpec("flat"); LinearSpec("fc", 3L) ])

/// Batch-norm statistics as the old spike pass normalised with them: var_mean, then the evaluation kernel.
let private separateStatistics (x: torch.Tensor) =
    let struct (variance, mean) = torch.var_mean(x, [| 0L; 2L; 3L |], unbiased = false)
    torch.nn.functional.batch_norm(x, mean, variance, torch.ones(4L), torch.zeros(4L), false, 0.0, 1e-5)

/// An input [2, 4, 4, 4] and a threshold equal to one value of BN's training-mode output on `batchOf input`, chosen
/// where normalising with separately computed statistics rounds below it (so that only the training kernel fires).
let private onThreshold (batchOf: torch.Tensor -> torch.Tensor) =
    [ 0L .. 200L ]
    |> List.pick (fun seed ->
        let input = withSeed seed (fun () -> torch.randn(2L, 4L, 4L, 4L))
        let x = batchOf input
        let kernel = torch.nn.functional.batch_norm(x, torch.zeros(4L), torch.ones(4L), torch.ones(4L), torch.zeros(4L), true, 0.1, 1e-5)
        let lower = separateStatistics(x).lt(kernel).logical_and(kernel.gt(torch.tensor(0.3f))).flatten()
        let candidates = lower.nonzero()
        if candidates.shape.[0] = 0L then None
        else Some(input, float (kernel.flatten().[candidates.[0L, 0L]].item<float32>())))

let private expectBitwiseEqualIn (precision: SnnDsl.Core.Layers.Precision) (reference: EstimatorKind) (rate: EstimatorKind) (batchOf: torch.Tensor -> torch.Tensor) =
    use scope = torch.NewDisposeScope()
    let input, threshold = onThreshold batchOf
    let labels = torch.tensor([| 0L; 2L |])
    let run kind =
        let net = NetworkBuilder.Build(network threshold, 0L)
        let result = GradientEstimator.Create(kind, EstimatorOptions(steps, Precision = precision)).Backward(net, SpikeInput.Static input, labels)
        result, net
    let expected, bptt = run reference
    let actual, rateNet = run rate
    Expect.isTrue (sameTensor actual.Output expected.Output) $"{rate} output = {reference} output, bit for bit"
    Expect.isTrue (sameTensor actual.Loss expected.Loss) $"{rate} loss = {reference} loss, bit for bit"
    Expect.isGreaterThan (expected.FiringRates.["lif1"].to_type(torch.float64).item<float>()) 0.0 "the constructed membrane fires"
    for KeyValue(name, running) in bptt.state_dict() do
        if name.Contains "running" then
            expectClose 1e-6 1e-7 (rateNet.state_dict().[name]) running $"{name}: updated as BPTT updates it"

let private expectBitwiseEqual = expectBitwiseEqualIn SnnDsl.Core.Layers.Precision.Float32

[<Tests>]
let tests =
    testList "Core.SpikePass" [
        test "a membrane exactly on the threshold: rate-M's output and loss equal BPTT-M's bitwise" {
            // multi-step BN sees the T copies of the static input: [T·B, ...]
            expectBitwiseEqual EstimatorKind.BpttM EstimatorKind.RateM (fun x -> torch.cat(Array.create steps x, 0L))
        }
        test "a membrane exactly on the threshold: rate-S's output and loss equal BPTT-S's bitwise" {
            // single-step BN normalises each step's [B, ...] batch
            expectBitwiseEqual EstimatorKind.BpttS EstimatorKind.RateS id
        }
        test "bf16: a membrane exactly on the threshold: rate-M's output and loss equal BPTT-M's bitwise" {
            // bf16 conv2: both passes use the same cast weights and kernels, so the spike pass stays BPTT-M's forward
            expectBitwiseEqualIn SnnDsl.Core.Layers.Precision.BFloat16 EstimatorKind.BpttM EstimatorKind.RateM (fun x -> torch.cat(Array.create steps x, 0L))
        }
        test "bf16: a membrane exactly on the threshold: rate-S's output and loss equal BPTT-S's bitwise" {
            expectBitwiseEqualIn SnnDsl.Core.Layers.Precision.BFloat16 EstimatorKind.BpttS EstimatorKind.RateS id
        }
    ]
