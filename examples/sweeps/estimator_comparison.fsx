// Sweep: the seven estimators side by side on Fashion-MNIST (two networks, several seeds) -> the tables of docs/results.md.
//
//   ./setup.sh                      # once: data package and Release build
//   dotnet fsi examples/sweeps/estimator_comparison.fsx -- --scale 1 --seeds 3
//
// --scale s sizes the run: each training point runs round(500·s) batches of 64 (the first 32,000 images of one
// shuffled epoch at s = 1) and is evaluated on the whole test set (10,000 images) at s >= 1, on round(157·s) test
// batches of 64 (at least 5) below; s = 1 is the full comparison: 77 minutes for 3 seeds on 2 quiet cores
// (docs/results.md). Points: T = 4 for bptt-m, bptt-s, rate-m, rate-s, ottt, sltt, sltt-k (K = 2); T = 2 and 6 for
// rate-m and bptt-m; each for every network and seed, seed-major (within a seed the T = 4 points of every network
// come first, then `snn bench`, then T = 2 and 6), so that a cut-short run has the seven-way table of its first seeds. Each point is its own `snn train` process (its own peak memory). For seed 0 the gradient cosine with bptt-m
// is taken with `snn grad` at initialisation and on the trained weights (32 test images). `snn bench` measures the
// memory held for backward and the time per iteration of every (estimator, T) once per network (--bench-batch, 64).
// Output: <out>/results.csv (one row per training point, appended as they finish), bench-*/bench.csv, and
// <out>/results.md (accuracy mean ± std and the worst seed, training time the median), rewritten after every point.
// Each point is evaluated twice on the test set: with the BN running averages training left (the paper's evaluation,
// --precise-bn-batches 0 during training) and after recomputing BN's statistics with the final weights over
// --precise-bn training batches (`snn eval --precise-bn-batches`, SnnDsl's default evaluation; docs/results.md).
#r "../../Runner/bin/Release/net10.0/linux-x64/Argu.dll"

open System
open System.Diagnostics
open System.Globalization
open System.IO
open System.Text.Json
open Argu

type SweepArgs =
    | Scale of factor: float
    | Seeds of count: int
    | Networks of names: string
    | Threads of count: int
    | Out of dir: string
    | Steps_Networks of names: string
    | Bench_Batch of size: int
    | Bench_Iterations of count: int
    | Precise_Bn of batches: int
    | Report_Only
    interface IArgParserTemplate with
        member this.Usage =
            match this with
            | Scale _ -> "size factor: batches per point = round(500·s); the whole test set at s >= 1, else round(157·s) test batches (default 1)."
            | Seeds _ -> "seeds per point (default 3)."
            | Networks _ -> "comma-separated networks of examples/networks (default fashion_cnn,resnet_fashion)."
            | Threads _ -> "libtorch threads per process (default 2)."
            | Out _ -> "output folder (default runs/comparison-<time>); an existing one is continued, its finished points kept."
            | Steps_Networks _ -> "networks that also get the T = 2 and 6 points of rate-m and bptt-m (default: every network)."
            | Bench_Batch _ -> "batch size of the snn bench runs (default 64)."
            | Bench_Iterations _ -> "timed iterations per snn bench configuration (default 3)."
            | Precise_Bn _ -> "training batches over which the second evaluation recomputes BN's statistics (default 50, snn train's default)."
            | Report_Only -> "only rewrite results.md from the points in --out."

let root = Path.GetFullPath(Path.Combine(__SOURCE_DIRECTORY__, "..", ".."))
/// The parsed flags; --help prints the usage and exits 0, a bad flag prints what is wrong and the usage and exits 1.
let args =
    try ArgumentParser.Create<SweepArgs>(programName = "estimator_comparison.fsx").ParseCommandLine(fsi.CommandLineArgs |> Array.skip 1)
    with :? ArguParseException as e ->
        if e.ErrorCode = ErrorCode.HelpText then (printfn "%s" e.Message; exit 0) else (eprintfn "%s" e.Message; exit 1)
