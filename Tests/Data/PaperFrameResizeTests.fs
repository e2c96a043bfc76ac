// The paper's CIFAR10-DVS frame resize: byte wrap, premultiplied 'LA', Pillow's antialiased bilinear filter, by hand and by a plain model.
module SnnDsl.Tests.Data.PaperFrameResizeTests

open System
open Expecto
open SnnDsl.Core.Data

/// A straightforward model of the antialiased bilinear resize in real arithmetic: every input whose centre lies within
/// the widened triangle's support contributes (1 − |d|), weights normalised to 1, each pass rounded to a byte.
let private plainResample (plane: byte[]) (inSize: int) (outSize: int) =
    let scale = float inSize / float outSize
    let width = max scale 1.0
    let weights o =
        let centre = (float o + 0.5) * scale
        let raw = [| for i in 0 .. inSize - 1 -> max 0.0 (1.0 - abs ((float i + 0.5 - centre) / width)) |]
        let sum = Array.sum raw
        raw |> Array.map (fun w -> w / sum)
    let toByte (x: float) = byte (Math.Clamp(Math.Round(x, MidpointRounding.AwayFromZero), 0.0, 255.0))
    let rows = Array2D.init inSize outSize (fun y x -> weights x |> Array.mapi (fun i w -> w * float plane.[y * inSize + i]) |> Array.sum |> toByte)
    [| for y in 0 .. outSize - 1 do
         for x in 0 .. outSize - 1 -> weights y |> Array.mapi (fun i w -> w * float rows.[i, x]) |> Array.sum |> toByte |]

let private randomPlane (seed: int) (size: int) =
    let rng = Random seed
    Array.init (size * size) (fun _ -> byte (rng.Next 256))

[<Tests>]
let tests =
    testList "Data.PaperFrameResize" [
        test "ToPILImage's byte cast wraps the counts times 255 modulo 256" {
            Expect.equal [ for c in [ 0f; 1f; 2f; 3f; 255f; 256f; 257f ] -> PaperFrameResize.ToByte c ] [ 0uy; 255uy; 254uy; 253uy; 1uy; 0uy; 255uy ] "wrapped"
        }
        test "premultiplying by alpha rounds l·a/255; unpremultiplying divides, except where alpha is 0 or 255" {
            Expect.equal (PaperFrameResize.Premultiply(255uy, 255uy)) 255uy "opaque"
            Expect.equal (PaperFrameResize.Premultiply(255uy, 0uy)) 0uy "transparent"
            Expect.equal (PaperFrameResize.Premultiply(255uy, 128uy)) 128uy "255·128/255"
            Expect.equal (PaperFrameResize.Premultiply(100uy, 254uy)) 100uy "99.6 rounds to 100"
            Expect.equal (PaperFrameResize.Premultiply(3uy, 100uy)) 1uy "1.18 rounds to 1"
            Expect.equal (PaperFrameResize.Unpremultiply(47uy, 255uy)) 47uy "opaque: unchanged"
            Expect.equal (PaperFrameResize.Unpremultiply(5uy, 0uy)) 5uy "transparent: unchanged"
            Expect.equal (PaperFrameResize.Unpremultiply(50uy, 100uy)) 127uy "255·50/100 = 127.5, integer division"
            Expect.equal (PaperFrameResize.Unpremultiply(90uy, 60uy)) 255uy "clipped to 255"
        }
        test "4x4 -> 2x2 by hand: one event of polarity 0 in the corner under events of polarity 1 everywhere" {
            // every pixel has one polarity-1 event (alpha 255) and the corner one polarity-0 event (L 255, premultiplied 255).
            // Downscale 2: support 2, output 0 reads inputs 0..2 with weights 3/7, 3/7, 1/7 (triangle at distances ¼, ¼, ¾ of 2).
            // horizontal: 255·3/7 = 109.29 -> 109; vertical: 109·3/7 = 46.71 -> 47; alpha stays 255, so L = 47/255.
            let counts = Array.zeroCreate<float32> (2 * 16)
            counts.[0] <- 1f
            for i in 16 .. 31 do counts.[i] <- 1f
            let frame = PaperFrameResize.Resize(counts, 1, 4, 2)
            Expect.sequenceEqual frame [| 47f / 255f; 0f; 0f; 0f; 1f; 1f; 1f; 1f |] "L then A"
        }
        test "a polarity-0 event where polarity 1 has none vanishes: the premultiplied luminance is 0 there" {
            let counts = Array.zeroCreate<float32> (2 * 16)
            counts.[5] <- 1f
            let frame = PaperFrameResize.Resize(counts, 1, 4, 2)
            Expect.isTrue (frame |> Array.forall ((=) 0f)) "all zero"
        }
        test "resampling equals a plain real-arithmetic model to within one step of 1/255 (upscale, downscale, 128 -> 48)" {
            for inSize, outSize, seed in [ 7, 3, 1; 5, 5, 2; 3, 7, 3; 128, 48, 4; 48, 17, 5 ] do
                let plane = randomPlane seed inSize
                let ours = PaperFrameResize.ResamplePlane(plane, inSize, outSize)
                let model = plainResample plane inSize outSize
                let worst = Array.map2 (fun (a: byte) (b: byte) -> abs (int a - int b)) ours model |> Array.max
                Expect.isLessThanOrEqual worst 1 $"{inSize} -> {outSize}: at most one step apart"
        }
        test "whole frames: values in [0, 1], alpha plane = polarity 1 resized, shape [T, 2, S, S]" {
            let rng = Random 7
            let counts = Array.init (3 * 2 * 32 * 32) (fun _ -> float32 (rng.Next 4))
            let frames = PaperFrameResize.Resize(counts, 3, 32, 12)
            Expect.equal frames.Length (3 * 2 * 12 * 12) "[T, 2, S, S]"
            Expect.isTrue (frames |> Array.forall (fun v -> v >= 0f && v <= 1f)) "in [0, 1]"
            for f in 0 .. 2 do
                let alpha = Array.init (32 * 32) (fun i -> PaperFrameResize.ToByte counts.[(f * 2 + 1) * 1024 + i])
                let expected = PaperFrameResize.ResamplePlane(alpha, 32, 12) |> Array.map (fun b -> float32 b / 255f)
                Expect.sequenceEqual frames.[(f * 2 + 1) * 144 .. (f * 2 + 2) * 144 - 1] expected $"frame {f} alpha"
        }
        test "the paper's frames get a cache folder of their own" {
            let area, paper = DvsSettings(10, FrameSplit.Number, 48), DvsSettings(10, FrameSplit.Number, 48, FrameResize.Paper)
            Expect.notEqual paper.CacheFolderName area.CacheFolderName "separate caches"
            Expect.stringEnds paper.CacheFolderName "-paper" "named"
        }
    ]
