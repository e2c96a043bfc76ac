// The command line of `snn` as Argu unions: one case per subcommand, each with its own arguments and usage text.
module SnnDsl.Runner.Cli.Arguments

open Argu
open SnnDsl.Core.Benchmarks
open SnnDsl.Core.Data
open SnnDsl.Core.Settings
open SnnDsl.Runner.Cli

/// Exit codes: what failed, for scripts and CI.
[<RequireQualifiedAccess>]
module ExitCode =
    let Success = 0
    /// A mistake the user can fix (network file, flags, settings, files, data, memory); one line on stderr says which.
    let UserError = 1
    /// A failure of the tool itself.
    let InternalError = 2
    /// `snn doctor`: a self-check computed something other than float64 on the CPU (each failure is named).
    let CheckFailed = 3

type CheckArgs =
    | [<MainCommand; ExactlyOnce>] File of path: string
    | Set of assignment: string
    | Json

    interface IArgParserTemplate with
        member this.Usage =
            match this with
            | File _ -> "the network file (.snn) to check."
            | Set _ -> "override a network parameter, as name=value (repeatable), e.g. --set classes=100."
            | Json -> "print the layer table and parameter names as JSON on stdout."

type FmtArgs =
    | [<MainCommand; ExactlyOnce>] File of path: string
    | Write
    | Check

    interface IArgParserTemplate with
        member this.Usage =
            match this with
            | File _ -> "the network file (.snn) to format."
            | Write -> "rewrite the file in place with its canonical text."
            | Check -> "print nothing; exit 1 if the file is not in canonical form."

