// Adaptive average pooling: PyTorch's window rule with overlapping windows, the same in every mode, exact on rates; checked shapes.
module SnnDsl.Tests.Core.AdaptivePoolTests

open Expecto
open TorchSharp
open SnnDsl.Dsl
open SnnDsl.Dsl.Model
open SnnDsl.Core.Layers
open SnnDsl.Tests.Support
open SnnDsl.Tests.Dsl.DslTestSupport

/// Output i of an adaptive pool from n to s averages inputs ⌊i·n/s⌋ .. ⌈(i+1)·n/s⌉ − 1, written out by hand.
let private handPool (x: float32[,]) (s: int) =
    let n = Array2D.length1 x
    let window i = i * n / s, ((i + 1) * n + s - 1) / s - 1
    Array2D.init s s (fun i j ->
        let (r0, r1), (c0, c1) = window i, window j
        let cells = [ for r in r0 .. r1 do for c in c0 .. c1 -> x.[r, c] ]
        List.sum cells / float32 cells.Length)

[<Tests>]
let tests =
    testList "Core.AdaptivePool" [
        test "4x4 -> 3x3 uses overlapping 2x2 windows at rows and columns 0, 1, 2 (VGGSNN-CIFAR's read-out pool)" {
            let values = Array2D.init 4 4 (fun r c -> float32 (r * 4 + c))
            let expected = handPool values 3
            Expect.equal expected.[0, 0] ((0f + 1f + 4f + 5f) / 4f) "top-left window"
            Expect.equal expected.[1, 1] ((5f + 6f + 9f + 10f) / 4f) "the centre window overlaps both neighbours"
            let layer = new AdaptiveAvgPoolLayer(AdaptiveAvgPoolSpec("pool", 3), "pool")
            let x = torch.tensor([| for r in 0 .. 3 do for c in 0 .. 3 -> values.[r, c] |]).view(1L, 1L, 4L, 4L)
            let y = layer.Apply x
            let want = torch.tensor([| for r in 0 .. 2 do for c in 0 .. 2 -> expected.[r, c] |]).view(1L, 1L, 3L, 3L)
            expectClose 0.0 1e-6 y want "PyTorch's window rule"
        }
        test "7x7 -> 3x3 and 2x2 -> 3x3 (windows of uneven size, and more outputs than inputs) match the hand rule" {
            for n, s in [ 7, 3; 2, 3; 5, 5 ] do
                let values = withSeed (int64 n) (fun () -> torch.randn(int64 n, int64 n))
                let grid = Array2D.init n n (fun r c -> values.[int64 r, int64 c].item<float32>())
                let expected = handPool grid s
                let y = (new AdaptiveAvgPoolLayer(AdaptiveAvgPoolSpec("p", s), "p")).Apply(values.view(1L, 1L, int64 n, int64 n))
                expectClose 0.0 1e-6 y (torch.tensor([| for r in 0 .. s - 1 do for c in 0 .. s - 1 -> expected.[r, c] |]).view(1L, 1L, int64 s, int64 s)) $"{n} -> {s}"
        }
        test "multi-step, single-step and rate modes agree, and the rate of the mean input equals the mean of the outputs" {
            use scope = torch.NewDisposeScope()
            let layer = new AdaptiveAvgPoolLayer(AdaptiveAvgPoolSpec("pool", 3), "pool")
            let steps = 4
            let xt = withSeed 3L (fun () -> torch.rand([| int64 steps; 2L; 5L; 4L; 4L |]).round()) // spikes [T, B, C, H, W]
            let ctx = PassContext(steps, true)
            let multi = layer.MultiStep(xt.flatten(0, 1), ctx).view(int64 steps, 2L, 5L, 3L, 3L)
            for t in 0 .. steps - 1 do
                Expect.isTrue (sameTensor (layer.SingleStep(xt.[int64 t], ctx)) multi.[int64 t]) $"step {t}"
            let rate = layer.Rate(xt.mean([| 0L |]), ctx)
            expectClose 1e-6 1e-7 rate (multi.mean([| 0L |])) "linear: exact on rates"
        }
        test "shapes: [C, H, W] -> [C, s, s]; a flat input and a size of 0 are errors at the layer" {
            let result = expectNetwork (networkWith "  conv(8, 3); pool: adaptive_avgpool(3); flatten; linear(classes)")
            let row = result.LayerTable |> Seq.find (fun r -> r.Path = "pool")
            Expect.equal (List.ofSeq row.Output.Dims) [ 8L; 3L; 3L ] "pooled shape"
            Expect.equal row.Parameters 0L "no parameters"
            let flat = compile (networkWith "  flatten; adaptive_avgpool(3); linear(classes)")
            Expect.isFalse flat.Succeeded "a flat input is refused"
            Expect.stringContains (flat.Diagnostics |> Seq.map (fun d -> d.Message) |> String.concat "\n") "adaptive_avgpool '1' expects a [C, H, W] input" "message names the layer"
            let zero = compile (networkWith "  adaptive_avgpool(0); flatten; linear(classes)")
            Expect.isFalse zero.Succeeded "size 0 is refused"
        }
    ]