let scale = args.GetResult(Scale, 1.0)
let seeds = args.GetResult(Seeds, 3)
let networks = args.GetResult(Networks, "fashion_cnn,resnet_fashion").Split(',', StringSplitOptions.RemoveEmptyEntries) |> List.ofArray
let threads = args.GetResult(Threads, 2)
let outDir = args.GetResult(Out, Path.Combine(root, "runs", "comparison-" + DateTime.Now.ToString("yyyyMMdd-HHmmss")))
let stepsNetworks = args.GetResult(Steps_Networks, String.concat "," networks).Split(',', StringSplitOptions.RemoveEmptyEntries) |> Set.ofArray
let benchBatch = args.GetResult(Bench_Batch, 64)
let benchIterations = args.GetResult(Bench_Iterations, 3)
let preciseBn = args.GetResult(Precise_Bn, 50)
let batchSize = 64
let trainBatches = max 1 (int (round (500.0 * scale)))
/// Test batches of 64 per point: None = the whole test set (157 batches).
let testBatches = if scale >= 1.0 then None else Some(max 5 (int (round (157.0 * scale))))
let testText = match testBatches with Some n -> sprintf "%d test batches of %d" n batchSize | None -> "the whole test set (10,000 images)"
Directory.CreateDirectory outDir |> ignore

/// (estimator, T) points of one network.
let allPoints = [ for e in [ "bptt-m"; "bptt-s"; "rate-m"; "rate-s"; "ottt"; "sltt"; "sltt-k" ] -> e, 4 ] @ [ for t in [ 2; 6 ] do for e in [ "rate-m"; "bptt-m" ] -> e, t ]
let pointsOf network = allPoints |> List.filter (fun (_, t) -> t = 4 || stepsNetworks.Contains network)
let invariant (x: float) = x.ToString("R", CultureInfo.InvariantCulture)
let networkFile name = Path.Combine(root, "examples", "networks", name + ".snn")

/// Runs ./snn with arguments; returns its standard output, failing on a non-zero exit.
let snn (argv: string list) =
    let start = ProcessStartInfo(Path.Combine(root, "snn"), argv, RedirectStandardOutput = true, WorkingDirectory = root)
    use proc = Process.Start start
    let output = proc.StandardOutput.ReadToEnd()
    proc.WaitForExit()
    if proc.ExitCode <> 0 then failwithf "snn %s failed (exit %d):\n%s" (String.concat " " argv) proc.ExitCode output
    output

/// `snn grad` of `estimators` against bptt-m on 32 test images (weights: None = seeded initialisation): the
/// all-parameter cosine of each.
let cosines network (estimators: string list) t seed (weights: string option) =
    let argv =
        [ "grad"; networkFile network; "--batch-from"; "fashion-mnist"; "--batch"; "32"; "--steps"; string t
          "--estimators"; String.concat "," estimators; "--seed"; string seed; "--out"; Path.Combine(outDir, "grads.safetensors") ]
        @ (weights |> Option.map (fun w -> [ "--weights"; w ]) |> Option.defaultValue [])
    let prefix = "all-parameter cosine with bptt-m: "
    [ for l in (snn argv).Split('\n') do
        if l.StartsWith prefix then
            let parts = l.Substring(prefix.Length).Trim().Split(' ')
            yield parts[0], float parts[1] ] |> Map.ofList

