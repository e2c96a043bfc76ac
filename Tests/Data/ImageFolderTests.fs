// Tests for the ImageNet ImageFolder reader: scanning, JPEG decoding, crop geometry and bad-file handling.
module SnnDsl.Tests.Data.ImageFolderTests

open System
open System.IO
open Expecto
open SkiaSharp
open SnnDsl.Core.Data
open SnnDsl.Tests.Data.DataFiles
open SnnDsl.Tests.Data.ReaderTests

/// Writes a width×height JPEG whose left half is `left` and right half `right`.
let writeJpeg (path: string) (width: int) (height: int) (left: SKColor) (right: SKColor) =
    use bitmap = new SKBitmap(width, height)
    use canvas = new SKCanvas(bitmap)
    canvas.Clear left
    use paint = new SKPaint(Color = right)
    canvas.DrawRect(SKRect.Create(float32 (width / 2), 0.0f, float32 (width - width / 2), float32 height), paint)
    use data = bitmap.Encode(SKEncodedImageFormat.Jpeg, 95)
    File.WriteAllBytes(path, data.ToArray())

let red, blue = SKColor(250uy, 10uy, 10uy), SKColor(10uy, 10uy, 250uy)

/// root/{train,val}/{cat,dog}/img{i}.JPEG, 3 images per class, 48×40.
let writeImageFolder (root: string) =
    for split in [ "train"; "val" ] do
        for cls in [ "dog"; "cat" ] do
            let folder = Directory.CreateDirectory(Path.Combine(root, split, cls)).FullName
            for i in 0 .. 2 do writeJpeg (Path.Combine(folder, $"img{i}.JPEG")) 48 40 red blue

let small train = ImageNetTransform(train, Size = 16, ResizeTo = 20)

