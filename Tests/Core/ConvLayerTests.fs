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
        // libtorch 2.10's bf16 convolutions get the output wrong for output channels that are not a multiple of 16 and
        // for more than 16 input channels that are not, and the input gradient for either (ConvLayer.ChannelPadding)
        for cin, cout, groups, stride, inputGrad in
            [ 16L, 32L, 1, 1, true; 6L, 10L, 1, 1, true; 24L, 32L, 1, 1, true; 17L, 16L, 1, 1, true; 16L, 20L, 1, 1, true
              3L, 64L, 1, 1, false; 3L, 10L, 1, 1, false; 40L, 64L, 1, 1, false; 8L, 12L, 2, 1, true; 8L, 32L, 4, 1, true; 24L, 48L, 1, 2, true ] do
            let note = if inputGrad then "" else ", input without gradient"
            test $"bf16 conv {cin}→{cout}, groups {groups}, stride {stride}{note}: value and gradients equal float64 on the bf16-rounded operands" {
                let layer = new ConvLayer(ConvSpec("c", cout, 3, Stride = stride, Padding = 1, Groups = groups), "c", cin, new torch.Generator(7UL))
                let side = (14L + int64 stride - 1L) / int64 stride
                let x, g = withSeed 3L (fun () -> torch.randn(8L, cin, 14L, 14L), torch.randn(8L, cout, side, side))
                let xg = x.clone().requires_grad_(inputGrad)
                let y = layer.Apply(xg, PassContext(1, false, Precision = Precision.BFloat16))
                Expect.equal y.dtype torch.float32 "float32 output"
                (y * g).sum().backward()
                // what the bf16 kernel sees: input and weights rounded to bf16; float64 from there
                let rounded (t: torch.Tensor) = t.detach().to_type(torch.bfloat16).to_type(torch.float64)
                let x64 = (rounded x).requires_grad_(true)
                let w64 = (rounded layer.Weight).requires_grad_(true)
                let b64 = (rounded (nonNull layer.Bias)).requires_grad_(true)
                let y64 = torch.nn.functional.conv2d(x64, w64, b64, strides = [| int64 stride |], padding = [| 1L |], groups = int64 groups)
                (y64 * g.to_type(torch.float64)).sum().backward()
                // bf16 rounds the output and the upstream gradient (2^-9 relative each); the fault's errors are 0.1-0.8 or NaN
                Expect.isLessThan (relative y (y64.detach())) 1e-2 "value"
                if inputGrad then Expect.isLessThan (relative (gradOf "x" xg) (gradOf "x64" x64)) 1e-2 "input gradient"
                Expect.isLessThan (relative (gradOf "weight" layer.Weight) (gradOf "w64" w64)) 1e-2 "weight gradient"
                Expect.isLessThan (relative (gradOf "bias" (nonNull layer.Bias)) (gradOf "b64" b64)) 1e-2 "bias gradient"
            }
    ]
