// Tests for the IDX and CIFAR readers and Datasets.Open: exact round trips and clear errors naming the file.
module SnnDsl.Tests.Data.ReaderTests

open System.IO
open Expecto
open SnnDsl.Core.Data
open SnnDsl.Tests.Data.DataFiles

/// Runs the action and checks it throws a DataException whose message contains every fragment.
let expectDataError (fragments: string list) (action: unit -> 'a) =
    try
        action () |> ignore
        failtest "expected a DataException"
    with :? DataException as e ->
        for f in fragments do Expect.stringContains e.Message f "message"

let idxTests =
    testList "idx" [
        for gz in [ true; false ] do
            test $"reads generated IDX files exactly (gz={gz})" {
                use dir = new TempFolder()
                let (trainPixels, trainLabels), (testPixels, testLabels) = writeMnist dir.Path gz 7 3
                let train = Datasets.Open("mnist", dir.Path, Split.Train)
                let test = Datasets.Open("fashion-mnist", dir.Path, Split.Test)
                Expect.equal train.Shape (SampleShape(1, 6, 5)) "shape"
                Expect.equal train.Pixels trainPixels "train pixels"
                Expect.equal train.Labels (trainLabels |> Array.map int) "train labels"
                Expect.equal test.Pixels testPixels "test pixels"
                Expect.equal test.Labels (testLabels |> Array.map int) "test labels"
                Expect.equal test.Count 3 "count"
                Expect.equal test.ClassCount 10 "classes"
            }
        test "wrong magic names the file and both numbers" {
            use dir = new TempFolder()
            let path = dir.File "x.gz"
            writeBytes path (idxLabels [| 1uy |])
            expectDataError [ path; "expected IDX magic 0x00000803, got 0x00000801" ] (fun () -> IdxReader.ReadImages path)
        }
        test "truncated image file is reported" {
            use dir = new TempFolder()
            let path = dir.File "t"
            writeBytes path (idxImages 4 6 5 (randomBytes 3 (4 * 30 - 1)))
            expectDataError [ path; "truncated" ] (fun () -> IdxReader.ReadImages path)
        }
        test "truncated header is reported" {
            use dir = new TempFolder()
            let path = dir.File "h"
            writeBytes path [| 0uy; 0uy; 8uy |]
            expectDataError [ path; "header" ] (fun () -> IdxReader.ReadImages path)
        }
        test "label/image count mismatch names the label file" {
            use dir = new TempFolder()
            writeMnist dir.Path false 5 3 |> ignore
            writeBytes (dir.File "train-labels-idx1-ubyte") (idxLabels [| 1uy; 2uy |])
            expectDataError [ "train-labels-idx1-ubyte"; "2 labels, expected 5" ] (fun () -> Datasets.Open("mnist", dir.Path, Split.Train))
        }
        test "label out of range is reported" {
            use dir = new TempFolder()
            let path = dir.File "l"
            writeBytes path (idxLabels [| 1uy; 12uy |])
            expectDataError [ path; "label 12" ] (fun () -> IdxReader.ReadLabels(path, 10))
        }
        test "corrupt gzip is reported" {
            use dir = new TempFolder()
            let path = dir.File "bad.gz"
            File.WriteAllBytes(path, [| 1uy; 2uy; 3uy; 4uy; 5uy |])
            expectDataError [ path; "gzip" ] (fun () -> IdxReader.ReadImages path)
        }
        test "missing files name the folder" {
            use dir = new TempFolder()
            expectDataError [ dir.Path; "train-images-idx3-ubyte" ] (fun () -> Datasets.Open("mnist", dir.Path, Split.Train))
        }
        test "an unreadable IDX or CIFAR file (permission denied) is a DataException naming it" {
            use dir = new TempFolder()
            writeMnist dir.Path false 4 2 |> ignore
            match makeUnreadable (dir.File "train-images-idx3-ubyte") with
            | None -> skiptest "no way to make a file unreadable here"
            | Some path -> expectDataError [ path; "could not be read" ] (fun () -> Datasets.Open("mnist", dir.Path, Split.Train))
            match makeUnreadable (dir.File "bin.bin") with
            | None -> ()
            | Some path -> expectDataError [ path; "could not be read" ] (fun () -> CifarReader.ReadCifar10("cifar10", [ path ]))
        }
        test "missing folder is reported" {
            expectDataError [ "/nonexistent/snndsl" ] (fun () -> Datasets.Open("fashion-mnist", "/nonexistent/snndsl", Split.Train))
        }
    ]

let cifarTests =
    testList "cifar" [
        test "reads CIFAR-10 batches exactly, in file order" {
            use dir = new TempFolder()
            let batches =
                [ for b in 1 .. 5 ->
                    let bytes, pixels = cifarRecords b 2 (fun i -> [| byte ((b + i) % 10) |])
                    File.WriteAllBytes(dir.File $"data_batch_{b}.bin", bytes)
                    pixels, [| for i in 0 .. 1 -> (b + i) % 10 |] ]
            let testBytes, testPixels = cifarRecords 9 3 (fun i -> [| byte i |])
            File.WriteAllBytes(dir.File "test_batch.bin", testBytes)
            let train = Datasets.Open("cifar10", dir.Path, Split.Train)
            Expect.equal train.Count 10 "count"
            Expect.equal train.Shape (SampleShape(3, 32, 32)) "shape"
            Expect.equal train.Pixels (batches |> List.map fst |> Array.concat) "pixels"
            Expect.equal train.Labels (batches |> List.map snd |> Array.concat) "labels"
            let test = Datasets.Open("cifar10", dir.Path, Split.Test)
            Expect.equal test.Pixels testPixels "test pixels"
            Expect.equal test.Labels [| 0; 1; 2 |] "test labels"
        }
        test "CIFAR-10 accepts the parent of cifar-10-batches-bin" {
            use dir = new TempFolder()
            let inner = Directory.CreateDirectory(dir.File "cifar-10-batches-bin").FullName
            let bytes, _ = cifarRecords 1 1 (fun _ -> [| 3uy |])
            File.WriteAllBytes(Path.Combine(inner, "test_batch.bin"), bytes)
            File.WriteAllBytes(Path.Combine(inner, "data_batch_1.bin"), bytes)
            Expect.equal (Datasets.Open("cifar10", dir.Path, Split.Test)).Labels [| 3 |] "labels"
        }
        test "reads CIFAR-100 fine and coarse labels" {
            use dir = new TempFolder()
            let bytes, pixels = cifarRecords 4 3 (fun i -> [| byte (i + 17); byte (i * 30 + 5) |])
            File.WriteAllBytes(dir.File "train.bin", bytes)
            let struct (ds, coarse) = CifarReader.ReadCifar100("c", dir.File "train.bin")
            Expect.equal ds.Labels [| 5; 35; 65 |] "fine"
            Expect.equal coarse [| 17; 18; 19 |] "coarse"
            Expect.equal ds.Pixels pixels "pixels"
            Expect.equal (Datasets.Open("cifar100", dir.Path, Split.Train)).ClassCount 100 "classes"
        }
        test "CIFAR-10 folder without batches names the expected version" {
            use dir = new TempFolder()
            expectDataError [ dir.Path; "no data_batch_1.bin"; "cifar-10-batches-bin" ] (fun () -> Datasets.Open("cifar10", dir.Path, Split.Train))
        }
        test "python-version CIFAR-100 folder is reported" {
            use dir = new TempFolder()
            File.WriteAllText(dir.File "train", "pickle")
            expectDataError [ "cifar-100-binary" ] (fun () -> Datasets.Open("cifar100", dir.Path, Split.Train))
        }
        test "truncated CIFAR batch is reported with the file" {
            use dir = new TempFolder()
            let bytes, _ = cifarRecords 1 2 (fun _ -> [| 1uy |])
            File.WriteAllBytes(dir.File "data_batch_1.bin", bytes[.. bytes.Length - 10])
            File.WriteAllBytes(dir.File "test_batch.bin", bytes)
            expectDataError [ "data_batch_1.bin"; "3073-byte records" ] (fun () -> Datasets.Open("cifar10", dir.Path, Split.Train))
        }
        test "missing CIFAR-10 batch is reported" {
            use dir = new TempFolder()
            let bytes, _ = cifarRecords 1 1 (fun _ -> [| 1uy |])
            File.WriteAllBytes(dir.File "data_batch_1.bin", bytes)
            expectDataError [ "data_batch_2.bin"; "not found" ] (fun () -> Datasets.Open("cifar10", dir.Path, Split.Train))
        }
        test "CIFAR-10 label above 9 is reported" {
            use dir = new TempFolder()
            let bytes, _ = cifarRecords 1 1 (fun _ -> [| 10uy |])
            File.WriteAllBytes(dir.File "test_batch.bin", bytes)
            File.WriteAllBytes(dir.File "data_batch_1.bin", bytes)
            expectDataError [ "test_batch.bin"; "label 10" ] (fun () -> Datasets.Open("cifar10", dir.Path, Split.Test))
        }
        test "unknown dataset names the known ones" {
            expectDataError [ "unknown dataset 'svhn'"; "cifar100" ] (fun () -> Datasets.Open("svhn", "/tmp", Split.Train))
        }
        test "cifar without a path asks for one" {
            expectDataError [ "needs a data path" ] (fun () -> Datasets.Open("cifar10", null, Split.Train))
        }
    ]

[<Tests>]
let tests = testList "Data.Readers" [ idxTests; cifarTests ]

[<Tests>]
let publishedTests =
    testList "Data.Published" [
        test "CIFAR training gets the full published pipeline, tests and Fashion-MNIST only normalisation" {
            Expect.equal (Datasets.PublishedAugment("cifar100", Split.Train)) (AugmentOptions(4, true, true, 16, Normalisation.Cifar100)) "cifar100 train"
            Expect.equal (Datasets.PublishedAugment("cifar10", Split.Test)) (AugmentOptions(Normalise = Normalisation.Cifar10)) "cifar10 test"
            Expect.equal (Datasets.PublishedAugment("fashion-mnist", Split.Train)).Normalise Normalisation.FashionMnist "fashion normalisation"
            Expect.isFalse (Datasets.PublishedAugment("fashion-mnist", Split.Train)).IsRandom "no random transforms"
        }
    ]
