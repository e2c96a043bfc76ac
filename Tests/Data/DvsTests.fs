// Tests for CIFAR10-DVS: AEDAT 2.0 decoding, frame integration, resizing, splits, the frame cache and clip augmentation.
module SnnDsl.Tests.Data.DvsTests

open System
open System.IO
open System.Text
open Expecto
open SnnDsl.Core.Data
open SnnDsl.Tests.Data.DataFiles
open SnnDsl.Tests.Data.ReaderTests

/// n events at pseudo-random positions, timestamps 0, 10, 20, ...
let events (seed: int) (n: int) =
    let rng = Random seed
    DvsEvents(Array.init n (fun _ -> uint16 (rng.Next 128)), Array.init n (fun _ -> uint16 (rng.Next 128)),
              Array.init n (fun _ -> byte (rng.Next 2)), Array.init n (fun i -> uint32 (10 * i)))

let header = Encoding.ASCII.GetBytes "#!AER-DAT2.0\r\n# test\r\n"

let rawEvent (address: uint32) (t: uint32) = Array.append (bigEndian (int address)) (bigEndian (int t))

/// Event counts per frame of [T, 2, S, S] frames.
let perFrame (frames: float32[]) (t: int) =
    let n = frames.Length / t
    [ for f in 0 .. t - 1 -> frames[f * n .. (f + 1) * n - 1] |> Array.sum |> int ]

let aedatTests =
    testList "aedat" [
        test "decodes the DVS128 address with swapped and flipped axes" {
            use dir = new TempFolder()
            let path = dir.File "one.aedat"
            // raw x = 3, y = 5, p = 1 -> x' = 127 - 5, y' = 127 - 3, p' = 0
            File.WriteAllBytes(path, Array.concat [ header; rawEvent 0x507u 42u; rawEvent 0x0000u 43u ])
            let e = Aedat.Read path
            Expect.equal (e.X, e.Y, e.P, e.T) ([| 122us; 127us |], [| 124us; 127us |], [| 0uy; 1uy |], [| 42u; 43u |]) "decoded"
        }
        test "encode then read gives the same events" {
            use dir = new TempFolder()
            let path = dir.File "r.aedat"
            let e = events 1 500
            File.WriteAllBytes(path, Aedat.Encode e)
            let back = Aedat.Read path
            Expect.equal (back.X, back.Y, back.P, back.T) (e.X, e.Y, e.P, e.T) "round trip"
        }
        test "truncated event data names the file" {
            use dir = new TempFolder()
            let path = dir.File "t.aedat"
            File.WriteAllBytes(path, Array.concat [ header; rawEvent 1u 1u; [| 1uy; 2uy; 3uy |] ])
            expectDataError [ path; "truncated" ] (fun () -> Aedat.Read path)
        }
        test "recording without events is reported" {
            use dir = new TempFolder()
            let path = dir.File "e.aedat"
            File.WriteAllBytes(path, header)
            expectDataError [ path; "no events" ] (fun () -> Aedat.Read path)
        }
        test "unknown address bits are reported" {
            use dir = new TempFolder()
            let path = dir.File "a.aedat"
            File.WriteAllBytes(path, Array.concat [ header; rawEvent 0x8001u 1u ])
            expectDataError [ path; "0x00008001" ] (fun () -> Aedat.Read path)
        }
        test "other AEDAT versions and headerless files are reported" {
            use dir = new TempFolder()
            let v3 = dir.File "v3.aedat"
            File.WriteAllBytes(v3, Array.append (Encoding.ASCII.GetBytes "#!AER-DAT3.1\r\n") (rawEvent 1u 1u))
            expectDataError [ v3; "AER-DAT3.1" ] (fun () -> Aedat.Read v3)
            let raw = dir.File "raw.aedat"
            File.WriteAllBytes(raw, rawEvent 1u 1u)
            expectDataError [ raw; "no '#' header" ] (fun () -> Aedat.Read raw)
        }
    ]

