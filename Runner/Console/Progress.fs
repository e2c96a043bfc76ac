// Training progress for people: a live bar with ETA, loss and accuracy on a terminal, sparse lines in logs.
module SnnDsl.Runner.Console.Progress

open System
open System.Diagnostics
open SnnDsl.Core.Training

let private duration (seconds: float) =
    let t = TimeSpan.FromSeconds(max 0.0 seconds)
    if t.TotalHours >= 1.0 then $"{int t.TotalHours}h{t.Minutes:D2}m" else $"{t.Minutes:D2}:{t.Seconds:D2}"

/// An observer that draws one progress bar per epoch on stderr and prints a summary line per epoch on stdout.
type ConsoleProgress(interactive: bool) =
    let clock = Stopwatch()
    let mutable lastLine = TimeSpan.Zero

    let bar (fraction: float) =
        let width = 28
        let filled = int (fraction * float width)
        String('#', filled) + String('.', width - filled)

    interface ITrainingObserver with
        member _.EpochStarted(epoch, epochs, batches, lr) =
            clock.Restart()
            lastLine <- TimeSpan.Zero
            eprintfn "epoch %d/%d: %d batches, lr %.4g" (epoch + 1) epochs batches lr

        member _.BatchFinished(epoch, batch, batches, loss, top1, samplesPerSecond) =
            let fraction = float batch / float batches
            let elapsed = clock.Elapsed.TotalSeconds
            let eta = if batch > 0 then elapsed / float batch * float (batches - batch) else 0.0
            let text = $"[{bar fraction}] {batch}/{batches} loss {loss:F4} top1 {top1:F2}%% {samplesPerSecond:F0} samples/s ETA {duration eta}"
            if interactive then
                eprintf "\r%s" text
                if batch = batches then eprintfn ""
            elif batch = batches || clock.Elapsed - lastLine > TimeSpan.FromSeconds 30.0 then
                lastLine <- clock.Elapsed
                eprintfn "%s" text

        member _.EpochFinished(m, best) =
            let rates = if m.FiringRates.Count = 0 then 0.0 else Seq.average m.FiringRates.Values
            let precise = if m.PreciseBnSeconds > 0.0 then sprintf " (PreciseBN %.1fs)" m.PreciseBnSeconds else ""
            printfn "epoch %3d  lr %.4g  train loss %.4f top1 %6.2f%%  test loss %.4f top1 %6.2f%% top5 %6.2f%%  train %.1fs (%.0f samples/s) eval %.1fs%s  firing %.3f%s"
                (m.Epoch + 1) m.LearningRate m.TrainLoss m.TrainTop1 m.TestLoss m.TestTop1 m.TestTop5 m.TrainSeconds m.SamplesPerSecond m.EvalSeconds precise rates
                (if best then "  *best" else "")

/// A progress observer for the current console.
let forConsole () = ConsoleProgress(not Console.IsErrorRedirected) :> ITrainingObserver

/// An observer that reports nothing (tests, sweeps).
let silent =
    { new ITrainingObserver with
        member _.EpochStarted(_, _, _, _) = ()
        member _.BatchFinished(_, _, _, _, _, _) = ()
        member _.EpochFinished(_, _) = () }
