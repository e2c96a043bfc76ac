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

type TrainArgs =
    | [<MainCommand>] Network of path: string
    | Config of path: string
    | Set of assignment: string
    | Dataset of name: string
    | Data of path: string
    | Estimator of name: string
    | [<AltCommandLine("-T")>] Steps of count: int
    | Epochs of count: int
    | Batch_Size of count: int
    | Lr of rate: float
    | Momentum of value: float
    | Nesterov
    | Weight_Decay of value: float
    | Schedule of name: string
    | Warmup of epochs: int
    | Label_Smoothing of value: float
    | Rate_Scale of scale: string
    | Sltt_K of steps: int
    | Crop of padding: int
    | Flip
    | Auto_Augment
    | Cutout of size: int
    | Seed of seed: int64
    | Weights of file: string
    | Weights_Map of mode: string
    | Device of device: string
    | Threads of count: int
    | Workers of count: int
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
            | Network _ -> "the network file (.snn); default examples/networks/fashion_cnn.snn."
            | Config _ -> "a run.json of settings (the format of a run's config.json); flags override it."
            | Set _ -> "override a network parameter, as name=value (repeatable)."
            | Dataset _ -> "fashion-mnist (default), mnist, cifar10, cifar100, cifar10-dvs or imagenet."
            | Data _ -> "folder of the dataset files (default for fashion-mnist: /usr/share/datasets/fashion-mnist); cifar10-dvs: the class folders of .aedat recordings; imagenet: the folder holding train/ and val/."
            | Estimator _ -> "gradient estimator: rate-m (default), rate-s, bptt-m, bptt-s, ottt, sltt or sltt-k."
            | Steps _ -> "time steps T (default 4)."
            | Epochs _ -> "epochs (default 3)."
            | Batch_Size _ -> "samples per batch per process (default 128)."
            | Lr _ -> "peak learning rate of SGD (default 0.1)."
            | Momentum _ -> "SGD momentum (default 0.9)."
            | Nesterov -> "use Nesterov momentum."
            | Weight_Decay _ -> "weight decay on conv and linear weights only (default 5e-4)."
            | Schedule _ -> "learning-rate schedule: cosine (default, to 0) or constant."
            | Warmup _ -> "epochs of linear learning-rate warm-up (default 0)."
            | Label_Smoothing _ -> "cross-entropy label smoothing (default 0)."
            | Rate_Scale _ -> "rate-BP gradient factor: 1/T (default, as the reference) or none."
            | Sltt_K _ -> "sltt-k: time steps back-propagated per iteration, drawn with the run's seed (default T/2, at least 1)."
            | Crop _ -> "random crop with this zero padding (CIFAR: 4)."
            | Flip -> "random horizontal flip."
            | Auto_Augment -> "CIFAR-10 AutoAugment policy."
            | Cutout _ -> "Cutout with one hole of this size (CIFAR: 16)."
            | Seed _ -> "seed of weights, data order, augmentation and dropout (default 0)."
            | Weights _ -> "start from these weights: our weights/checkpoint model.safetensors, a safetensors file or a PyTorch .pt state dict."
            | Weights_Map _ -> "how the file's tensors map to the network's: name (default), order (PyTorch's state_dict order, with shape checks), reference (the paper's names, through the .names.tsv map beside the network file) or a .names.tsv map."
            | Device _ -> "cpu (default) or cuda[:i] (needs the CUDA build)."
            | Threads _ -> "libtorch intra-op threads (default: libtorch's choice)."
            | Workers _ -> "threads preparing each batch (default 1): JPEG decoding for imagenet, building the frame cache for cifar10-dvs."
            | Dvs_Split _ -> "cifar10-dvs train/test split, required: index (first 900 of each class train), random[:SEED] (seeded 9:1) or tebn (first 100 of each class test)."
            | Dvs_Frames _ -> "cifar10-dvs frames per clip (default: T; must equal T)."
            | Dvs_Frame_Split _ -> "cifar10-dvs: split a recording's events into frames by number (default, as published) or time."
            | Dvs_Resize _ -> "cifar10-dvs: resize frames by area averaging of counts (default) or as the paper's code does (paper: byte wrap, Pillow's premultiplied LA bilinear filter; docs/events-and-imagenet.md)."
            | Dvs_Size _ -> "cifar10-dvs frame side after resizing (default 48); must match the network's input."
            | Dvs_Cache _ -> "cifar10-dvs frame cache folder (default <data>/.snndsl-cache)."
            | No_Dvs_Flip -> "cifar10-dvs: no horizontal clip flip in training (published: flip on)."
            | Dvs_Roll _ -> "cifar10-dvs: training roll of up to this many pixels in both axes (default 5; 0 = off)."
            | Image_Size _ -> "imagenet crop side (default 224; the test resize is size*256/224); must match the network's input."
            | Limit_Train_Batches _ -> "train on at most this many batches per epoch (smoke runs)."
            | Limit_Test_Batches _ -> "evaluate on at most this many test batches."
            | Sync_Bn -> "under mpirun: BatchNorm statistics of the global batch (SyncBN); default: each rank's own batch."
            | Run_Dir _ -> "run directory (default runs/<network>-<estimator>-T<T>-<time>); an existing one is refused unless --resume."
            | Resume -> "continue the run in --run-dir from its last checkpoint, with its own config.json."
            | Print_Config -> "print the resolved settings as JSON and exit."
            | No_Plot -> "do not render PNG curves at the end."

