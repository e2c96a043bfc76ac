// Measures loading throughput (samples/s) of each reader and of the batch loader; run after `dotnet build Tests`:
//   dotnet fsi Tests/Data/Throughput.fsx
#r "../bin/Debug/net10.0/linux-x64/TorchSharp.dll"
#r "../bin/Debug/net10.0/linux-x64/SnnDsl.Core.dll"

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
