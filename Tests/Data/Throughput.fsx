// Measures loading throughput (samples/s) of each reader and of the batch loader; run after `dotnet build Tests -c Release`:
//   dotnet fsi Tests/Data/Throughput.fsx
#r "../bin/Release/net10.0/linux-x64/TorchSharp.dll"
#r "../bin/Release/net10.0/linux-x64/SnnDsl.Core.dll"

open System
open System.Diagnostics
open SnnDsl.Core.Data

SnnDsl.Core.Runtime.NativeRuntime.EnsureLoaded()

let report (what: string) (samples: int) (seconds: float) =
    printfn "%-58s %8d samples %7.2f s %10.0f samples/s" what samples seconds (float samples / seconds)

let timed (f: unit -> int) =
    let sw = Stopwatch.StartNew()
    let n = f ()
    n, sw.Elapsed.TotalSeconds

let epoch (loader: BatchLoader) =
    let mutable n = 0
    for b in loader.Epoch 0 do
        use b = b
        n <- n + int b.Inputs.shape[0]
    n

let fashion = Environment.GetEnvironmentVariable "FASHION_MNIST_ROOT" |> Option.ofObj
let n, s = timed (fun () -> (Datasets.Open("fashion-mnist", Option.toObj fashion, Split.Train)).Count)
report "fashion-mnist IDX .gz read (train)" n s
let train = Datasets.Open("fashion-mnist", Option.toObj fashion, Split.Train)
let plain = AugmentOptions.Test Normalisation.FashionMnist
let n2, s2 = timed (fun () -> epoch (BatchLoader(ImageSource(train, plain), LoaderOptions(128), TorchSharp.torch.CPU)))
report "fashion-mnist loader, normalise only, B=128" n2 s2
let crop = AugmentOptions(CropPadding = 4, HorizontalFlip = true, Normalise = Normalisation.FashionMnist)
let n3, s3 = timed (fun () -> epoch (BatchLoader(ImageSource(train, crop), LoaderOptions(128), TorchSharp.torch.CPU)))
report "fashion-mnist loader, crop+flip+normalise, B=128" n3 s3

// CIFAR-sized synthetic data (no CIFAR files here): the full published training pipeline.
let cifar = ImageDataset("synthetic-cifar", Array.init (10000 * 3072) (fun i -> byte (i * 31 % 251)), Array.init 10000 (fun i -> i % 10), 10, CifarReader.Shape)
for workers in [ 1; 2 ] do
    let n4, s4 = timed (fun () -> epoch (BatchLoader(ImageSource(cifar, AugmentOptions.CifarTrain Normalisation.Cifar10), LoaderOptions(128, Workers = workers), TorchSharp.torch.CPU)))
    report $"cifar-shaped loader, crop+flip+AutoAugment+cutout, {workers} worker(s)" n4 s4

// CIFAR10-DVS-like recordings (no real files here): 200 recordings of 150k events, frame cache build then cached loading.
#r "../bin/Release/net10.0/linux-x64/SkiaSharp.dll"
let temp = IO.Path.Combine(IO.Path.GetTempPath(), "snndsl-throughput")
if IO.Directory.Exists temp then IO.Directory.Delete(temp, true)
let dvsRoot = IO.Path.Combine(temp, "dvs")
for c in 0 .. 9 do
    let folder = IO.Directory.CreateDirectory(IO.Path.Combine(dvsRoot, $"class{c}")).FullName
    for i in 0 .. 19 do
        let rng = Random(c * 100 + i)
        let n = 150000
        let ev = DvsEvents(Array.init n (fun _ -> uint16 (rng.Next 128)), Array.init n (fun _ -> uint16 (rng.Next 128)),
                           Array.init n (fun _ -> byte (rng.Next 2)), Array.init n (fun k -> uint32 (k * 7)))
        IO.File.WriteAllBytes(IO.Path.Combine(folder, $"cifar10_class{c}_{i}.aedat"), Aedat.Encode ev)
let dvsOpen workers = DvsDataset.Open(dvsRoot, IO.Path.Combine(temp, "cache"), DvsSettings(), DvsSplit.Parse "index", Split.Train, workers)
let nd, sd = timed (fun () -> (dvsOpen 2).Recordings.Count)
report "cifar10-dvs AEDAT read + integrate T=10 + resize 48 + cache (2 threads)" nd sd
let dvs = dvsOpen 2
let nd2, sd2 = timed (fun () -> epoch (BatchLoader(DvsSource(dvs, DvsAugment.Train), LoaderOptions(32), TorchSharp.torch.CPU)))
report "cifar10-dvs loader from cache, flip+roll, B=32" nd2 sd2

// ImageNet-like JPEGs (500×375, smooth colour field plus noise) decoded with SkiaSharp.
let imageRoot = IO.Path.Combine(temp, "imagenet")
for c in 0 .. 3 do
    for split in [ "train"; "val" ] do
        let folder = IO.Directory.CreateDirectory(IO.Path.Combine(imageRoot, split, $"n{c:D8}")).FullName
        for i in 0 .. 49 do
            let rng = Random(c * 1000 + i)
            use bitmap = new SkiaSharp.SKBitmap(500, 375)
            for y in 0 .. 374 do
                for x in 0 .. 499 do
                    bitmap.SetPixel(x, y, SkiaSharp.SKColor(byte (x / 2 + rng.Next 20), byte (y / 2 + rng.Next 20), byte ((x + y) / 4 + rng.Next 20)))
            use data = bitmap.Encode(SkiaSharp.SKEncodedImageFormat.Jpeg, 90)
            IO.File.WriteAllBytes(IO.Path.Combine(folder, $"img_{i}.JPEG"), data.ToArray())
for train in [ true; false ] do
    for workers in [ 1; 2 ] do
        let source = ImageFolderSource(ImageFolder.Open(imageRoot, (if train then Split.Train else Split.Test)), (if train then ImageNetTransform.TrainDefault else ImageNetTransform.TestDefault))
        let ni, si = timed (fun () -> epoch (BatchLoader(source, LoaderOptions(32, Workers = workers), TorchSharp.torch.CPU)))
        report $"""imagenet JPEG 500x375 {(if train then "random-resized-crop+flip" else "resize 256+centre 224")}, {workers} worker(s)""" ni si
IO.Directory.Delete(temp, true)