/// `snn train`: every case but the run options (Config, Set, Run_Dir, Resume, Print_Config, No_Plot) is a config.json
/// key spelt with underscores (Time_Steps = "time-steps"; No_X sets "x" to false); Settings.fs derives the mapping.
type TrainArgs =
    | [<MainCommand>] Network of path: string
    | Config of path: string
    | Set of assignment: string
    | Dataset of name: string
    | [<AltCommandLine("--data")>] Data_Root of path: string
    | Estimator of name: string
    | [<AltCommandLine("-T", "--steps")>] Time_Steps of count: int
    | Epochs of count: int
    | [<AltCommandLine("--batch")>] Batch_Size of count: int
    | Optimizer of name: string
    | [<AltCommandLine("--lr")>] Learning_Rate of rate: float
    | Momentum of value: float
    | Nesterov
    | Weight_Decay of value: float
    | Schedule of name: string
    | [<AltCommandLine("--warmup")>] Warmup_Epochs of epochs: int
    | Label_Smoothing of value: float
    | [<AltCommandLine("--rate-scale")>] Rate_Gradient_Scale of scale: string
    | Sltt_K of steps: int
    | Sltt_K_Weight of weight: string
    | [<AltCommandLine("--crop")>] Crop_Padding of padding: int
    | [<AltCommandLine("--flip")>] Horizontal_Flip
    | Auto_Augment
    | Cutout of size: int
    | Seed of seed: int64
    | Weights of file: string
    | Weights_Map of mode: string
    | Device of device: string
    | Precision of name: string
    | Threads of count: int
    | Workers of count: int
    | On_Non_Finite of action: string
    | Dvs_Split of rule: string
    | Dvs_Frames of count: int
    | Dvs_Frame_Split of mode: string
    | Dvs_Resize of mode: string
    | Dvs_Size of pixels: int
    | Dvs_Cache of path: string
    | No_Dvs_Flip
    | Dvs_Roll of pixels: int
    | Image_Size of pixels: int
    | Limit_Train_Batches of count: int
    | Limit_Test_Batches of count: int
    | Sync_Bn
    | Run_Dir of path: string
    | Resume
    | Print_Config
    | No_Plot

    interface IArgParserTemplate with
        member this.Usage =
            match this with
            | Network _ -> $"""the network file (.snn) {Help.byDefault "network"}."""
            | Config _ -> "a run.json of settings (the format of a run's config.json); flags override it."
            | Set _ -> Help.set
            | Dataset _ -> $"""{String.concat ", " DatasetNames.All} {Help.byDefault "dataset"}."""
            | Data_Root _ -> "folder of the dataset files (default for fashion-mnist: /usr/share/datasets/fashion-mnist); cifar10-dvs: the class folders of .aedat recordings; imagenet: the folder holding train/ and val/. Also accepted with --resume, for data that moved."
            | Estimator _ -> $"""gradient estimator: {EstimatorNames.Table.Expected} {Help.byDefault "estimator"}."""
            | Time_Steps _ -> Help.timeSteps
            | Epochs _ -> $"""epochs {Help.byDefault "epochs"}."""
            | Batch_Size _ -> Help.batchSize
            | Optimizer _ -> $"""optimiser: {SettingNames.Optimizer.Expected} {Help.byDefault "optimizer"}."""
            | Learning_Rate _ -> $"""peak learning rate {Help.byDefault "learning-rate"}."""
            | Momentum _ -> $"""SGD momentum {Help.byDefault "momentum"}."""
            | Nesterov -> "use Nesterov momentum (SGD)."
            | Weight_Decay _ -> $"""weight decay on conv and linear weights only {Help.byDefault "weight-decay"}."""
            | Schedule _ -> $"""learning-rate schedule: {SettingNames.Schedule.Expected} {Help.byDefault "schedule"}; cosine goes to 0."""
            | Warmup_Epochs _ -> $"""epochs of linear learning-rate warm-up {Help.byDefault "warmup-epochs"}."""
            | Label_Smoothing _ -> $"""cross-entropy label smoothing {Help.byDefault "label-smoothing"}."""
            | Rate_Gradient_Scale _ -> $"""rate-BP gradient factor: {SettingNames.RateScale.Expected} {Help.byDefault "rate-gradient-scale"}."""
            | Sltt_K _ -> "sltt-k: time steps back-propagated per iteration, drawn with the run's seed (default T/2, at least 1)."
            | Sltt_K_Weight _ -> $"""sltt-k: loss weight of each drawn step, {SettingNames.SlttKWeight.Expected} {Help.byDefault "sltt-k-weight"}: 1/K makes the expected gradient SLTT's; 1/T is the SLTT authors' script (steps T/K times smaller at the same learning rate)."""
            | Crop_Padding _ -> $"""random crop with this zero padding (CIFAR: 4) {Help.byDefault "crop-padding"}."""
            | Horizontal_Flip -> "random horizontal flip."
            | Auto_Augment -> "CIFAR-10 AutoAugment policy."
            | Cutout _ -> $"""Cutout with one hole of this size (CIFAR: 16) {Help.byDefault "cutout"}."""
            | Seed _ -> Help.seed
            | Weights _ -> Help.weights
            | Weights_Map _ -> Help.weightsMap
            | Device _ -> Help.device
            | Precision _ -> Help.precision
            | Threads _ -> Help.threads
            | Workers _ -> $"""threads preparing each batch, at most 4 per core {Help.byDefault "workers"}: JPEG decoding for imagenet, building the frame cache for cifar10-dvs."""
            | On_Non_Finite _ -> $"""a non-finite loss or gradient: {SettingNames.NonFinite.Expected} {Help.byDefault "on-non-finite"}; stop names the epoch, batch and parameter, skip drops the step and counts it."""
            | Dvs_Split _ -> "cifar10-dvs train/test split, required: index (first 900 of each class train), random[:SEED] (seeded 9:1) or tebn (first 100 of each class test)."
            | Dvs_Frames _ -> "cifar10-dvs frames per clip (default: T; must equal T)."
            | Dvs_Frame_Split _ -> $"""cifar10-dvs: split a recording's events into frames by {SettingNames.DvsFrameSplit.Expected} {Help.byDefault "dvs-frame-split"}."""
            | Dvs_Resize _ -> $"""cifar10-dvs: resize frames by {SettingNames.DvsResize.Expected} {Help.byDefault "dvs-resize"}: area averages the counts, paper does what the paper's code does (byte wrap, Pillow's premultiplied LA bilinear filter; docs/events-and-imagenet.md)."""
            | Dvs_Size _ -> $"""cifar10-dvs frame side after resizing {Help.byDefault "dvs-size"}; must match the network's input."""
            | Dvs_Cache _ -> "cifar10-dvs frame cache folder (default <data>/.snndsl-cache)."
            | No_Dvs_Flip -> "cifar10-dvs: no horizontal clip flip in training (published: flip on)."
            | Dvs_Roll _ -> $"""cifar10-dvs: training roll of up to this many pixels in both axes {Help.byDefault "dvs-roll"}; 0 = off."""
            | Image_Size _ -> $"""imagenet crop side {Help.byDefault "image-size"}; the test resize is size*256/224; must match the network's input."""
            | Limit_Train_Batches _ -> "train on at most this many batches per epoch (smoke runs)."
            | Limit_Test_Batches _ -> "evaluate on at most this many test batches."
            | Sync_Bn -> "under mpirun: BatchNorm statistics of the global batch (SyncBN); default: each rank's own batch."
            | Run_Dir _ -> "run directory (default runs/<network>-<estimator>-T<T>-<time>); an existing one is refused unless --resume."
            | Resume -> "continue the run in --run-dir from its last checkpoint, with its own config.json and network.snn."
            | Print_Config -> "print the resolved settings as JSON and exit."
            | No_Plot -> "do not render PNG curves at the end."