let tests' =
    testList "imagefolder" [
        test "a JPEG whose header claims 65500x65500 pixels is refused before any pixel memory is allocated" {
            use temp = new TempFolder()
            let path = temp.File "bomb.jpg"
            writeJpeg path 8 8 red blue
            let bytes = File.ReadAllBytes path
            let sof = [ 0 .. bytes.Length - 2 ] |> List.find (fun i -> bytes[i] = 0xFFuy && bytes[i + 1] = 0xC0uy)
            for offset in [ sof + 5; sof + 7 ] do
                bytes[offset] <- 0xFFuy
                bytes[offset + 1] <- 0xDCuy
            File.WriteAllBytes(path, bytes)
            let before = GC.GetTotalAllocatedBytes true
            expectDataError [ "bomb.jpg"; "65500x65500"; "megapixels" ] (fun () -> ImageDecoding.Decode path)
            Expect.isLessThan (GC.GetTotalAllocatedBytes true - before) (64L * 1024L * 1024L) "no pixel buffer allocated"
        }
        test "scans classes in ordinal order with labels" {
            use dir = new TempFolder()
            writeImageFolder dir.Path
            let f = ImageFolder.Open(dir.Path, Split.Train)
            Expect.equal (List.ofSeq f.Classes) [ "cat"; "dog" ] "classes"
            Expect.equal f.Files.Count 6 "files"
            Expect.equal (f.Files |> Seq.map (fun struct (_, l) -> l) |> List.ofSeq) [ 0; 0; 0; 1; 1; 1 ] "labels"
        }
        test "test transform decodes the JPEG and keeps left red, right blue" {
            use dir = new TempFolder()
            writeImageFolder dir.Path
            let source = ImageFolderSource(ImageFolder.Open(dir.Path, Split.Test), small false)
            let out = Array.zeroCreate (3 * 16 * 16)
            let label = source.Prepare(4, Random 1, Span out)
            Expect.equal label 1 "label"
            let at c y x = out[(c * 16 + y) * 16 + x]
            Expect.isGreaterThan (at 0 8 1) 0.9f "left red"
            Expect.isLessThan (at 2 8 1) 0.1f "left not blue"
            Expect.isGreaterThan (at 2 8 14) 0.9f "right blue"
        }
        test "training transform is seeded and stays in the image" {
            use dir = new TempFolder()
            writeImageFolder dir.Path
            let source = ImageFolderSource(ImageFolder.Open(dir.Path, Split.Train), small true)
            let run seed =
                let out = Array.zeroCreate (3 * 16 * 16)
                source.Prepare(0, Random(seed: int), Span out) |> ignore
                out
            Expect.equal (run 5) (run 5) "same seed"
            for seed in 0 .. 200 do
                let r = ImageDecoding.RandomResizedCrop(48, 40, Random seed)
                Expect.isTrue (r.Left >= 0 && r.Top >= 0 && r.Right <= 48 && r.Bottom <= 40 && r.Width > 0 && r.Height > 0) $"crop {r}"
        }
        test "centre crop geometry matches resize 256 + centre 224" {
            let r = ImageDecoding.CentreCrop(512, 256, 256, 224)
            Expect.equal (r.Left, r.Top, r.Width, r.Height) (144, 16, 224, 224) "scale 1"
            let r2 = ImageDecoding.CentreCrop(500, 1000, 256, 224)
            Expect.equal (r2.Left, r2.Width, r2.Height) (31, 438, 438) "scale 0.512"
        }
        test "a corrupt JPEG names the file, is replaced by the next image and counted" {
            use dir = new TempFolder()
            writeImageFolder dir.Path
            let bad = Path.Combine(dir.Path, "val", "cat", "img1.JPEG")
            let bytes = File.ReadAllBytes bad
            File.WriteAllBytes(bad, bytes[.. bytes.Length / 3])
            expectDataError [ bad ] (fun () -> ImageDecoding.Decode bad)
            File.WriteAllBytes(Path.Combine(dir.Path, "val", "cat", "img2.JPEG"), [| 1uy; 2uy; 3uy |])
            let source = ImageFolderSource(ImageFolder.Open(dir.Path, Split.Test), small false)
            let out = Array.zeroCreate (3 * 16 * 16)
            Expect.equal (source.Prepare(1, Random 1, Span out)) 1 "substituted by the first dog image"
            Expect.equal source.Failures.Count 2 "both bad files counted"
        }
        test "an unreadable image (permission denied) is replaced by the next image, counted and named" {
            use dir = new TempFolder()
            writeImageFolder dir.Path
            match makeUnreadable (Path.Combine(dir.Path, "val", "cat", "img1.JPEG")) with
            | None -> skiptest "no way to make a file unreadable here"
            | Some bad ->
                let source = ImageFolderSource(ImageFolder.Open(dir.Path, Split.Test), small false)
                let out = Array.zeroCreate (3 * 16 * 16)
                source.Prepare(1, Random 1, Span out) |> ignore
                Expect.equal source.Failures.Count 1 "counted"
                Expect.stringContains (Seq.head source.Failures) bad "named"
        }
        test "an unreadable class folder is a class without samples, listed; labels keep the folder order" {
            if Environment.UserName = "root" then skiptest "root lists every folder (mode 000 does not stop it)"
            use dir = new TempFolder()
            writeImageFolder dir.Path
            let cat = Path.Combine(dir.Path, "train", "cat")
            File.SetUnixFileMode(cat, UnixFileMode.None)
            try
                let folder = ImageFolder.Open(dir.Path, Split.Train, keepEmptyClasses = true)
                Expect.equal folder.Classes.Count 2 "the class is kept"
                Expect.stringContains (Seq.head folder.EmptyClasses) "could not be listed" "listed with the reason"
            finally File.SetUnixFileMode(cat, UnixFileMode.UserRead ||| UnixFileMode.UserWrite ||| UnixFileMode.UserExecute)
        }
        test "empty class folder and missing split folder are reported" {
            use dir = new TempFolder()
            writeImageFolder dir.Path
            Directory.CreateDirectory(Path.Combine(dir.Path, "train", "emu")) |> ignore
            expectDataError [ "emu"; "no images" ] (fun () -> ImageFolder.Open(dir.Path, Split.Train))
            Directory.Delete(Path.Combine(dir.Path, "val"), true)
            expectDataError [ "val"; "ImageFolder layout" ] (fun () -> ImageFolder.Open(dir.Path, Split.Test))
        }
        test "loader serves [B, 3, S, S] batches with parallel decoding" {
            use dir = new TempFolder()
            writeImageFolder dir.Path
            let source = ImageFolderSource(ImageFolder.Open(dir.Path, Split.Train), small true)
            let loader = BatchLoader(source, LoaderOptions(4, Seed = 3, Workers = 2), TorchSharp.torch.CPU)
            let batches = loader.Epoch 0 |> Seq.toList
            Expect.sequenceEqual batches[0].Inputs.shape [| 4L; 3L; 16L; 16L |] "shape"
            Expect.sequenceEqual batches[1].Labels.shape [| 2L |] "partial last"
            for b in batches do b.Dispose()
        }
    ]

[<Tests>]
let tests = testList "Data.ImageFolder" [ tests' ]
