// `snn grad NETWORK.snn`: every estimator's loss, output and gradients on the same weights and batch, compared with BPTT-M.
module SnnDsl.Runner.Commands.GradCommand

open System
open System.IO
open Argu
open TorchSharp
open SnnDsl.Dsl.Model
open SnnDsl.Core.Benchmarks
open SnnDsl.Core.Data
open SnnDsl.Core.Estimators
open SnnDsl.Core.Model
open SnnDsl.Core.Settings
open SnnDsl.Runner.Cli.Arguments
open SnnDsl.Runner.Cli.UserErrors
open SnnDsl.Runner.Commands.RunSupport

/// Where the batch comes from.
type BatchSource =
    | FromDataset of name: string * root: string option
    | FromFile of path: string
    | SyntheticBatch

/// Parsed options of one grad run; Settings holds the flags it shares with train (network, --set, seed, device,
/// threads, weights, weights map, T, batch), resolved and checked as train's are.
type GradOptions =
    { Settings: TrainingConfig; Mapping: WeightMap; Source: BatchSource; Estimators: EstimatorKind list; Out: string }

    member o.Batch = o.Settings.Data.BatchSize
    member o.Steps = o.Settings.Estimator.TimeSteps
    member o.Seed = o.Settings.Runtime.Seed

let optionsOf (args: ParseResults<GradArgs>) =
    let settings = SnnDsl.Runner.Cli.Settings.resolve SnnDsl.Runner.Cli.Help.benchDefaults [] (args.GetAllResults()) (args.GetResults GradArgs.Set)
    let source =
        match args.TryGetResult GradArgs.Batch_From, args.TryGetResult GradArgs.Batch_File, args.Contains GradArgs.Synthetic with
        | Some name, None, false -> FromDataset(name, args.TryGetResult GradArgs.Data)
        | None, Some path, false -> FromFile path
        | None, None, true -> SyntheticBatch
        | None, None, false -> fail "say where the batch comes from: --batch-from DATASET, --batch-file FILE.safetensors or --synthetic"
        | _ -> fail "give only one of --batch-from, --batch-file and --synthetic"
    let estimators = args.TryGetResult GradArgs.Estimators |> Option.map parseEstimators |> Option.defaultValue defaultEstimators
    { Settings = settings
      Mapping = weightMapOf settings
      Source = source
      Estimators = EstimatorKind.BpttM :: (estimators |> List.filter ((<>) EstimatorKind.BpttM))
      Out = args.GetResult(GradArgs.Out, SnnDsl.Runner.Cli.Help.gradOut) }

let private checkShape (spec: NetworkSpec) (input: torch.Tensor) (origin: string) =
    let expected = spec.Input.Dims |> Seq.toList
    let actual = input.shape |> Array.toList |> List.tail
    if actual <> expected then
        fail $"{origin}: samples have shape {WeightIO.Show(List.toArray actual)}, the network expects {WeightIO.Show(List.toArray expected)}"

/// The batch (input [B, ...], labels [B]) from a dataset's test split, a tensor file, or the seeded generator.
let loadBatch (spec: NetworkSpec) (options: GradOptions) : torch.Tensor * torch.Tensor =
    match options.Source with
    | SyntheticBatch -> Benchmark.SyntheticBatch(spec, options.Batch, options.Seed, torch.CPU).ToTuple()
    | FromFile path ->
        let tensors = WeightIO.Read path |> Seq.map (fun kv -> kv.Key, kv.Value) |> dict
        if not (tensors.ContainsKey "input" && tensors.ContainsKey "labels") then
            fail $"--batch-file {path}: expected tensors 'input' [B, ...] and 'labels' [B]"
        let input = tensors["input"].to_type(torch.float32)
        checkShape spec input $"--batch-file {path}"
        input, tensors["labels"].to_type(torch.int64)
    | FromDataset(name, root) ->
        let dataset = Datasets.Open(name, Option.toObj root, Split.Test)
        let source = ImageSource(dataset, AugmentOptions(Normalise = Datasets.NormalisationOf name))
        let loader = BatchLoader(source, LoaderOptions(options.Batch, Shuffle = false, Prefetch = false), torch.CPU)
        let batch = loader.PrepareBatch(0, 0)
        checkShape spec batch.Inputs $"--batch-from {name}"
        batch.Inputs, batch.Labels

