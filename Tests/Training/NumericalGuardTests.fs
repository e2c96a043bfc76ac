// The divergence guard: it names the first non-finite gradient or state tensor, and a guarded step with one is not applied.
module SnnDsl.Tests.Training.NumericalGuardTests

open System
open Expecto
open TorchSharp
open SnnDsl.Core.Estimators
open SnnDsl.Core.Model
open SnnDsl.Core.Settings
open SnnDsl.Core.Training
open SnnDsl.Tests.Support
open SnnDsl.Tests.Core.TestNetworks

[<Tests>]
let tests =
    testList "Training.NumericalGuard" [
        test "a non-finite loss, gradient or buffer is named; finite ones pass" {
            let network = NetworkBuilder.Build(convBn SnnDsl.Dsl.Model.NeuronSpec.Paper, 1L)
            Expect.equal (NumericalGuard.FirstNonFinite(network, torch.tensor(Double.PositiveInfinity))) "loss" "loss"
            for p in network.parameters() do p.grad <- torch.zeros_like(p)
            Expect.isNull (NumericalGuard.FirstNonFinite(network, torch.tensor(1.0))) "finite"
            let struct (name, p) = network.named_parameters() |> Seq.item 1
            p.grad <- torch.full_like(p, Double.NaN)
            Expect.equal (NumericalGuard.FirstNonFinite(network, torch.tensor(1.0))) ("gradient of " + name) "first non-finite gradient"
            Expect.isNull (NumericalGuard.FirstNonFiniteState network) "weights still finite"
            use _ = torch.no_grad()
            p.fill_(Double.PositiveInfinity) |> ignore
            Expect.equal (NumericalGuard.FirstNonFiniteState network) name "non-finite weight"
        }
        test "stop mode records the first bad batch on the device and throws naming the epoch and batch" {
            let network = NetworkBuilder.Build(convBn SnnDsl.Dsl.Model.NeuronSpec.Paper, 1L)
            for p in network.parameters() do p.grad <- torch.zeros_like(p)
            use watch = new DivergenceWatch(network, NonFiniteAction.Stop, torch.CPU)
            let result loss = GradientResult(torch.tensor(loss: float), torch.zeros(1), readOnlyDict [], Unchecked.defaultof<_>)
            Expect.isTrue (watch.Accept(result 1.0, 0)) "finite step"
            watch.ThrowIfDiverged 0
            Expect.isTrue (watch.Accept(result Double.NaN, 1)) "stop mode never refuses a step"
            Expect.isTrue (watch.Accept(result Double.NaN, 2)) "later bad batch"
            Expect.throwsC (fun () -> watch.ThrowIfDiverged 4) (fun e ->
                Expect.stringContains e.Message "training diverged in epoch 5, batch 2" "first bad batch, 1-based")
        }
        test "a guarded training step with a NaN input changes no weight" {
            let spec = convBn SnnDsl.Dsl.Model.NeuronSpec.Paper
            let network = NetworkBuilder.Build(spec, 1L)
            let before = [ for p in network.parameters() -> p.clone() ]
            let optimizer = ParameterGroups.Sgd(network, 0.1, 0.9, 0.0)
            let estimator = GradientEstimator.Create(EstimatorKind.BpttM, EstimatorOptions(2))
            let shape = Array.append [| 2L |] (spec.Input.Dims |> Seq.map int64 |> Array.ofSeq)
            let input = torch.zeros(shape).fill_(Double.NaN)
            let watch = new DivergenceWatch(network, NonFiniteAction.Skip, torch.CPU)
            let step = TrainingStep.Run(network, estimator, optimizer, SpikeInput.Static input, torch.tensor([| 0L; 1L |]), check = (fun r -> watch.Accept(r, 0)))
            Expect.isTrue step.Skipped "refused"
            Expect.equal watch.Skipped 1 "counted"
            for p, b in Seq.zip (network.parameters()) before do Expect.isTrue (sameTensor p b) "unchanged"
        }
    ]
