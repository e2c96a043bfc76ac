// `snn train`: resolves settings (defaults < --config < flags), prepares the run directory, trains and evaluates.
module SnnDsl.Runner.Commands.TrainCommand

open System
open System.IO
open System.Text.Json.Nodes
open Argu
open SnnDsl.Core.Training
open SnnDsl.Core.Data
open SnnDsl.Core.Runtime
open SnnDsl.Runner.Cli.Arguments
open SnnDsl.Runner.Commands.CommandSupport

/// The config keys (as in config.json) that a flag sets.
let private flagValue (arg: TrainArgs) : (string * (JsonNode | null)) option =
    let v (x: obj) = jsonValue x
    match arg with
    | TrainArgs.Network p -> Some("network", v p)
    | TrainArgs.Dataset d -> Some("dataset", v d)
    | TrainArgs.Data p -> Some("data-root", v p)
    | TrainArgs.Estimator e -> Some("estimator", v e)
    | TrainArgs.Steps n -> Some("time-steps", v n)
    | TrainArgs.Epochs n -> Some("epochs", v n)
    | TrainArgs.Batch_Size n -> Some("batch-size", v n)
    | TrainArgs.Lr x -> Some("learning-rate", v x)
    | TrainArgs.Momentum x -> Some("momentum", v x)
    | TrainArgs.Nesterov -> Some("nesterov", v true)
    | TrainArgs.Weight_Decay x -> Some("weight-decay", v x)
    | TrainArgs.Schedule s -> Some("schedule", v s)
    | TrainArgs.Warmup n -> Some("warmup-epochs", v n)
    | TrainArgs.Label_Smoothing x -> Some("label-smoothing", v x)
    | TrainArgs.Rate_Scale s -> Some("rate-gradient-scale", v s)
    | TrainArgs.Sltt_K k -> Some("sltt-k", v k)
    | TrainArgs.Crop n -> Some("crop-padding", v n)
    | TrainArgs.Flip -> Some("horizontal-flip", v true)
    | TrainArgs.Auto_Augment -> Some("auto-augment", v true)
    | TrainArgs.Cutout n -> Some("cutout", v n)
    | TrainArgs.Seed s -> Some("seed", v s)
    | TrainArgs.Weights f -> Some("weights", v f)
    | TrainArgs.Weights_Map m -> Some("weights-map", v m)
    | TrainArgs.Device d -> Some("device", v d)
    | TrainArgs.Threads n -> Some("threads", v n)
    | TrainArgs.Workers n -> Some("workers", v n)
    | TrainArgs.Dvs_Split s -> Some("dvs-split", v s)
    | TrainArgs.Dvs_Frames n -> Some("dvs-frames", v n)
    | TrainArgs.Dvs_Frame_Split s -> Some("dvs-frame-split", v s)
    | TrainArgs.Dvs_Resize s -> Some("dvs-resize", v s)
    | TrainArgs.Dvs_Size n -> Some("dvs-size", v n)
    | TrainArgs.Dvs_Cache p -> Some("dvs-cache", v p)
    | TrainArgs.No_Dvs_Flip -> Some("dvs-flip", v false)
    | TrainArgs.Dvs_Roll n -> Some("dvs-roll", v n)
    | TrainArgs.Image_Size n -> Some("image-size", v n)
    | TrainArgs.Limit_Train_Batches n -> Some("limit-train-batches", v n)
    | TrainArgs.Limit_Test_Batches n -> Some("limit-test-batches", v n)
    | TrainArgs.Sync_Bn -> Some("sync-bn", v true)
    | TrainArgs.Config _ | TrainArgs.Set _ | TrainArgs.Run_Dir _ | TrainArgs.Resume | TrainArgs.Print_Config | TrainArgs.No_Plot -> None

/// A network parameter assignment name=value.
let private assignment (text: string) =
    match text.IndexOf '=' with
    | i when i > 0 -> Ok(text.Substring(0, i).Trim(), text.Substring(i + 1).Trim())
    | _ -> Error $"snn: error: --set expects name=value, got '{text}'"

/// Defaults < --config file < flags, as one validated config.
let resolve (args: ParseResults<TrainArgs>) : Result<TrainingConfig, string> =
    try
        let start =
            match args.TryGetResult TrainArgs.Config with
            | Some path when not (File.Exists path) -> raise (ConfigException $"no such config file '{path}'")
            | Some path -> TrainingConfig.FromJson(File.ReadAllText path, path)
            | None -> TrainingConfig()
        let flags = args.GetAllResults() |> List.choose flagValue
        let sets =
            [ for text in args.GetResults TrainArgs.Set ->
                match assignment text with
                | Ok(name, value) -> $"network-parameters.{name}", jsonValue value
                | Error message -> raise (ConfigException message) ]
        let values = (flags @ sets) |> List.map (fun (key, value) -> struct (key, value))
        Ok((start.With(values, "command line")).Validated())
    with :? ConfigException as e -> Error $"snn: error: {e.Message}"

