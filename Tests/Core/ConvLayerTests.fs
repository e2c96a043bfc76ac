// The conv layer's gradients against a float64 reference, including the output-channel counts libtorch gets wrong.
module SnnDsl.Tests.Core.ConvLayerTests

open Expecto
open TorchSharp
open SnnDsl.Dsl.Model
open SnnDsl.Core.Layers
open SnnDsl.Tests.Support

let private relative (a: torch.Tensor) (b: torch.Tensor) =
    (a.to_type(torch.float64) - b).abs().max().item<float>() / (b.abs().max().item<float>() + 1e-300)

[<Tests>]
let tests =
    testList "Core.Layers.Conv" [
        for cin, cout, groups, stride in [ 4L, 4L, 1, 1; 6L, 8L, 1, 1; 16L, 20L, 1, 1; 3L, 1L, 1, 1; 8L, 12L, 2, 1; 4L, 8L, 1, 2; 8L, 16L, 1, 1; 8L, 32L, 4, 1 ] do
            test $"conv {cin}→{cout}, groups {groups}, stride {stride}: value and input/weight/bias gradients equal float64 autograd" {
                let layer = new ConvLayer(ConvSpec("c", cout, 3, Stride = stride, Padding = 1, Groups = groups), "c", cin, new torch.Generator(7UL))
                let x, g = withSeed 3L (fun () -> torch.randn(8L, cin, 14L, 14L), torch.randn(8L, cout, (14L + int64 stride - 1L) / int64 stride, (14L + int64 stride - 1L) / int64 stride))
                let xg = x.clone().requires_grad_(true)
                let y = layer.Apply xg
                (y * g).sum().backward()
                let x64 = x.to_type(torch.float64).requires_grad_(true)
                let w64 = layer.Weight.detach().to_type(torch.float64).requires_grad_(true)
                let b64 = (nonNull layer.Bias).detach().to_type(torch.float64).requires_grad_(true)
                let y64 = torch.nn.functional.conv2d(x64, w64, b64, strides = [| int64 stride |], padding = [| 1L |], groups = int64 groups)
                (y64 * g.to_type(torch.float64)).sum().backward()
                Expect.isLessThan (relative y (y64.detach())) 1e-5 "value"
                Expect.isLessThan (relative (gradOf "x" xg) (gradOf "x64" x64)) 1e-5 "input gradient"
                Expect.isLessThan (relative (gradOf "weight" layer.Weight) (gradOf "w64" w64)) 1e-5 "weight gradient"
                Expect.isLessThan (relative (gradOf "bias" (nonNull layer.Bias)) (gradOf "b64" b64)) 1e-5 "bias gradient"
            }
    ]