type EvalArgs =
    | [<MainCommand; ExactlyOnce>] Run of path: string
    | Checkpoint of name: string
    | Weights of file: string
    | Weights_Map of mode: string
    | [<AltCommandLine("--data")>] Data_Root of path: string
    | [<AltCommandLine("-T", "--steps")>] Time_Steps of count: int
    | [<AltCommandLine("--batch")>] Batch_Size of count: int
    | Threads of count: int
    | Device of device: string
    | Precision of name: string

    interface IArgParserTemplate with
        member this.Usage =
            match this with
            | Run _ -> "a run directory (its config.json and network.snn are used)."
            | Checkpoint _ -> "which checkpoint of the run: best (default) or last."
            | Weights _ -> "evaluate these weights (ours, safetensors or a PyTorch .pt state dict) instead of a checkpoint."
            | Weights_Map _ -> Help.weightsMap
            | Data_Root _ -> "folder of the dataset files, if not where the run found them."
            | Time_Steps _ -> "time steps T (default: the run's)."
            | Batch_Size _ -> "samples per batch (default: the run's)."
            | Threads _ -> Help.threads
            | Device _ -> Help.device
            | Precision _ -> "fp32 or bf16 (default: the run's): bf16 computes conv and linear layers in bfloat16 over the float32 weights."

type PlotArgs =
    | [<MainCommand; ExactlyOnce>] Run of path: string

    interface IArgParserTemplate with
        member this.Usage =
            match this with
            | Run _ -> "a run directory; writes loss.png, accuracy.png, lr.png and firing_rates.png into it."

type BenchArgs =
    | [<MainCommand; ExactlyOnce>] Network of path: string
    | Set of assignment: string
    | Estimators of list: string
    | [<AltCommandLine("-T", "--steps")>] Time_Steps of list: string
    | [<AltCommandLine("--batch")>] Batch_Size of size: int
    | Warmup of count: int
    | Iterations of count: int
    | Threads of count: int
    | Device of device: string
    | Out of dir: string
    | Weights of file: string
    | Weights_Map of mode: string
    | Spike_Grad of forms: string
    | Precision of list: string
    | Seed of seed: int64

    interface IArgParserTemplate with
        member this.Usage =
            match this with
            | Network _ -> "the network file (.snn) to benchmark."
            | Set _ -> Help.set
            | Estimators _ -> Help.estimators
            | Time_Steps _ -> $"""comma-separated numbers of time steps T, each at most {EstimatorSettings.MaxTimeSteps} (default {Help.benchTimeSteps |> List.map string |> String.concat ","})."""
            | Batch_Size _ -> Help.benchBatchSize
            | Warmup _ -> $"untimed iterations per configuration before timing; the last one measures memory (default {BenchSettings().Warmup})."
            | Iterations _ -> $"timed iterations per configuration (default {BenchSettings().Iterations})."
            | Threads _ -> Help.threads
            | Device _ -> Help.device
            | Out _ -> "run directory for bench.csv and bench.png (default runs/bench-<network>-<time>)."
            | Weights _ -> Help.weights
            | Weights_Map _ -> Help.weightsMap
            | Spike_Grad _ -> "surrogate gradient forms in BPTT graphs, comma-separated: straight-through, custom (default: EstimatorOptions' default)."
            | Precision _ -> Help.benchPrecision
            | Seed _ -> Help.seed

