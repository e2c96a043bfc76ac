// The runner's side of an mpirun launch: joining the job, start-up consistency checks, failing without a hang.
module SnnDsl.Runner.Commands.DistributedJob

open System
open System.Text
open System.Text.Json.Nodes
open SnnDsl.Core.Distributed
open SnnDsl.Core.Settings
open SnnDsl.Runner.Cli

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

/// The MPI job this process joined, if any: the entry point ends it (MPI_Abort) when a rank fails.
let mutable private joined : MpiCollective option = None

/// Joins the mpirun job this process was started in (OMPI_COMM_WORLD_* set), or runs alone.
let start () : Job =
    match MpiLaunch.FromEnvironment() with
    | NonNull launch when launch.WorldSize > 1 ->
        let mpi =
            try MpiCollective.Start()
            with :? MpiException as e -> UserErrors.fail e.Message
        joined <- Some mpi
        { Collective = mpi; Mpi = Some mpi; Launch = Some launch }
    | _ -> single

/// This process's rank and the world size when it was launched by mpirun with several ranks.
let rankOfLaunch () =
    match MpiLaunch.FromEnvironment() with
    | NonNull launch when launch.WorldSize > 1 -> Some(launch.Rank, launch.WorldSize)
    | _ -> None

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

/// What every rank must agree on: the world size, the network file and each setting of config.json by its key.
let private checksOf (worldSize: int) (config: TrainingConfig) (networkText: string) =
    let settings = JsonNode.Parse(config.ToJson()) |> nonNull
    [ yield "world size", float worldSize
      yield "network file", hash48 networkText
      for KeyValue(key, value) in settings.AsObject() do
          yield $"setting '{key}'", hash48 (match value with null -> "null" | v -> v.ToJsonString()) ]

/// Compares world size, network and every setting across ranks; every rank gets the same verdict, so none is left
/// waiting; a difference is a user error naming the setting and the ranks.
let checkSame (job: Job) (config: TrainingConfig) (networkText: string) =
    match job.Mpi with
    | None -> ()
    | Some mpi ->
        let checks = checksOf mpi.WorldSize config networkText
        let values = checks |> List.map snd |> Array.ofList
        let low, high = mpi.Min values, mpi.Max values
        let problems =
            [ for i, (what, value) in List.indexed checks do
                if low[i] <> high[i] then
                    let ranks = differingRanks mpi value |> List.map string |> String.concat ", "
                    $"rank(s) {ranks} have a different {what} than rank 0" ]
        if not problems.IsEmpty then
            MpiCollective.Barrier()
            UserErrors.fail $"""the ranks of this job disagree: {String.concat "; " problems}; every rank must run the same command on the same files"""

/// Ends the process: a single process returns the code; a rank that fails ends the whole job (MPI_Abort), so no other
/// rank is left blocked in a collective; a rank that succeeds finalises MPI.
let finish (code: int) =
    match joined with
    | None -> code
    | Some mpi when code = 0 ->
        (mpi :> IDisposable).Dispose()
        code
    | Some _ ->
        Console.Error.Flush()
        MpiCollective.Abort code
        code

/// `snn allreduce-bench N` under mpirun: times the in-place sum all-reduce of N floats (the gradient path) and prints,
/// on rank 0, the mean time, the algorithm bandwidth (bytes/time) and the bus bandwidth (× 2(n−1)/n, as nccl-tests).
let allReduceBench (floats: int) =
    let job = start ()
    match job.Mpi with
    | None -> UserErrors.fail "allreduce-bench runs under mpirun with at least 2 ranks"
    | Some mpi ->
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
        finish 0
