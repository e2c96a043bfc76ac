// The epoch's record: training sums over ranks become means, and the training and the evaluation join into one metrics row.
module SnnDsl.Tests.Training.EpochRecordTests

open System.Collections.Generic
open Expecto
open SnnDsl.Core.Distributed
open SnnDsl.Core.Metrics
open SnnDsl.Core.Training

/// A collective of two ranks whose other rank holds the same sums as this one.
let private twoEqualRanks =
    { new ICollective with
        member _.Rank = 0
        member _.WorldSize = 2
        member _.Broadcast _ = ()
        member _.AverageGradients _ = ()
        member _.Sum values = values |> Array.map ((*) 2.0) }

[<Tests>]
let tests =
    testList "Training.EpochRecord" [
        test "training sums over ranks become the epoch's mean loss, top-1, samples and per-batch firing rates" {
            let local = MetricSnapshot(LossSum = 6.0, Correct = 3.0, Correct5 = 4.0, Samples = 4.0, Batches = 2, FiringRateSums = readOnlyDict [ "lif1", 0.5 ])
            let one = EpochTraining.FromTotals(0.1, local, SingleProcess.Instance, (fun () -> 2.0), 1)
            Expect.equal (one.Loss, one.Top1, one.Samples, one.Seconds, one.SkippedSteps) (1.5, 75.0, 4.0, 2.0, 1) "one process"
            Expect.equal one.FiringRates["lif1"] 0.25 "firing rate: the sum over batches / batches"
            let two = EpochTraining.FromTotals(0.1, local, twoEqualRanks, (fun () -> 2.0), 0)
            Expect.equal (two.Loss, two.Top1, two.Samples) (1.5, 75.0, 8.0) "two equal ranks: same means, twice the samples"
        }
        test "the metrics row takes training numbers from the training and test numbers from the evaluation" {
            let train = EpochTraining(0.05, 1.25, 60.0, 500.0, 4.0, readOnlyDict [ "lif1", 0.2 ], 3)
            let test = EvaluationResult(0.75, 70.0, 95.0, 100L)
            let row = train.Record(2, test, 1.5)
            Expect.equal (row.Epoch, row.LearningRate, row.TrainLoss, row.TrainTop1) (2, 0.05, 1.25, 60.0) "training side"
            Expect.equal (row.TestLoss, row.TestTop1, row.TestTop5) (0.75, 70.0, 95.0) "evaluation side"
            Expect.equal (row.TrainSeconds, row.EvalSeconds, row.SamplesPerSecond, row.SkippedSteps) (4.0, 1.5, 125.0, 3) "times, throughput, skips"
            Expect.equal row.FiringRates["lif1"] 0.2 "firing rates"
        }
    ]