/// Cosines at initialisation (seed 0) of every estimator of a network's T, one `snn grad` per (network, T), cached in <out>.
let initialCosine network estimator t =
    let file = Path.Combine(outDir, $"cos-init-{network}-T{t}.txt")
    if not (File.Exists file) then
        let estimators = pointsOf network |> List.filter (fun (e, t') -> t' = t && e <> "bptt-m") |> List.map fst
        let all = cosines network estimators t 0 None
        File.WriteAllLines(file, [ for KeyValue(e, c) in all -> $"{e} {invariant c}" ])
    File.ReadAllLines file |> Array.pick (fun l -> let p = l.Split ' ' in if p[0] = estimator then Some(float p[1]) else None)

let resultsCsv = Path.Combine(outDir, "results.csv")
let header = "network,estimator,T,seed,test_top1,ms_per_iteration,samples_per_s,peak_rss_mib,acs_per_sample,macs_per_sample,energy_uj_per_sample,cos_init,cos_end,test_top1_precise_bn"
let finished () =
    if File.Exists resultsCsv then File.ReadAllLines resultsCsv |> Array.skip 1 |> Array.map (fun l -> l.Split ',') |> List.ofArray else []

/// Test top-1 of a run's last checkpoint after recomputing BN's statistics over --precise-bn training batches.
let preciseTop1 runDir =
    let out = snn [ "eval"; runDir; "--checkpoint"; "last"; "--precise-bn-batches"; string preciseBn; "--threads"; string threads ]
    let line = out.Split('\n') |> Array.find (fun l -> l.Contains "top-1 ")
    let text = line.Substring(line.IndexOf "top-1 " + 6)
    float (text.Substring(0, text.IndexOf '%'))

/// Trains one point as its own process and appends its row to results.csv.
let train network (estimator: string, t: int) seed =
    let runDir = Path.Combine(outDir, "runs", $"{network}-{estimator}-T{t}-s{seed}")
    if Directory.Exists runDir then Directory.Delete(runDir, true) // a point cut short by a stop is redone
    [ "train"; networkFile network; "--estimator"; estimator; "-T"; string t; "--epochs"; "1"; "--batch-size"; string batchSize
      "--limit-train-batches"; string trainBatches; "--seed"; string seed
      "--threads"; string threads; "--run-dir"; runDir; "--no-plot"; "--precise-bn-batches"; "0" ]
    @ (testBatches |> Option.map (fun n -> [ "--limit-test-batches"; string n ]) |> Option.defaultValue [])
    @ (if estimator = "sltt-k" then [ "--sltt-k"; "2" ] else [])
    |> snn |> ignore
    use summary = JsonDocument.Parse(File.ReadAllText(Path.Combine(runDir, "summary.json")))
    let number (key: string) = summary.RootElement.GetProperty(key).GetDouble()
    let trained = Path.Combine(runDir, "checkpoints", "last", "model.safetensors")
    let precise = preciseTop1 runDir
    let measured = seed = 0 && estimator <> "bptt-m"
    let cosInit = if measured then invariant (initialCosine network estimator t) else ""
    let cosEnd = if measured then invariant ((cosines network [ estimator ] t seed (Some trained))[estimator]) else ""
    let row =
        [ network; estimator; string t; string seed; invariant (number "final_test_top1")
          invariant (1000.0 * number "mean_train_seconds" / float trainBatches); invariant (number "mean_samples_per_second")
          invariant (number "peak_resident_bytes" / 1048576.0); invariant (number "acs_per_sample"); invariant (number "macs_per_sample")
          invariant (number "energy_uj_per_sample"); cosInit; cosEnd; invariant precise ]
    if not (File.Exists resultsCsv) then File.WriteAllText(resultsCsv, header + "\n")
    File.AppendAllText(resultsCsv, String.concat "," row + "\n")

/// One `snn bench` per network and T over that T's estimators: held-for-backward memory and time per iteration.
let bench network =
    for t, estimators in pointsOf network |> List.groupBy snd |> List.map (fun (t, ps) -> t, ps |> List.map fst) do
        let dir = Path.Combine(outDir, $"bench-{network}-T{t}")
        if not (File.Exists(Path.Combine(dir, "bench.csv"))) then
            if Directory.Exists dir then Directory.Delete(dir, true)
            snn [ "bench"; networkFile network; "--estimators"; String.concat "," estimators; "--steps"; string t; "--batch"; string benchBatch
                  "--iterations"; string benchIterations; "--threads"; string threads; "--out"; dir ] |> ignore

/// held MB and median ms per (network, estimator, T) from the bench folders.
let benchFigures () =
    [ for dir in Directory.GetDirectories(outDir, "bench-*") do
        let file = Path.Combine(dir, "bench.csv")
        if File.Exists file then
            let network = Path.GetFileName(dir).Substring(6) |> fun s -> s.Substring(0, s.LastIndexOf "-T")
            let lines = File.ReadAllLines file
            let col name = Array.IndexOf(lines[0].Split ',', name)
            for l in lines |> Array.skip 1 do
                let c = l.Split ','
                yield (network, c[col "estimator"], int c[col "T"]), (float c[col "held_for_backward_bytes"] / 1048576.0, float c[col "median_ms"]) ] |> Map.ofList

let meanStd (xs: float list) =
    let m = List.average xs
    let sd = if xs.Length > 1 then sqrt ((xs |> List.sumBy (fun x -> (x - m) ** 2.0)) / float (xs.Length - 1)) else nan
    m, sd

/// results.md: one row per (network, estimator, T), means over the seeds that finished.
let report () =
    let rows = finished ()
    let bench = benchFigures ()
    let f (digits: int) (x: float) = if Double.IsNaN x then "-" else x.ToString("F" + string digits, CultureInfo.InvariantCulture)
    let lines =
        [ yield $"scale {scale}: {trainBatches} training batches of {batchSize} per point, {testText}; seeds requested {seeds}; bench batch {benchBatch}, {benchIterations} timed iterations"
          yield ""
          yield "| network | estimator | T | seeds | test top-1 (%), BN running averages | worst seed | test top-1 (%), PreciseBN | worst seed | ms / iteration (train) | samples/s | bench ms / iteration | held for backward (MB) | peak RSS (MiB) | ACs / sample | MACs / sample | energy (uJ / sample) | cos init | cos end |"
          yield "|---|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|"
          for network in networks do
            for (e, t) in pointsOf network do
                let mine = rows |> List.filter (fun c -> c[0] = network && c[1] = e && int c[2] = t)
                if not mine.IsEmpty then
                    let col i = mine |> List.map (fun (c: string[]) -> float c[i])
                    let mean i = List.average (col i)
                    // training time over the seeds: the median, robust to a seed that shared the cores with other work
                    let median i = let xs = col i |> List.sort in (xs[(xs.Length - 1) / 2] + xs[xs.Length / 2]) / 2.0
                    let top, sd = meanStd (col 4)
                    let precise = mine |> List.choose (fun c -> if c.Length > 13 && c[13] <> "" then Some(float c[13]) else None)
                    let preciseMean, preciseSd = if precise.IsEmpty then nan, nan else meanStd precise
                    let preciseWorst = if precise.IsEmpty then nan else List.min precise
                    let cos i = mine |> List.tryPick (fun c -> if c[i] <> "" then Some(float c[i]) else None) |> Option.map (f 4) |> Option.defaultValue (if e = "bptt-m" then "1" else "-")
                    let held, benchMs = bench |> Map.tryFind (network, e, t) |> Option.defaultValue (nan, nan)
                    yield $"| {network} | {e} | {t} | {mine.Length} | {f 2 top} ± {f 2 sd} | {f 2 (List.min (col 4))} | {f 2 preciseMean} ± {f 2 preciseSd} | {f 2 preciseWorst} | {f 1 (median 5)} | {f 1 (median 6)} | {f 1 benchMs} | {f 1 held} | {f 0 (mean 7)} | {f 0 (mean 8)} | {f 0 (mean 9)} | {f 3 (mean 10)} | {cos 11} | {cos 12} |" ]
    File.WriteAllLines(Path.Combine(outDir, "results.md"), lines)
    lines

if not (args.Contains Report_Only) then
    let run seed network point =
        let e, t = point
        let already = finished () |> List.exists (fun c -> c[0] = network && c[1] = e && int c[2] = t && int c[3] = seed)
        if not already then
            printfn "%s  %s %s T=%d seed %d" (DateTime.Now.ToString "HH:mm:ss") network e t seed
            train network point seed
            report () |> ignore
    for seed in 0 .. seeds - 1 do
        // the seven-way T = 4 comparison of every network first, then the T = 2 and 6 points
        for network in networks do for point in pointsOf network |> List.filter (fun (_, t) -> t = 4) do run seed network point
        if seed = 0 then for network in networks do bench network
        for network in networks do for point in pointsOf network |> List.filter (fun (_, t) -> t <> 4) do run seed network point
report () |> List.iter (printfn "%s")
printfn "results in %s" outDir