let private f (x: float) = x.ToString("0.0000", Globalization.CultureInfo.InvariantCulture)

/// The alignment table: one row per parameter, a cosine and a norm-ratio column per estimator.
let table (runs: GradientRun list) =
    let reference = runs.Head
    let others = runs.Tail
    let compared = others |> List.map (fun r -> GradientComparison.Compare(reference, r) |> Seq.toList)
    let header = [ "parameter"; "depth" ] @ [ for r in others do let n = EstimatorNames.Of r.Estimator in yield $"cos {n}"; yield $"|g|/|g_bptt| {n}" ]
    let rows =
        reference.Gradients
        |> Seq.mapi (fun i kv -> [ kv.Key; string compared.Head[i].Depth ] @ [ for c in compared do yield f c[i].Cosine; yield f c[i].NormRatio ])
        |> Seq.toList
    let every = header :: rows
    let widths = List.init header.Length (fun c -> every |> List.map (fun r -> r[c].Length) |> List.max)
    let line (row: string list) = row |> List.mapi (fun c s -> if c = 0 then s.PadRight widths[c] else s.PadLeft widths[c]) |> String.concat "  "
    String.concat "\n" (line header :: (rows |> List.map line))

/// Cosine between two estimators' gradients over all parameters at once (the concatenated gradient vectors).
let overallCosine (reference: GradientRun) (other: GradientRun) =
    use _ = torch.NewDisposeScope()
    let flat (r: GradientRun) = torch.cat([| for kv in r.Gradients -> kv.Value.flatten().to_type(torch.float64) |])
    let a, b = flat reference, flat other
    (a.dot(b) / (a.norm() * b.norm() + 1e-300)).item<float>()

let execute (options: GradOptions) (out: TextWriter) (err: TextWriter) =
    let spec, _ = SnnDsl.Runner.Commands.CommandSupport.loadConfigured err options.Settings
    applyThreads options.Settings
    let device = deviceOf options.Settings
    use scope = torch.NewDisposeScope()
    let network = NetworkBuilder.Build(spec, options.Seed)
    loadWeights network (Option.ofObj options.Settings.Runtime.Weights) options.Mapping
    network.``to``(device) |> ignore // built and loaded on the CPU, then moved: the same weights on every device
    let input, labels = loadBatch spec options
    let input, labels = input.``to``(device), labels.``to``(device)
    let precision = options.Settings.Runtime.Precision
    SnnDsl.Runner.Commands.CommandSupport.notePrecision out precision device
    let estimatorOptions = EstimatorOptions(options.Steps, Precision = precision)
    let runs = GradientComparison.Compute(network, options.Estimators, estimatorOptions, SpikeInput.Static input, labels) |> Seq.toList
    out.WriteLine $"grad {spec.Name}: T = {options.Steps}, batch {input.shape[0]}, device {device}, precision {SettingNames.Precision.NameOf precision}"
    for r in runs do out.WriteLine $"  loss {EstimatorNames.Of r.Estimator}: {r.Loss:R}"
    out.WriteLine ""
    if runs.Length > 1 then
        out.WriteLine(table runs)
        out.WriteLine ""
        for r in runs.Tail do out.WriteLine $"all-parameter cosine with bptt-m: {EstimatorNames.Of r.Estimator} {f (overallCosine runs.Head r)}"
    WeightIO.Write(GradientComparison.ToTensors runs, options.Out, WeightFormat.Safetensors)
    out.WriteLine $"wrote {options.Out}"
    runs

let run (args: ParseResults<GradArgs>) (out: TextWriter) (err: TextWriter) =
    execute (optionsOf args) out err |> ignore
    ExitCode.Success
