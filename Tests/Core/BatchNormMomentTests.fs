// Batch norm's bookkeeping: the spike pass's record (channel mean and biased variance against float64) and num_batches_tracked.
module SnnDsl.Tests.Core.BatchNormMomentTests

open Expecto
open TorchSharp
open SnnDsl.Core.Layers
open SnnDsl.Core.Model
open SnnDsl.Core.Estimators
open SnnDsl.Tests.Support

/// float64 var_mean over every dimension but the channels, as float32 [C] tensors.
let private reference (x: torch.Tensor) (dims: int64[]) =
    let struct (variance, mean) = torch.var_mean(x.to_type(torch.float64), dims, unbiased = false)
    mean.to_type(torch.float32), variance.to_type(torch.float32)

let private expectMoments (x: torch.Tensor) (dims: int64[]) =
    let struct (mean, variance) = BatchNormLayer.ChannelMoments x
    let expectedMean, expectedVariance = reference x dims
    Expect.sequenceEqual mean.shape [| x.shape.[1] |] "one mean per channel"
    Expect.sequenceEqual variance.shape [| x.shape.[1] |] "one variance per channel"
    Expect.isFalse (mean.requires_grad || variance.requires_grad) "the record carries no graph"
    expectClose 1e-6 1e-6 mean expectedMean "channel means"
    expectClose 1e-6 1e-7 variance expectedVariance "biased channel variances"

[<Tests>]
let tests =
    testList "Core.BatchNormMoments" [
        test "[N, C, H, W] with an offset mean: within 1e-6 of float64" {
            use _ = torch.NewDisposeScope()
            let x = (withSeed 3L (fun () -> torch.randn(64L, 16L, 12L, 12L)) * 2.0f + 3.0f)
            expectMoments x [| 0L; 2L; 3L |]
        }
        test "[N, C] (batch norm after a linear layer)" {
            use _ = torch.NewDisposeScope()
            let x = withSeed 4L (fun () -> torch.randn(256L, 10L)) - 5.0f
            expectMoments x [| 0L |]
        }
        test "an input that needs a gradient: the moments are still graph-free and equal" {
            use _ = torch.NewDisposeScope()
            let x = (withSeed 5L (fun () -> torch.randn(8L, 4L, 5L, 5L))).requires_grad_(true)
            expectMoments x [| 0L; 2L; 3L |]
        }
        // torch.nn.BatchNorm2d counts every training-mode forward; the reference's rate pass switches tracking off
        for kind, perIteration in [ EstimatorKind.BpttM, 1L; EstimatorKind.BpttS, 4L; EstimatorKind.RateM, 1L; EstimatorKind.RateS, 4L ] do
            test $"num_batches_tracked grows by {perIteration} per {kind} iteration at T = 4, as the reference's modules count, and not in evaluation" {
                use _ = torch.NewDisposeScope()
                let network = NetworkBuilder.Build(TestNetworks.convBn SnnDsl.Dsl.Model.NeuronSpec.Paper, 2L)
                let input = SpikeInput.Static(withSeed 6L (fun () -> torch.randn(4L, 2L, 8L, 8L)))
                let labels = torch.tensor([| 0L; 1L; 2L; 3L |])
                let estimator = GradientEstimator.Create(kind, EstimatorOptions(4))
                let counts () = [ for l in network.Layers do match l with :? BatchNormLayer as b -> b.BatchesTracked.item<int64>() | _ -> () ]
                for iteration in 1L .. 2L do
                    estimator.Backward(network, input, labels) |> ignore
                    Expect.equal (counts ()) [ iteration * perIteration; iteration * perIteration ] $"after {iteration} iterations"
                network.eval() |> ignore
                (use _ = torch.no_grad() in network.MultiStep(input, PassContext(4, false))) |> ignore
                Expect.equal (counts ()) [ 2L * perIteration; 2L * perIteration ] "evaluation counts nothing"
            }
    ]
