// The spike pass's batch-norm record: channel mean and biased variance, against a float64 reference.
module SnnDsl.Tests.Core.BatchNormMomentTests

open Expecto
open TorchSharp
open SnnDsl.Core.Layers
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
    ]