type GradArgs =
    | [<MainCommand; ExactlyOnce>] Network of path: string
    | Set of assignment: string
    | Weights of file: string
    | Weights_Map of mode: string
    | Batch_From of dataset: string
    | Data of path: string
    | Batch_File of file: string
    | Synthetic
    | [<AltCommandLine("--batch")>] Batch_Size of size: int
    | [<AltCommandLine("-T", "--steps")>] Time_Steps of count: int
    | Estimators of list: string
    | Out of file: string
    | Seed of seed: int64
    | Threads of count: int
    | Device of device: string
    | Precision of name: string

    interface IArgParserTemplate with
        member this.Usage =
            match this with
            | Network _ -> Help.network
            | Set _ -> Help.set
            | Weights _ -> Help.weights
            | Weights_Map _ -> Help.weightsMap
            | Batch_From _ -> "take the first batch of a dataset's test split: fashion-mnist, mnist, cifar10, cifar100."
            | Data _ -> "folder of the dataset for --batch-from (fashion-mnist has a default)."
            | Batch_File _ -> "take the batch from a safetensors file with tensors 'input' [B, ...] and 'labels' [B]."
            | Synthetic -> "use a seeded random batch of the network's input shape."
            | Batch_Size _ -> $"""samples per batch for --batch-from and --synthetic {Help.byDefaultIn Help.benchDefaults "batch-size"}."""
            | Time_Steps _ -> Help.timeSteps
            | Estimators _ -> $"{Help.estimators} Each is compared with bptt-m."
            | Out _ -> $"safetensors file for losses, outputs and gradients (default {Help.gradOut})."
            | Seed _ -> Help.seed
            | Threads _ -> Help.threads
            | Device _ -> Help.device
            | Precision _ -> Help.precision

type ExportWeightsArgs =
    | [<MainCommand; ExactlyOnce>] Checkpoint of path: string
    | [<Mandatory>] Format of format: string
    | Out of file: string
    | Names of names: string
    | Network of path: string

    interface IArgParserTemplate with
        member this.Usage =
            match this with
            | Checkpoint _ -> "the weights file or checkpoint to convert."
            | Format _ -> "safetensors or pt."
            | Out _ -> "output file (default: the input's name with the format's extension)."
            | Names _ -> "ours (default: the file's names and order) or reference: the paper's names, in its state_dict order, through the .names.tsv map beside --network."
            | Network _ -> "the network file (.snn) whose name map --names reference uses."

type DoctorArgs =
    | Device of device: string
    | Threads of count: int
    | Precision of name: string

    interface IArgParserTemplate with
        member this.Usage =
            match this with
            | Device _ -> Help.device
            | Threads _ -> Help.threads
            | Precision _ -> "the self-check's precision: fp32 (default) or bf16 (the estimators and the convolution as a bf16 run computes them, held to bf16's tolerances)."

type SnnArgs =
    | [<CliPrefix(CliPrefix.None)>] Check of ParseResults<CheckArgs>
    | [<CliPrefix(CliPrefix.None)>] Fmt of ParseResults<FmtArgs>
    | [<CliPrefix(CliPrefix.None)>] Train of ParseResults<TrainArgs>
    | [<CliPrefix(CliPrefix.None)>] Eval of ParseResults<EvalArgs>
    | [<CliPrefix(CliPrefix.None)>] Plot of ParseResults<PlotArgs>
    | [<CliPrefix(CliPrefix.None)>] Bench of ParseResults<BenchArgs>
    | [<CliPrefix(CliPrefix.None)>] Grad of ParseResults<GradArgs>
    | [<CliPrefix(CliPrefix.None)>] Export_Weights of ParseResults<ExportWeightsArgs>
    | [<CliPrefix(CliPrefix.None)>] Doctor of ParseResults<DoctorArgs>
    | Version
    | [<Hidden; CliPrefix(CliPrefix.None)>] Allreduce_Bench of floats: int

    interface IArgParserTemplate with
        member this.Usage =
            match this with
            | Check _ -> "check a network file: diagnostics, layer table (shapes, parameters, MACs, neurons) and parameter names."
            | Fmt _ -> "print a network file in canonical form, or rewrite it with --write."
            | Train _ -> "train a network (default: the Fashion-MNIST CNN with rate-BP) and evaluate it each epoch."
            | Eval _ -> "evaluate a run's checkpoint on the test split."
            | Plot _ -> "render a run's metrics as PNG curves."
            | Bench _ -> "time and memory of training iterations per estimator and T on synthetic data (table, CSV, plot)."
            | Grad _ -> "loss, outputs and gradients of each estimator on the same weights and batch, compared with BPTT-M."
            | Export_Weights _ -> "convert a weights file to safetensors or a PyTorch .pt state dict."
            | Doctor _ -> "what a new machine has (versions, libtorch folder, CPU, CUDA, MPI) and a self-check of every estimator on a device."
            | Version -> "print the version of snn and of the network language."
            | Allreduce_Bench _ -> "under mpirun: time the gradient all-reduce of this many floats (docs/distributed.md)."