let frameTests =
    testList "frames" [
        test "split by number: N/T events per frame, the last takes the rest" {
            let frames = EventFrames.Integrate(events 2 10, 3, FrameSplit.Number)
            Expect.equal (perFrame frames 3) [ 3; 3; 4 ] "counts"
        }
        test "split by time: equal bins, the last takes the rest" {
            // timestamps 0, 10, ..., 90: dt = 90 / 4 = 22 -> bins [0,22) [22,44) [44,66) [66, ...)
            let frames = EventFrames.Integrate(events 3 10, 4, FrameSplit.Time)
            Expect.equal (perFrame frames 4) [ 3; 2; 2; 3 ] "counts"
        }
        test "events land at (polarity, y, x)" {
            let e = DvsEvents([| 5us |], [| 7us |], [| 1uy |], [| 0u |])
            let frames = EventFrames.Integrate(e, 1, FrameSplit.Number)
            Expect.equal frames[(1 * 128 + 7) * 128 + 5] 1.0f "pixel"
            Expect.equal (Array.sum frames) 1.0f "only one"
        }
        test "area resize averages blocks" {
            let source = Array.init 16 float32
            Expect.equal (EventFrames.ResizeArea(source, 1, 4, 2)) [| 2.5f; 4.5f; 10.5f; 12.5f |] "2x2 means"
        }
    ]

/// A CIFAR10-DVS-like folder: classes a and b, 10 recordings each (names _0 .. _9, _10 sorting naturally).
let writeDvsFolder (root: string) =
    for c, name in [ 0, "a"; 1, "b" ] do
        let folder = Directory.CreateDirectory(Path.Combine(root, name)).FullName
        for i in 0 .. 9 do
            File.WriteAllBytes(Path.Combine(folder, $"cifar10_{name}_{i + 1}.aedat"), Aedat.Encode(events (100 * c + i) (50 + i)))

let datasetTests =
    testList "dataset" [
        test "index and tebn splits take the documented recordings" {
            use dir = new TempFolder()
            writeDvsFolder (dir.File "data")
            let names (d: DvsDataset) = d.Recordings |> Seq.map (fun r -> Path.GetFileName r.Source) |> Seq.toList
            let train = DvsDataset.Open(dir.File "data", dir.File "cache", DvsSettings(4, Size = 16), DvsSplit.Parse "index", Split.Train)
            Expect.equal train.Recordings.Count 18 "9 per class"
            Expect.equal (names train |> List.take 9) [ for i in 1 .. 9 -> $"cifar10_a_{i}.aedat" ] "first 9 of a, natural order"
            let test = DvsDataset.Open(dir.File "data", dir.File "cache", DvsSettings(4, Size = 16), DvsSplit.Parse "tebn", Split.Test)
            Expect.equal (names test) [ "cifar10_a_1.aedat"; "cifar10_b_1.aedat" ] "first of each class"
            Expect.equal (test.Recordings |> Seq.map (fun r -> r.Label) |> Seq.toList) [ 0; 1 ] "labels"
        }
        test "random split is seeded, disjoint and covers every recording" {
            use dir = new TempFolder()
            writeDvsFolder (dir.File "data")
            let part s seed = DvsDataset.Open(dir.File "data", dir.File "cache", DvsSettings(2, Size = 8), DvsSplit(DvsSplitKind.Random, seed), s).Recordings |> Seq.map (fun r -> r.Source) |> Set.ofSeq
            let train, test = part Split.Train 1, part Split.Test 1
            Expect.isEmpty (Set.intersect train test) "disjoint"
            Expect.equal (Set.union train test).Count 20 "cover"
            Expect.equal (part Split.Train 1) train "seeded"
            Expect.notEqual (part Split.Train 2) train "another seed"
            Expect.stringContains ((DvsSplit.Parse "random:7").Describe()) "(7)" "described"
            expectDataError [ "unknown CIFAR10-DVS split 'first'" ] (fun () -> DvsSplit.Parse "first")
        }
        test "cache is reused, separated by settings and rebuilt when the source changes" {
            use dir = new TempFolder()
            let source = dir.File "x.aedat"
            File.WriteAllBytes(source, Aedat.Encode(events 5 40))
            let settings = DvsSettings(4, Size = 8)
            let cache = Path.Combine(dir.File "cache", settings.CacheFolderName, "x.frames")
            Expect.isTrue (FrameCache.Ensure(source, cache, settings)) "built"
            Expect.isFalse (FrameCache.Ensure(source, cache, settings)) "reused"
            Expect.notEqual (DvsSettings(5, Size = 8)).CacheFolderName settings.CacheFolderName "settings name the folder"
            Expect.notEqual (DvsSettings(4, FrameSplit.Time, 8)).CacheFolderName settings.CacheFolderName "split names the folder"
            File.WriteAllBytes(source, Aedat.Encode(events 6 41))
            File.SetLastWriteTimeUtc(source, DateTime.UtcNow.AddMinutes 1.0)
            Expect.isTrue (FrameCache.Ensure(source, cache, settings)) "rebuilt"
            let frames = Array.zeroCreate (4 * 2 * 8 * 8)
            FrameCache.Read(cache, Span frames)
            Expect.floatClose Accuracy.high (float (Array.sum frames)) (41.0 / 256.0) "41 events averaged over 16x16 blocks"
        }
        test "a bad recording is skipped and reported, the rest load" {
            use dir = new TempFolder()
            writeDvsFolder (dir.File "data")
            let bad = Path.Combine(dir.File "data", "b", "cifar10_b_3.aedat")
            File.WriteAllBytes(bad, header)
            let train = DvsDataset.Open(dir.File "data", dir.File "cache", DvsSettings(2, Size = 8), DvsSplit.Parse "index", Split.Train)
            Expect.equal train.Recordings.Count 17 "one skipped"
            Expect.equal train.Skipped.Count 1 "reported"
            Expect.stringContains train.Skipped[0] "cifar10_b_3.aedat" "names the file"
        }
        test "an unreadable recording (permission denied) is skipped, counted and named; the rest load" {
            use dir = new TempFolder()
            writeDvsFolder (dir.File "data")
            match makeUnreadable (Path.Combine(dir.File "data", "a", "cifar10_a_2.aedat")) with
            | None -> skiptest "no way to make a file unreadable here"
            | Some path ->
                let train = DvsDataset.Open(dir.File "data", dir.File "cache", DvsSettings(2, Size = 8), DvsSplit.Parse "index", Split.Train, workers = 2)
                Expect.equal train.Recordings.Count 17 "one skipped"
                Expect.equal train.Skipped.Count 1 "counted"
                Expect.stringContains train.Skipped[0] path "named"
                Expect.stringContains train.Skipped[0] "could not be read" "why"
        }
        test "empty class folder and missing root are reported" {
            use dir = new TempFolder()
            writeDvsFolder (dir.File "data")
            Directory.CreateDirectory(dir.File "data/c") |> ignore
            expectDataError [ "data/c"; "no .aedat" ] (fun () -> DvsDataset.Open(dir.File "data", dir.File "cache", DvsSettings(), DvsSplit.Parse "index", Split.Train))
            expectDataError [ "nope" ] (fun () -> DvsDataset.Open(dir.File "nope", dir.File "cache", DvsSettings(), DvsSplit.Parse "index", Split.Train))
        }
    ]

