// Tests for per-sample augmentation: crop, flip, Cutout, normalisation and the AutoAugment image operations.
module SnnDsl.Tests.Data.AugmentTests

open System
open Expecto
open SnnDsl.Core.Data

let gray (h: int) (w: int) (values: int[]) = SampleShape(1, h, w), Array.map byte values

let cropTests =
    testList "crop and flip" [
        test "crop at zero offset is the identity and keeps the shape" {
            let shape = SampleShape(3, 8, 7)
            let image = DataFiles.randomBytes 5 shape.Size
            let out = Array.zeroCreate shape.Size
            Augment.Crop(ReadOnlySpan image, Span out, shape, 0, 0)
            Expect.equal out image "identity"
        }
        test "crop shifts content and fills with zeros" {
            let shape, image = gray 3 3 [| 1; 2; 3; 4; 5; 6; 7; 8; 9 |]
            let out = Array.zeroCreate 9
            Augment.Crop(ReadOnlySpan image, Span out, shape, 1, -1)
            Expect.equal out (Array.map byte [| 0; 0; 0; 2; 3; 0; 5; 6; 0 |]) "shifted"
        }
        test "crop beyond the image gives zeros" {
            let shape, image = gray 2 2 [| 1; 2; 3; 4 |]
            let out = Array.create 4 9uy
            Augment.Crop(ReadOnlySpan image, Span out, shape, 4, 0)
            Expect.equal out (Array.zeroCreate 4) "zeros"
        }
        test "flip mirrors rows and twice is the identity" {
            let shape, image = gray 2 3 [| 1; 2; 3; 4; 5; 6 |]
            let copy = Array.copy image
            Augment.FlipHorizontal(Span copy, shape)
            Expect.equal copy (Array.map byte [| 3; 2; 1; 6; 5; 4 |]) "once"
            Augment.FlipHorizontal(Span copy, shape)
            Expect.equal copy image "twice"
        }
    ]

let cutoutTests =
    testList "cutout" [
        let count (image: float32[]) = image |> Array.filter ((=) 0.0f) |> Array.length
        test "zeroes exactly a 16x16 window inside the image, in every channel" {
            let shape = SampleShape(2, 32, 32)
            let image = Array.create shape.Size 1.0f
            Augment.Cutout(Span image, shape, 10, 20, 16)
            Expect.equal (count image) (2 * 16 * 16) "zeroed"
            for c in 0 .. 1 do
                for y in 0 .. 31 do
                    for x in 0 .. 31 do
                        let inside = y >= 12 && y < 28 && x >= 2 && x < 18
                        Expect.equal (image[(c * 32 + y) * 32 + x] = 0.0f) inside $"pixel {c},{y},{x}"
        }
        test "window is clipped at the corner" {
            let shape = SampleShape(1, 32, 32)
            let image = Array.create shape.Size 1.0f
            Augment.Cutout(Span image, shape, 31, 0, 16)
            Expect.equal (count image) (9 * 8) "clipped window 8 rows x 9 columns"
        }
    ]

let normaliseTests =
    testList "normalise" [
        test "matches (x/255 - mean)/std per channel" {
            let shape = SampleShape(3, 1, 2)
            let image = Array.map byte [| 0; 255; 10; 20; 128; 64 |]
            let out = Array.zeroCreate 6
            Augment.ToFloat(ReadOnlySpan image, Span out, shape, Normalisation.Cifar10)
            let m, s = Normalisation.Cifar10.Mean, Normalisation.Cifar10.Std
            let expected = image |> Array.mapi (fun i v -> (float32 v / 255.0f - m[i / 2]) / s[i / 2])
            for i in 0 .. 5 do Expect.floatClose Accuracy.high (float out[i]) (float expected[i]) $"value {i}"
        }
        test "without normalisation gives x/255" {
            let shape, image = gray 1 2 [| 0; 255 |]
            let out = Array.zeroCreate 2
            Augment.ToFloat(ReadOnlySpan image, Span out, shape, null)
            Expect.equal out [| 0.0f; 1.0f |] "scaled"
        }
        test "pipeline is deterministic for a seed and varies across seeds" {
            let shape = SampleShape(3, 32, 32)
            let image = DataFiles.randomBytes 7 shape.Size
            let run seed =
                let out = Array.zeroCreate shape.Size
                Augment.Apply(ReadOnlySpan image, shape, AugmentOptions.CifarTrain Normalisation.Cifar10, Random(seed: int), Span out)
                out
            Expect.equal (run 3) (run 3) "same seed"
            Expect.notEqual (run 3) (run 4) "different seed"
        }
        test "pipeline with no switches equals plain conversion" {
            let shape = SampleShape(1, 4, 4)
            let image = DataFiles.randomBytes 8 shape.Size
            let out = Array.zeroCreate shape.Size
            Augment.Apply(ReadOnlySpan image, shape, AugmentOptions.None, Random 1, Span out)
            Expect.equal out (image |> Array.map (fun v -> float32 v / 255.0f)) "x/255"
        }
    ]