type EvalArgs =
    | [<MainCommand; ExactlyOnce>] Run of path: string
    | Checkpoint of name: string
    | Weights of file: string
    | Weights_Map of mode: string
    | Data of path: string
    | Steps of count: int
    | Batch_Size of count: int
    | Threads of count: int
    | Device of device: string

    interface IArgParserTemplate with
        member this.Usage =
            match this with
            | Run _ -> "a run directory (its config.json and network.snn are used)."
            | Checkpoint _ -> "which checkpoint of the run: best (default) or last."
            | Weights _ -> "evaluate these weights (ours, safetensors or a PyTorch .pt state dict) instead of a checkpoint."
            | Weights_Map _ -> "how the file's tensors map to the network's: name (default), order (PyTorch's state_dict order, with shape checks), reference (the paper's names, through the .names.tsv map beside the network file) or a .names.tsv map."
            | Data _ -> "folder of the dataset files, if not where the run found them."
            | Steps _ -> "time steps T (default: the run's)."
            | Batch_Size _ -> "samples per batch (default: the run's)."
            | Threads _ -> "libtorch intra-op threads."
            | Device _ -> "cpu (default) or cuda[:i]."

type PlotArgs =
    | [<MainCommand; ExactlyOnce>] Run of path: string

    interface IArgParserTemplate with
        member this.Usage =
            match this with
            | Run _ -> "a run directory; writes loss.png, accuracy.png, lr.png and firing_rates.png into it."

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
            | Estimators _ -> "comma-separated estimators: bptt-m,bptt-s,rate-m,rate-s,ottt,sltt,sltt-k (default: bptt-m,bptt-s,rate-m,rate-s)."
            | Steps _ -> "comma-separated numbers of time steps T (default 1,2,4,8)."
            | Batch _ -> "batch size (default 16)."
            | Warmup _ -> "untimed iterations per configuration before timing; the last one measures memory (default 1)."
            | Iterations _ -> "timed iterations per configuration (default 5)."
            | Threads _ -> "libtorch intra-op threads (default: libtorch's choice)."
            | Device _ -> "cpu or cuda[:i] (default cpu)."
            | Out _ -> "run directory for bench.csv and bench.png (default runs/bench-<network>-<time>)."
            | Weights _ -> "start from these weights: a safetensors weights file of ours, safetensors or a PyTorch .pt state dict."
            | Weights_Map _ -> "how file tensors map to the network's: name (default), order (PyTorch's state_dict order, with shape checks), reference (the paper's names, through the .names.tsv map beside the network file) or a .names.tsv map."
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
            | Weights_Map _ -> "how file tensors map to the network's: name (default), order (PyTorch's state_dict order, with shape checks), reference (the paper's names, through the .names.tsv map beside the network file) or a .names.tsv map."
            | Batch_From _ -> "take the first batch of a dataset's test split: fashion-mnist, mnist, cifar10, cifar100."
            | Data _ -> "folder of the dataset for --batch-from (fashion-mnist has a default)."
            | Batch_File _ -> "take the batch from a safetensors file with tensors 'input' [B, ...] and 'labels' [B]."
            | Synthetic -> "use a seeded random batch of the network's input shape."
            | Batch _ -> "batch size for --batch-from and --synthetic (default 16)."
            | Steps _ -> "number of time steps T (default 4)."
            | Estimators _ -> "comma-separated estimators to compare with bptt-m: bptt-s,rate-m,rate-s,ottt,sltt,sltt-k (default: bptt-s,rate-m,rate-s)."
            | Out _ -> "safetensors file for losses, outputs and gradients (default grads.safetensors)."
            | Seed _ -> "seed of the initial weights and the synthetic batch (default 0)."

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

    interface IArgParserTemplate with
        member this.Usage =
            match this with
            | Device _ -> "the device to self-check: cpu (default) or cuda[:i]."
            | Threads _ -> "libtorch intra-op threads (default: libtorch's choice)."

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
