// `snn train`: resolves settings (defaults < --config < flags), prepares the run directory, trains and evaluates.
module SnnDsl.Runner.Commands.TrainCommand

open System
open System.IO
open Argu
open SnnDsl.Core.Runs
open SnnDsl.Core.Runtime
open SnnDsl.Core.Settings
open SnnDsl.Core.Training
open SnnDsl.Runner.Cli
open SnnDsl.Runner.Cli.Arguments
open SnnDsl.Runner.Commands.CommandSupport

/// Flags that are not settings of the run.
let runOptions = [ "config"; "set"; "run-dir"; "resume"; "print-config"; "no-plot" ]

/// Settings a resumed run still accepts: where its data now lives.
let resumeSettings = [ "data-root" ]

/// Defaults < --config file < flags, as one validated config.
let resolve (args: ParseResults<TrainArgs>) : TrainingConfig =
    let start =
        match args.TryGetResult TrainArgs.Config with
        | Some path when not (File.Exists path) -> raise (ConfigException $"no such config file '{path}'")
        | Some path -> TrainingConfig.FromJson(readFile path |> Text.Encoding.UTF8.GetString, path)
        | None -> TrainingConfig()
    let flags = Settings.settingsOf [] (args.GetAllResults())
    let sets = args.GetResults TrainArgs.Set |> List.map Settings.assignment
    start.With(flags @ sets, "command line").Validated()

/// The run's own config (with a moved --data-root) for --resume; any other setting is refused.
let private resumedConfig (args: ParseResults<TrainArgs>) (recorded: RecordedRun) =
    let settings = Settings.settingsOf [] (args.GetAllResults())
    let others = settings |> List.filter (fun struct (key, _) -> not (List.contains key resumeSettings))
    if not others.IsEmpty || args.Contains TrainArgs.Set || args.Contains TrainArgs.Config then
        UserErrors.fail $"--resume continues '{recorded.Path}' with its own config.json and network.snn; drop the other settings (only --data may change)"
    recorded.Config.With(settings, "command line").Validated()

let private commandLine () =
    Environment.GetCommandLineArgs()
    |> Array.skip 1
    |> Array.map (fun a -> if a.Contains ' ' then $"'{a}'" else a)
    |> String.concat " "
    |> sprintf "snn %s"

let private defaultRunDir (config: TrainingConfig) =
    let name = Path.GetFileNameWithoutExtension config.Network
    let stamp = DateTime.Now.ToString("yyyyMMdd-HHmmss")
    Path.Combine("runs", $"{name}-{SnnDsl.Core.Settings.EstimatorNames.Of config.Estimator.Kind}-T{config.Estimator.TimeSteps}-{stamp}")

/// The network of a run: the file the config names for a new run, the run's own network.snn on resume.
let private networkOf (config: TrainingConfig) (recorded: RecordedRun option) =
    match recorded with
    | Some run -> compileRecorded Console.Error run config
    | None -> loadConfigured Console.Error config

/// Trains with a resolved config as one rank of <paramref name="job"/>, a new run or the recorded one it resumes;
/// rank 0 alone has (and returns) a run directory. Mistakes the user can fix raise a UserException.
let trainAs (job: DistributedJob.Job) (config: TrainingConfig) (runDir: string) (recorded: RecordedRun option) (observer: ITrainingObserver) =
    // rank 0 locks and recovers a resumed run before anyone reads its checkpoint
    let opened = if job.Writes then recorded |> Option.map (fun r -> RunDirectory.Open(r, commandLine ())) else None
    try
        let spec, source = networkOf config recorded
        DistributedJob.checkSame job config source
        let configured = Devices.Parse config.Runtime.Device
        let device = job.Launch |> Option.map (fun launch -> launch.DeviceFor configured) |> Option.defaultValue configured
        if job.Writes then notePrecision Console.Out config.Runtime.Precision device
        // the trainer opens the data and checks it fits before anything is written, so a failed start leaves no run behind
        let trainer = Trainer(spec, config, device, job.Collective, observer)
        let report = trainer.Data.Report
        if job.Writes then report.Description |> Seq.iter (printfn "%s")
        let created = if job.Writes && recorded.IsNone then Some(RunDirectory.Create(runDir, commandLine (), config, source)) else None
        if created |> Option.exists (fun r -> r.StartedAgain) then
            printfn "run %s: it never completed a checkpoint (stopped in its first epoch); starting it again" runDir
        if opened |> Option.exists (fun r -> not r.HasCheckpoint) then
            printfn "run %s: no complete checkpoint yet; resuming from its start with its recorded config and network" runDir
        try
            let run = Option.orElse created opened
            run |> Option.iter (fun r -> report.WriteTo r.Path)
            let summary = trainer.Run(Option.toObj run, recorded.IsSome)
            run |> Option.iter (fun r ->
                report.WriteTo r.Path
                printfn "%s" (report.Summary()))
            run |> Option.map (fun r -> r.Path), summary
        finally
            created |> Option.iter (fun r -> r.Dispose())
    finally
        opened |> Option.iter (fun r -> r.Dispose())

/// Trains with a resolved config into a run directory, in this process alone; returns the run's path and summary.
/// With <paramref name="resume"/> the run continues with the network it recorded.
let trainInto (config: TrainingConfig) (runDir: string) (resume: bool) (observer: ITrainingObserver) =
    let recorded = if resume then Some(RecordedRun.Read runDir) else None
    let path, summary = trainAs DistributedJob.single config runDir recorded observer
    Option.get path, summary

let private runAs (job: DistributedJob.Job) (args: ParseResults<TrainArgs>) =
    // a resumed run's config and network are read once, here, and passed on
    let recorded =
        if not (args.Contains TrainArgs.Resume) then None
        else
            match args.TryGetResult TrainArgs.Run_Dir with
            | None -> UserErrors.fail "--resume needs --run-dir, the run to continue"
            | Some dir -> Some(RecordedRun.Read dir)
    let config =
        match recorded with
        | None -> resolve args
        | Some run -> resumedConfig args run
    if args.Contains TrainArgs.Print_Config then
        if job.Writes then printfn "%s" (config.ToJson())
        ExitCode.Success
    else
        let runDir = args.TryGetResult TrainArgs.Run_Dir |> Option.defaultWith (fun () -> defaultRunDir config)
        let observer = if job.Writes then SnnDsl.Runner.Console.Progress.forConsole () else SnnDsl.Runner.Console.Progress.silent
        match trainAs job config runDir recorded observer with
        | None, _ -> ExitCode.Success
        | Some path, summary ->
            if not (args.Contains TrainArgs.No_Plot) then PlotCommand.render path |> ignore
            printfn "run %s: best test top-1 %.2f%% (epoch %d)" path summary.BestTop1 (summary.BestEpoch + 1)
            ExitCode.Success

/// `snn train`, alone or as one rank of an mpirun job (detected from the environment); a failing rank ends the job
/// (the entry point aborts it).
let run (args: ParseResults<TrainArgs>) =
    let job = DistributedJob.start ()
    DistributedJob.finish (runAs job args)
