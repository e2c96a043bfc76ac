// The runner's side of an mpirun launch: joining the job, start-up consistency checks, failing without a hang.
module SnnDsl.Runner.Commands.DistributedJob

open System
open System.Text
open SnnDsl.Core.Distributed
open SnnDsl.Core.Training

/// This process's place in the job: a single process, or one rank of an mpirun job.
type Job =
    { Collective: ICollective
      Mpi: MpiCollective option
      Launch: MpiLaunch option }

    member job.Rank = job.Collective.Rank
    member job.WorldSize = job.Collective.WorldSize
    /// Rank 0 alone writes the run directory, logs, checkpoints and plots.
    member job.Writes = job.Collective.Rank = 0

let single = { Collective = SingleProcess.Instance; Mpi = None; Launch = None }

/// Joins the mpirun job this process was started in (OMPI_COMM_WORLD_* set), or runs alone.
let start () : Result<Job, string> =
    match MpiLaunch.FromEnvironment() with
    | NonNull launch when launch.WorldSize > 1 ->
        try
            let mpi = MpiCollective.Start()
            Ok { Collective = mpi; Mpi = Some mpi; Launch = Some launch }
        with :? MpiException as e -> Error $"snn: error: rank {launch.Rank}: {e.Message}"
    | _ -> Ok single

/// "snn: error: msg", naming this rank when there are several.
let errorText (job: Job) (message: string) =
    let text = if message.StartsWith "snn: error: " then message.Substring 12 else message
    if job.WorldSize > 1 then $"snn: error: rank {job.Rank} of {job.WorldSize}: {text}" else $"snn: error: {text}"

/// A 48-bit FNV-1a hash of a text: exact as a double, so ranks can compare it with an all-reduce.
let hash48 (text: string) =
    let mutable h = 14695981039346656037UL
    for b in Encoding.UTF8.GetBytes text do
        h <- (h ^^^ uint64 b) * 1099511628211UL
    float (h &&& 0xFFFFFFFFFFFFUL)

/// Ranks whose value differs from rank 0's, from every rank's value (an all-reduce of one-hot sums).
let private differingRanks (mpi: MpiCollective) (value: float) =
    let slots = Array.zeroCreate<float> mpi.WorldSize
    slots[mpi.Rank] <- value
    let all = mpi.Sum slots
    [ for r in 1 .. all.Length - 1 do if all[r] <> all[0] then r ]

/// Compares world size, config and network across ranks; every rank gets the same verdict, so none is left waiting.
let checkSame (job: Job) (config: TrainingConfig) (networkText: string) : Result<unit, string> =
    match job.Mpi with
    | None -> Ok()
    | Some mpi ->
        let checks = [ "world size", float mpi.WorldSize; "resolved config", hash48 (config.ToJson()); "network file", hash48 networkText ]
        let values = checks |> List.map snd |> Array.ofList
        let low, high = mpi.Min values, mpi.Max values
        let problems =
            [ for i, (what, value) in List.indexed checks do
                if low[i] <> high[i] then
                    let ranks = differingRanks mpi value |> List.map string |> String.concat ", "
                    $"rank(s) {ranks} have a different {what} than rank 0" ]
        if problems.IsEmpty then Ok()
        else Error($"""snn: error: the ranks of this job disagree: {String.concat "; " problems}; every rank must run the same command on the same files""")

/// Ends the process: a single process returns the code; a rank that fails ends the whole job (MPI_Abort), so no other
/// rank is left blocked in a collective; a rank that succeeds finalises MPI.
let finish (job: Job) (code: int) =
    match job.Mpi with
    | None -> code
    | Some mpi when code = 0 ->
        (mpi :> IDisposable).Dispose()
        code
    | Some _ ->
        Console.Error.Flush()
        MpiCollective.Abort code
        code

/// Prints an unexpected exception naming the rank and ends the job with the internal-error code.
let crash (job: Job) (e: exn) =
    eprintfn "%s" (errorText job $"internal error (this is a bug in snn): {e.Message}")
    eprintfn "%s" e.StackTrace
    finish job SnnDsl.Runner.Cli.Arguments.ExitCode.InternalError

/// `snn allreduce-bench N` under mpirun: times the in-place sum all-reduce of N floats (the gradient path) and prints,
/// on rank 0, the mean time, the algorithm bandwidth (bytes/time) and the bus bandwidth (× 2(n−1)/n, as nccl-tests).
let allReduceBench (floats: int) =
    match start () with
    | Error message -> eprintfn "%s" message; 1
    | Ok job when job.Mpi.IsNone -> eprintfn "snn: error: allreduce-bench runs under mpirun with at least 2 ranks"; 1
    | Ok job ->
        let mpi = job.Mpi.Value
        let buffer = Array.create floats 1.0f
        let repeats = max 3 (min 50 (200_000_000 / max floats 1))
        let once () = use t = TorchSharp.torch.tensor(buffer) in mpi.SumOverRanks(t).Dispose()
        once ()
        MpiCollective.Barrier()
        let clock = Diagnostics.Stopwatch.StartNew()
        for _ in 1 .. repeats do once ()
        let seconds = clock.Elapsed.TotalSeconds / float repeats
        let bytes = 4.0 * float floats
        let n = float job.WorldSize
        if job.Writes then
            printfn "allreduce %d floats (%.1f MB) over %d ranks: %.3f ms, algorithm bandwidth %.2f GB/s, bus bandwidth %.2f GB/s (%d repeats)"
                floats (bytes / 1e6) job.WorldSize (seconds * 1e3) (bytes / seconds / 1e9) (bytes / seconds / 1e9 * 2.0 * (n - 1.0) / n) repeats
        finish job 0