let private commandLine () =
    Environment.GetCommandLineArgs()
    |> Array.skip 1
    |> Array.map (fun a -> if a.Contains ' ' then $"'{a}'" else a)
    |> String.concat " "
    |> sprintf "snn %s"

let private defaultRunDir (config: TrainingConfig) =
    let name = Path.GetFileNameWithoutExtension config.Network
    let stamp = DateTime.Now.ToString("yyyyMMdd-HHmmss")
    Path.Combine("runs", $"{name}-{config.Estimator}-T{config.TimeSteps}-{stamp}")

/// Trains with a resolved config as one rank of <paramref name="job"/>; rank 0 alone has (and returns) a run directory.
/// Errors a user can fix raise ConfigException or DataException.
let trainAs (job: DistributedJob.Job) (config: TrainingConfig) (runDir: string) (resume: bool) (observer: ITrainingObserver) =
    let overrides = config.NetworkParameters |> Seq.map (fun kv -> $"{kv.Key}={kv.Value}")
    match loadNetwork Console.Error config.Network overrides with
    | Error code -> Error code
    | Ok(spec, source) ->
        match DistributedJob.checkSame job config source with
        | Error message ->
            if job.Writes then eprintfn "%s" message
            job.Mpi |> Option.iter (fun _ -> SnnDsl.Core.Distributed.MpiCollective.Barrier())
            Error ExitCode.UserError
        | Ok() ->
            let configured = Devices.Parse config.Device
            let device = job.Launch |> Option.map (fun launch -> launch.DeviceFor configured) |> Option.defaultValue configured
            // the trainer opens the data and checks it fits before anything is written, so a failed start leaves no run behind
            let trainer = Trainer(spec, config, device, job.Collective, observer)
            let report = trainer.Data.Report
            if job.Writes then report.Description |> Seq.iter (printfn "%s")
            let run =
                if not job.Writes then None
                elif resume then Some(RunDirectory.Open(runDir, commandLine ()))
                else Some(RunDirectory.Create(runDir, commandLine (), config, source))
            run |> Option.iter (fun r -> report.WriteTo r.Path)
            let summary = trainer.Run(Option.toObj run, resume)
            run |> Option.iter (fun r ->
                report.WriteTo r.Path
                printfn "%s" (report.Summary()))
            Ok(run, summary)

/// Trains with a resolved config into a run directory, in this process alone; returns the summary.
let trainInto (config: TrainingConfig) (runDir: string) (resume: bool) (observer: ITrainingObserver) =
    trainAs DistributedJob.single config runDir resume observer |> Result.map (fun (run, summary) -> Option.get run, summary)

let private runAs (job: DistributedJob.Job) (args: ParseResults<TrainArgs>) =
    let fail (message: string) =
        eprintfn "%s" (DistributedJob.errorText job message)
        ExitCode.UserError
    let resume = args.Contains TrainArgs.Resume
    let resolved =
        if not resume then resolve args
        else
            match args.TryGetResult TrainArgs.Run_Dir with
            | None -> Error "snn: error: --resume needs --run-dir, the run to continue"
            | Some dir when args.GetAllResults() |> List.exists (flagValue >> Option.isSome) || args.Contains TrainArgs.Set || args.Contains TrainArgs.Config ->
                Error $"snn: error: --resume continues '{dir}' with its own config.json; drop the other settings"
            | Some dir ->
                let file = Path.Combine(dir, "config.json")
                if File.Exists file then Ok(TrainingConfig.FromJson(File.ReadAllText file, file))
                else Error $"snn: error: cannot resume '{dir}': it has no config.json"
    match resolved with
    | Error message -> fail message
    | Ok config when args.Contains TrainArgs.Print_Config ->
        if job.Writes then printfn "%s" (config.ToJson())
        ExitCode.Success
    | Ok config ->
        let runDir = args.TryGetResult TrainArgs.Run_Dir |> Option.defaultWith (fun () -> defaultRunDir config)
        let observer = if job.Writes then SnnDsl.Runner.Console.Progress.forConsole () else SnnDsl.Runner.Console.Progress.silent
        try
            match trainAs job config runDir resume observer with
            | Error code -> code
            | Ok(None, _) -> ExitCode.Success
            | Ok(Some run, summary) ->
                if not (args.Contains TrainArgs.No_Plot) then PlotCommand.render run.Path |> ignore
                printfn "run %s: best test top-1 %.2f%% (epoch %d)" run.Path summary.BestTop1 (summary.BestEpoch + 1)
                ExitCode.Success
        with
        | :? ConfigException as e -> fail e.Message
        | :? DataException as e -> fail e.Message

/// `snn train`, alone or as one rank of an mpirun job (detected from the environment); a failing rank ends the job.
let run (args: ParseResults<TrainArgs>) =
    match DistributedJob.start () with
    | Error message ->
        eprintfn "%s" message
        ExitCode.UserError
    | Ok job when job.Mpi.IsNone -> runAs job args
    | Ok job ->
        try DistributedJob.finish job (runAs job args)
        with e -> DistributedJob.crash job e