let apply op magnitude (shape: SampleShape) (image: byte[]) =
    let copy = Array.copy image
    AutoAugment.ApplyOp(Span copy, shape, op, magnitude)
    copy

let autoAugmentTests =
    testList "autoaugment ops" [
        let shape, image = gray 2 3 [| 0; 50; 100; 150; 200; 255 |]
        test "invert" {
            Expect.equal (apply AugmentOp.Invert 0.0 shape image) (Array.map byte [| 255; 205; 155; 105; 55; 0 |]) "255 - x"
        }
        test "posterize to 2 bits" {
            Expect.equal (apply AugmentOp.Posterize 2.0 shape image) (Array.map byte [| 0; 0; 64; 128; 192; 192 |]) "x & 0xC0"
        }
        test "solarize at 128" {
            Expect.equal (apply AugmentOp.Solarize 128.0 shape image) (Array.map byte [| 0; 50; 100; 105; 55; 0 |]) "inverted above"
        }
        test "brightness 0.5 truncates" {
            Expect.equal (apply AugmentOp.Brightness -0.5 shape image) (Array.map byte [| 0; 25; 50; 75; 100; 127 |]) "halved"
        }
        test "autocontrast stretches to 0..255" {
            let s, img = gray 1 3 [| 10; 20; 30 |]
            Expect.equal (apply AugmentOp.AutoContrast 0.0 s img) (Array.map byte [| 0; 127; 255 |]) "stretched"
        }
        test "equalize follows torchvision's lookup table" {
            // histogram: 0 x2, 1 x2, 2 x1, 255 x1 -> step = 5 // 255 = 0 -> unchanged
            let s, img = gray 2 3 [| 0; 0; 1; 1; 2; 255 |]
            Expect.equal (apply AugmentOp.Equalize 0.0 s img) img "step 0 keeps the image"
            // 256 pixels of 10 and 256 of 20: step = 256 // 255 = 1, lut[10] = 0, lut[20] = 256 -> clamped 255
            let s2 = SampleShape(1, 16, 32)
            let img2 = Array.init 512 (fun i -> if i < 256 then 10uy else 20uy)
            let out = apply AugmentOp.Equalize 0.0 s2 img2
            Expect.equal out (Array.init 512 (fun i -> if i < 256 then 0uy else 255uy)) "two levels"
        }
        test "rotate by 0 and translate by 0 are the identity" {
            let s = SampleShape(3, 5, 6)
            let img = DataFiles.randomBytes 11 s.Size
            Expect.equal (apply AugmentOp.Rotate 0.0 s img) img "rotate 0"
            Expect.equal (apply AugmentOp.TranslateX 0.0 s img) img "translate 0"
            Expect.equal (apply AugmentOp.ShearX 0.0 s img) img "shear 0"
        }
        test "rotate by 90 degrees turns a square counter-clockwise" {
            let s, img = gray 2 2 [| 1; 2; 3; 4 |]
            Expect.equal (apply AugmentOp.Rotate 90.0 s img) (Array.map byte [| 2; 4; 1; 3 |]) "ccw"
        }
        test "translate x by 1 shifts right with zero fill" {
            Expect.equal (apply AugmentOp.TranslateX 1.0 shape image) (Array.map byte [| 0; 0; 50; 0; 150; 200 |]) "shifted"
        }
        test "magnitudes follow torchvision's bins" {
            let m op bin neg = AutoAugment.Magnitude(PolicyStep(op, 1.0, bin), SampleShape(3, 32, 32), neg)
            Expect.equal (m AugmentOp.Posterize 7 false) 5.0 "posterize bin 7 -> 5 bits"
            Expect.floatClose Accuracy.high (m AugmentOp.Solarize 2 false) (255.0 - 2.0 * 255.0 / 9.0) "solarize"
            Expect.floatClose Accuracy.high (m AugmentOp.TranslateX 9 true) (-150.0 / 331.0 * 32.0) "translate"
            Expect.floatClose Accuracy.high (m AugmentOp.Rotate 2 false) (60.0 / 9.0) "rotate"
            Expect.equal AutoAugment.Cifar10Policy.Count 25 "25 sub-policies"
        }
        test "color at factor 0 gives torchvision's truncated grayscale in every channel" {
            let s = SampleShape(3, 1, 2)
            let img = Array.map byte [| 200; 0; 100; 0; 50; 0 |]
            Expect.equal (apply AugmentOp.Color -1.0 s img) (Array.map byte [| 124; 0; 124; 0; 124; 0 |]) "gray"
            let s1, img1 = gray 1 2 [| 3; 9 |]
            Expect.equal (apply AugmentOp.Color -1.0 s1 img1) img1 "single channel unchanged"
        }
    ]

[<Tests>]
let tests = testList "Data.Augment" [ cropTests; cutoutTests; normaliseTests; autoAugmentTests ]
