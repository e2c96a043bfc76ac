// Tests for the batch loader: seeded determinism, epochs, sharding, last-batch handling, prefetch and resume.
module SnnDsl.Tests.Data.LoaderTests

open Expecto
open TorchSharp
open SnnDsl.Core.Data

/// 23 random 3×8×8 images with labels i % 5.
let dataset () =
    let shape = SampleShape(3, 8, 8)
    ImageDataset("toy", DataFiles.randomBytes 1 (23 * shape.Size), Array.init 23 (fun i -> i % 5), 5, shape)

let augment = AugmentOptions(CropPadding = 2, HorizontalFlip = true, AutoAugment = true, CutoutSize = 4)

let loader (options: LoaderOptions) =
    BatchLoader(ImageSource(dataset (), augment), options, torch.CPU)

/// The batches of an epoch as (sample indices, inputs, labels) arrays, disposing the tensors.
let collect (batches: Batch seq) =
    [ for b in batches do
        use b = b
        yield b.Samples, b.Inputs.data<float32>().ToArray(), b.Labels.data<int64>().ToArray() ]

let tests' =
    testList "loader" [
        test "same seed and epoch give the same batches; another epoch another order" {
            let l = loader (LoaderOptions(5, Seed = 7))
            let a, b = collect (l.Epoch 0), collect (loader(LoaderOptions(5, Seed = 7)).Epoch 0)
            Expect.equal a b "same"
            let c = collect (l.Epoch 1)
            Expect.notEqual (a |> List.map (fun (s, _, _) -> s)) (c |> List.map (fun (s, _, _) -> s)) "different order"
        }
        test "batches have the right shapes, labels and a partial last batch" {
            let l = loader (LoaderOptions(5, Seed = 1))
            Expect.equal l.BatchesPerEpoch 5 "ceil(23/5)"
            let batches = l.Epoch 0 |> Seq.toList
            Expect.sequenceEqual batches[0].Inputs.shape [| 5L; 3L; 8L; 8L |] "inputs"
            Expect.equal batches[0].Inputs.dtype torch.float32 "float32"
            Expect.equal batches[0].Labels.dtype torch.int64 "int64"
            Expect.sequenceEqual batches[4].Labels.shape [| 3L |] "last partial"
            for b in batches do
                Expect.equal (b.Labels.data<int64>().ToArray()) (b.Samples |> Array.map (fun s -> int64 (s % 5))) "labels"
                b.Dispose()
            let all = batches |> List.collect (fun b -> List.ofArray b.Samples) |> List.sort
            Expect.equal all [ 0 .. 22 ] "a permutation"
        }
        test "drop last drops the partial batch" {
            let l = loader (LoaderOptions(5, DropLast = true))
            let batches = collect (l.Epoch 0)
            Expect.equal batches.Length 4 "4 full batches"
            Expect.isTrue (batches |> List.forall (fun (s, _, _) -> s.Length = 5)) "all full"
        }
        test "no shuffle keeps file order" {
            let l = loader (LoaderOptions(10, Shuffle = false))
            Expect.equal (l.EpochOrder 3) [| 0 .. 22 |] "identity order"
        }
        test "shards are disjoint and cover the epoch" {
            let orders = [ for r in 0 .. 2 -> (loader (LoaderOptions(4, Seed = 3, Rank = r, WorldSize = 3))).EpochOrder 2 ]
            let all = orders |> Array.concat
            Expect.equal (Array.sort all) [| 0 .. 22 |] "cover, no duplicates"
            Expect.equal (orders |> List.map Array.length) [ 8; 8; 7 ] "balanced"
            let single = (loader (LoaderOptions(4, Seed = 3))).EpochOrder 2
            Expect.equal orders[1] [| for i in 1 .. 3 .. 22 -> single[i] |] "strided slice of the same permutation"
        }
        test "with drop-last every rank serves the same number of full batches" {
            let counts = [ for r in 0 .. 2 -> (loader (LoaderOptions(3, DropLast = true, Rank = r, WorldSize = 3))).BatchesPerEpoch ]
            Expect.equal counts [ 2; 2; 2 ] "floor(23 / 3) / 3 = 2 on every rank"
            let batches = collect ((loader (LoaderOptions(3, DropLast = true, Rank = 2, WorldSize = 3))).Epoch 0)
            Expect.equal (batches |> List.map (fun (s, _, _) -> s.Length)) [ 3; 3 ] "full batches only"
        }
        test "a data error in the background surfaces as a DataException" {
            let bad = AugmentOptions(Normalise = Normalisation.Mnist)
            let l = BatchLoader(ImageSource(dataset (), bad), LoaderOptions(4, Workers = 2), torch.CPU)
            try
                l.Epoch 0 |> Seq.iter (fun b -> b.Dispose())
                failtest "expected a DataException"
            with :? DataException as e -> Expect.stringContains e.Message "normalisation has 1 channel" "message"
        }
        test "background prefetch gives the same batches as synchronous preparation" {
            let sync = collect ((loader (LoaderOptions(4, Seed = 5, Prefetch = false))).Epoch 1)
            let pre = collect ((loader (LoaderOptions(4, Seed = 5, Prefetch = true, Workers = 2))).Epoch 1)
            Expect.equal pre sync "identical"
        }
        test "resuming at a batch reproduces the rest of the epoch" {
            let full = collect ((loader (LoaderOptions(4, Seed = 9))).Epoch 3)
            let resumed = collect ((loader (LoaderOptions(4, Seed = 9))).Epoch(3, 2))
            Expect.equal resumed (List.skip 2 full) "tail"
            use one = (loader (LoaderOptions(4, Seed = 9))).PrepareBatch(3, 4)
            let (s, x, _) = full[4]
            Expect.equal one.Samples s "samples"
            Expect.equal (one.Inputs.data<float32>().ToArray()) x "inputs"
        }
        test "augmentation differs between epochs for the same sample" {
            let l = loader (LoaderOptions(23, Shuffle = false))
            let a, b = collect (l.Epoch 0), collect (l.Epoch 1)
            let (_, xa, _), (_, xb, _) = a.Head, b.Head
            Expect.notEqual xa xb "re-drawn"
        }
        test "batch tensors stay out of the caller's dispose scope until attached" {
            use scope = torch.NewDisposeScope()
            let l = loader (LoaderOptions(4, Seed = 2))
            let first = l.Epoch 0 |> Seq.head
            Expect.equal scope.DisposablesCount 0 "nothing attached to the caller's scope"
            first.AttachTo scope
            Expect.equal scope.DisposablesCount 2 "attached on request"
        }
    ]

[<Tests>]
let tests = testList "Data.Loader" [ tests' ]
