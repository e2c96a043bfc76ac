// Help texts of the flags several commands share, and of settings, reading defaults from TrainingConfig.
module SnnDsl.Runner.Cli.Help

open SnnDsl.Core.Benchmarks
open SnnDsl.Core.Settings

/// The default of a config.json key, as written.
let defaultOf (key: string) = TrainingConfig.DefaultOf key

/// "(default X)" for a config.json key.
let byDefault (key: string) = $"(default {defaultOf key})"

/// What bench and grad start from: the training settings with a batch of 16 (a timing or a gradient comparison, not training).
let benchDefaults = TrainingConfig(Data = DataSettings(BatchSize = BenchSettings().BatchSize))

/// The T values bench measures when no --time-steps is given.
let benchTimeSteps = [ 1; 2; 4; 8 ]

/// The file grad writes when no --out is given.
let gradOut = "grads.safetensors"

/// "(default X)" for a key of the settings a command starts from.
let byDefaultIn (config: TrainingConfig) (key: string) = $"(default {config.ValueOf key})"

let network = "the network file (.snn)."
let set = "override a network parameter, as name=value (repeatable), e.g. --set classes=100."
let weights = "start from these weights: a weights file or checkpoint model.safetensors of ours, a safetensors file or a PyTorch .pt state dict."
let weightsMap = $"""how the file's tensors map to the network's: name (the default), order (PyTorch's state_dict order, with shape checks), reference (the paper's names, through the .names.tsv map beside the network file) or a .names.tsv map."""
let seed = $"""seed of the weights, data order, augmentation, dropout and synthetic batches {byDefault "seed"}."""
let device = $"""cpu or cuda[:i] (cuda needs the CUDA build) {byDefault "device"}."""
let precision = $"""fp32 or bf16: bf16 computes conv and linear layers in bfloat16 over float32 master weights (BN, neurons, loss, optimiser and checkpoints stay float32) {byDefault "precision"}."""
let benchPrecision = "comma-separated precisions, each measured like an estimator (round-robin): fp32, bf16 (default fp32); the table gives bf16's time relative to fp32."
let threads = $"""libtorch intra-op threads, at most 4 per core; 0 = libtorch's choice {byDefault "threads"}."""
let timeSteps = $"""time steps T {byDefault "time-steps"}."""
let batchSize = $"""samples per batch per process {byDefault "batch-size"}."""
let benchBatchSize = $"""samples per batch {byDefaultIn benchDefaults "batch-size"}."""
let estimators = $"comma-separated estimators: {EstimatorNames.Table.Expected} (default: bptt-m, bptt-s, rate-m, rate-s)."
