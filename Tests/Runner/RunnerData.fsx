// Writes CIFAR10-DVS-like recordings, an ImageNet-like JPEG folder and two read-out networks for measuring the runner's
// loading throughput (docs/events-and-imagenet.md). After `dotnet build Runner -c Release`:
//   dotnet fsi Tests/Runner/RunnerData.fsx /tmp/snndsl-runner-data
#r "../../Runner/bin/Release/net10.0/linux-x64/SnnDsl.Core.dll"
#r "../../Runner/bin/Release/net10.0/linux-x64/SkiaSharp.dll"

open System
open System.IO
open SnnDsl.Core.Data

let root = match fsi.CommandLineArgs with [| _; folder |] -> folder | _ -> failwith "usage: dotnet fsi RunnerData.fsx FOLDER"

/// 10 classes × 20 recordings of 150k events (the size of a typical CIFAR10-DVS recording), in AEDAT 2.0.
let writeDvs () =
    for c in 0 .. 9 do
        let folder = Directory.CreateDirectory(Path.Combine(root, "dvs", $"class{c}")).FullName
        for i in 0 .. 19 do
            let rng = Random(c * 100 + i)
            let n = 150000
            let events = DvsEvents(Array.init n (fun _ -> uint16 (rng.Next 128)), Array.init n (fun _ -> uint16 (rng.Next 128)),
                                   Array.init n (fun _ -> byte (rng.Next 2)), Array.init n (fun k -> uint32 (k * 7)))
            File.WriteAllBytes(Path.Combine(folder, $"cifar10_class{c}_{i}.aedat"), Aedat.Encode events)

/// 4 classes × (64 train + 16 val) JPEGs of 500×375 (smooth colour field plus noise, quality 90).
let writeImageNet () =
    for c in 0 .. 3 do
        for split, count in [ "train", 64; "val", 16 ] do
            let folder = Directory.CreateDirectory(Path.Combine(root, "imagenet", split, $"n{c:D8}")).FullName
            for i in 0 .. count - 1 do
                let rng = Random(c * 1000 + i)
                use bitmap = new SkiaSharp.SKBitmap(500, 375)
                for y in 0 .. 374 do
                    for x in 0 .. 499 do
                        bitmap.SetPixel(x, y, SkiaSharp.SKColor(byte (x / 2 + rng.Next 20), byte (y / 2 + rng.Next 20), byte ((x + y) / 4 + rng.Next 20)))
                use data = bitmap.Encode(SkiaSharp.SKEncodedImageFormat.Jpeg, 90)
                File.WriteAllBytes(Path.Combine(folder, $"img_{i}.JPEG"), data.ToArray())

/// Read-out networks (one linear layer) so that the runner's samples/s measure loading, not the model.
let writeProbes () =
    File.WriteAllText(Path.Combine(root, "dvs_probe.snn"), "snn 1\nnetwork dvs_probe(classes = 10) {\n  input [2, 48, 48]\n  flatten\n  linear(classes)\n}\n")
    File.WriteAllText(Path.Combine(root, "imagenet_probe.snn"), "snn 1\nnetwork imagenet_probe(classes = 4) {\n  input [3, 224, 224]\n  avgpool(8)\n  flatten\n  linear(classes)\n}\n")

writeDvs ()
writeImageNet ()
writeProbes ()
printfn "wrote %s/{dvs, imagenet, dvs_probe.snn, imagenet_probe.snn}" root
