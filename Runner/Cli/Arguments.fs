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
    | Crop of padding: int
    | Flip
    | Auto_Augment
    | Cutout of size: int
    | Seed of seed: int64
    | Device of device: string
    | Threads of count: int
    | Workers of count: int
    | Dvs_Split of rule: string
    | Dvs_Frames of count: int
    | Dvs_Frame_Split of mode: string
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
            | Estimator _ -> "gradient estimator: rate-m (default), rate-s, bptt-m or bptt-s."
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
            | Crop _ -> "random crop with this zero padding (CIFAR: 4)."
            | Flip -> "random horizontal flip."
            | Auto_Augment -> "CIFAR-10 AutoAugment policy."
            | Cutout _ -> "Cutout with one hole of this size (CIFAR: 16)."
            | Seed _ -> "seed of weights, data order, augmentation and dropout (default 0)."
            | Device _ -> "cpu (default) or cuda[:i] (needs the CUDA build)."
            | Threads _ -> "libtorch intra-op threads (default: libtorch's choice)."
            | Workers _ -> "threads preparing each batch (default 1): JPEG decoding for imagenet, building the frame cache for cifar10-dvs."
            | Dvs_Split _ -> "cifar10-dvs train/test split, required: index (first 900 of each class train), random[:SEED] (seeded 9:1) or tebn (first 100 of each class test)."
            | Dvs_Frames _ -> "cifar10-dvs frames per clip (default: T; must equal T)."
            | Dvs_Frame_Split _ -> "cifar10-dvs: split a recording's events into frames by number (default, as published) or time."
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

type SnnArgs =
    | [<CliPrefix(CliPrefix.None)>] Check of ParseResults<CheckArgs>
    | [<CliPrefix(CliPrefix.None)>] Fmt of ParseResults<FmtArgs>
    | [<CliPrefix(CliPrefix.None)>] Train of ParseResults<TrainArgs>
    | [<CliPrefix(CliPrefix.None)>] Eval of ParseResults<EvalArgs>
    | [<CliPrefix(CliPrefix.None)>] Plot of ParseResults<PlotArgs>
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
            | Version -> "print the version of snn and of the network language."
            | Allreduce_Bench _ -> "under mpirun: time the gradient all-reduce of this many floats (docs/distributed.md)."