let augmentTests =
    testList "clip augmentation" [
        test "roll shifts circularly and flip mirrors every frame" {
            use dir = new TempFolder()
            writeDvsFolder (dir.File "data")
            let d = DvsDataset.Open(dir.File "data", dir.File "cache", DvsSettings(1, Size = 3), DvsSplit.Parse "tebn", Split.Test)
            let source = DvsSource(d, DvsAugment.Train)
            let frames = Array.init 18 float32
            let out = Array.zeroCreate 18
            source.Transform(ReadOnlySpan frames, Span out, false, 1, 0)
            Expect.equal out[0..2] [| 2.0f; 0.0f; 1.0f |] "rolled right by one"
            source.Transform(ReadOnlySpan frames, Span out, true, 0, 1)
            Expect.equal out[0..2] [| 8.0f; 7.0f; 6.0f |] "row rolled down and flipped"
            Expect.equal out[9..11] [| 17.0f; 16.0f; 15.0f |] "second polarity too"
            Expect.sequenceEqual source.SampleShape [| 1L; 2L; 3L; 3L |] "shape [T, 2, S, S]"
        }
        test "loader serves DVS clips of shape [B, T, 2, S, S]" {
            use dir = new TempFolder()
            writeDvsFolder (dir.File "data")
            let d = DvsDataset.Open(dir.File "data", dir.File "cache", DvsSettings(3, Size = 12), DvsSplit.Parse "index", Split.Train)
            let loader = BatchLoader(DvsSource(d, DvsAugment.Train), LoaderOptions(4, Seed = 1), TorchSharp.torch.CPU)
            use b = loader.Epoch 0 |> Seq.head
            Expect.sequenceEqual b.Inputs.shape [| 4L; 3L; 2L; 12L; 12L |] "shape"
        }
    ]

[<Tests>]
let tests = testList "Data.Dvs" [ aedatTests; frameTests; datasetTests; augmentTests ]
