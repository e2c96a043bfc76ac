// The command line of `snn` as Argu unions: one case per subcommand, each with its own arguments and usage text.
module SnnDsl.Runner.Cli.Arguments

open Argu

/// Exit codes: what failed, for scripts and CI.
[<RequireQualifiedAccess>]
module ExitCode =
    let Success = 0
    /// A mistake in the network file or on the command line; diagnostics are on stderr.
    let UserError = 1
    /// A failure of the tool itself.
    let InternalError = 2

type CheckArgs =
    | [<MainCommand; ExactlyOnce; Last>] File of path: string
    | Set of assignment: string
    | Json

    interface IArgParserTemplate with
        member this.Usage =
            match this with
            | File _ -> "the network file (.snn) to check."
            | Set _ -> "override a network parameter, as name=value (repeatable), e.g. --set classes=100."
            | Json -> "print the layer table and parameter names as JSON on stdout."

type FmtArgs =
    | [<MainCommand; ExactlyOnce; Last>] File of path: string
    | Write
    | Check

    interface IArgParserTemplate with
        member this.Usage =
            match this with
            | File _ -> "the network file (.snn) to format."
            | Write -> "rewrite the file in place with its canonical text."
            | Check -> "print nothing; exit 1 if the file is not in canonical form."

type BenchArgs =
    | [<MainCommand; ExactlyOnce>] File of path: string
    | Set of assignment: string
    | Estimators of list: string
    | Steps of list: string
    | Batch of size: int
    | Warmup of count: int
    | Iterations of count: int
    | Threads of count: int
    | Device of device: string
    | Out of dir: string
    | Weights of file: string
    | Weights_Map of mode: string
    | Spike_Grad of forms: string
    | Seed of seed: int

    interface IArgParserTemplate with
        member this.Usage =
            match this with
            | File _ -> "the network file (.snn) to benchmark."
            | Set _ -> "override a network parameter, as name=value (repeatable)."
            | Estimators _ -> "comma-separated estimators: bptt-m,bptt-s,rate-m,rate-s (default: all four)."
            | Steps _ -> "comma-separated numbers of time steps T (default 1,2,4,8)."
            | Batch _ -> "batch size (default 16)."
            | Warmup _ -> "untimed iterations per configuration before timing; the last one measures memory (default 1)."
            | Iterations _ -> "timed iterations per configuration (default 5)."
            | Threads _ -> "libtorch intra-op threads (default: libtorch's choice)."
            | Device _ -> "cpu or cuda[:i] (default cpu)."
            | Out _ -> "run directory for bench.csv and bench.png (default runs/bench-<network>-<time>)."
            | Weights _ -> "start from these weights: a safetensors weights file of ours, safetensors or a PyTorch .pt state dict."
            | Weights_Map _ -> "how file tensors map to the network's: name (default) or order (with shape checks)."
            | Spike_Grad _ -> "surrogate gradient forms in BPTT graphs, comma-separated: straight-through, custom (default: EstimatorOptions' default)."
            | Seed _ -> "seed of the weights and the synthetic batch (default 0)."

type GradArgs =
    | [<MainCommand; ExactlyOnce>] File of path: string
    | Set of assignment: string
    | Weights of file: string
    | Weights_Map of mode: string
    | Batch_From of dataset: string
    | Data of path: string
    | Batch_File of file: string
    | Synthetic
    | Batch of size: int
    | Steps of count: int
    | Estimators of list: string
    | Out of file: string
    | Seed of seed: int

    interface IArgParserTemplate with
        member this.Usage =
            match this with
            | File _ -> "the network file (.snn)."
            | Set _ -> "override a network parameter, as name=value (repeatable)."
            | Weights _ -> "weights: a safetensors weights file of ours, safetensors or a PyTorch .pt state dict (default: seeded initialisation)."
            | Weights_Map _ -> "how file tensors map to the network's: name (default) or order (with shape checks)."
            | Batch_From _ -> "take the first batch of a dataset's test split: fashion-mnist, mnist, cifar10, cifar100."
            | Data _ -> "folder of the dataset for --batch-from (fashion-mnist has a default)."
            | Batch_File _ -> "take the batch from a safetensors file with tensors 'input' [B, ...] and 'labels' [B]."
            | Synthetic -> "use a seeded random batch of the network's input shape."
            | Batch _ -> "batch size for --batch-from and --synthetic (default 16)."
            | Steps _ -> "number of time steps T (default 4)."
            | Estimators _ -> "comma-separated estimators to compare with bptt-m (default: all four)."
            | Out _ -> "safetensors file for losses, outputs and gradients (default grads.safetensors)."
            | Seed _ -> "seed of the initial weights and the synthetic batch (default 0)."

type ExportWeightsArgs =
    | [<MainCommand; ExactlyOnce>] Checkpoint of path: string
    | [<Mandatory>] Format of format: string
    | Out of file: string

    interface IArgParserTemplate with
        member this.Usage =
            match this with
            | Checkpoint _ -> "the weights file or checkpoint to convert."
            | Format _ -> "safetensors or pt."
            | Out _ -> "output file (default: the input's name with the format's extension)."

type SnnArgs =
    | [<CliPrefix(CliPrefix.None)>] Check of ParseResults<CheckArgs>
    | [<CliPrefix(CliPrefix.None)>] Fmt of ParseResults<FmtArgs>
    | [<CliPrefix(CliPrefix.None)>] Bench of ParseResults<BenchArgs>
    | [<CliPrefix(CliPrefix.None)>] Grad of ParseResults<GradArgs>
    | [<CliPrefix(CliPrefix.None)>] Export_Weights of ParseResults<ExportWeightsArgs>
    | Version

    interface IArgParserTemplate with
        member this.Usage =
            match this with
            | Check _ -> "check a network file: diagnostics, layer table (shapes, parameters, MACs, neurons) and parameter names."
            | Fmt _ -> "print a network file in canonical form, or rewrite it with --write."
            | Bench _ -> "time and memory of training iterations per estimator and T on synthetic data (table, CSV, plot)."
            | Grad _ -> "loss, outputs and gradients of each estimator on the same weights and batch, compared with BPTT-M."
            | Export_Weights _ -> "convert a weights file to safetensors or a PyTorch .pt state dict."
            | Version -> "print the version of snn and of the network language."
