// The typed configuration: flat config.json round trip, old files, one table per enum, the flags derived from the keys.
module SnnDsl.Tests.Training.SettingsTests

open System.IO
open Argu
open Expecto
open Microsoft.FSharp.Reflection
open SnnDsl.Core.Estimators
open SnnDsl.Core.Metrics
open SnnDsl.Core.Settings
open SnnDsl.Runner.Cli
open SnnDsl.Runner.Cli.Arguments
open SnnDsl.Runner.Commands
open SnnDsl.Tests.Support

let private parseTrain (argv: string[]) = ArgumentParser.Create<TrainArgs>().ParseCommandLine(argv)

let private configError (f: unit -> 'T) =
    try
        f () |> ignore
        failtest "expected a ConfigException"
    with :? ConfigException as e -> e.Message

let private caseNames<'T> () = FSharpType.GetUnionCases typeof<'T> |> Array.map Settings.keyOf |> Set.ofArray

let private usageOf<'T when 'T :> IArgParserTemplate> (key: string) =
    let case = FSharpType.GetUnionCases typeof<'T> |> Array.find (fun c -> Settings.keyOf c = key)
    let fields = case.GetFields() |> Array.map (fun f -> if f.PropertyType = typeof<string> then box "" elif f.PropertyType = typeof<int64> then box 0L else box 0)
    (FSharpValue.MakeUnion(case, fields) :?> 'T).Usage

[<Tests>]
let tests =
    testList "Training.Settings" [
        test "config.json is flat and kebab-case, and reads back to an equal config" {
            let config = TrainingConfig().With([ struct ("time-steps", Json.node 6); struct ("optimizer", Json.node "adamw") ], "test")
            let json = config.ToJson()
            for key in [ "\"time-steps\": 6"; "\"estimator\": \"rate-m\""; "\"rate-gradient-scale\": \"1/T\""; "\"optimizer\": \"adamw\""; "\"sync-bn\": false" ] do
                Expect.stringContains json key "flat key"
            Expect.equal (TrainingConfig.FromJson(json, "test").ToJson()) json "round trip"
        }
        test "precision: fp32 by default, bf16 recorded in config.json, from the flag, an unknown name refused naming both" {
            Expect.stringContains (TrainingConfig().ToJson()) "\"precision\": \"fp32\"" "the default is written"
            let bf16 = TrainingConfig().With([ struct ("precision", Json.node "bf16") ], "test")
            Expect.equal bf16.Runtime.Precision SnnDsl.Core.Layers.Precision.BFloat16 "bf16"
            Expect.stringContains (bf16.ToJson()) "\"precision\": \"bf16\"" "recorded"
            Expect.equal (TrainingConfig.FromJson(bf16.ToJson(), "test").Runtime.Precision) SnnDsl.Core.Layers.Precision.BFloat16 "read back (resume)"
            Expect.equal (SettingNames.Precision.Parse "BFloat16") SnnDsl.Core.Layers.Precision.BFloat16 "alias"
            let refused = configError (fun () -> TrainingConfig.FromJson("""{ "precision": "fp16" }""", "f.json"))
            Expect.stringContains refused "unknown precision 'fp16'; expected fp32 or bf16" "names the value and the choices"
            let flags = Settings.settingsOf [] ((parseTrain [| "--precision"; "bf16" |]).GetAllResults())
            Expect.equal (TrainingConfig().With(flags, "command line").Runtime.Precision) SnnDsl.Core.Layers.Precision.BFloat16 "--precision bf16"
        }
        test "a config.json written before the sections (with its computed keys) still reads" {
            let file = dataPath "runs/v1-mnist-tiny/config.json"
            let config = TrainingConfig.FromJson(File.ReadAllText file, file)
            Expect.equal config.Estimator.Kind EstimatorKind.RateM "estimator"
            Expect.equal config.Estimator.TimeSteps 2 "T"
            Expect.equal config.Data.BatchSize 8 "batch"
            Expect.equal config.Optimizer.Kind OptimizerKind.Sgd "optimizer default for old runs"
        }
        test "nulls, unknown keys, wrong types and unknown names are refused naming the key" {
            Expect.stringContains (configError (fun () -> TrainingConfig.FromJson("""{ "epochs": null }""", "f.json"))) "'epochs' is null" "null"
            Expect.stringContains (configError (fun () -> TrainingConfig.FromJson("""{ "network-parameters": null }""", "f.json"))) "'network-parameters' is null" "null section"
            Expect.stringContains (configError (fun () -> TrainingConfig.FromJson("""{ "epocs": 3 }""", "f.json"))) "unknown setting 'epocs'" "unknown"
            Expect.stringContains (configError (fun () -> TrainingConfig.FromJson("""{ "epochs": "three" }""", "f.json"))) "epochs" "type"
            Expect.stringContains (configError (fun () -> TrainingConfig.FromJson("""{ "schedule": "step" }""", "f.json"))) "unknown schedule 'step'; expected cosine or constant" "enum"
            Expect.stringContains (configError (fun () -> TrainingConfig.FromJson("[]", "f.json"))) "expected a JSON object" "not an object"
            Expect.stringContains (configError (fun () -> TrainingConfig.FromJson("{", "f.json"))) "not valid JSON" "broken"
        }
        test "each section checks its own bounds: finite numbers, threads per core, T" {
            let check (key: string) (value: System.Text.Json.Nodes.JsonNode | null) = configError (fun () -> TrainingConfig().With([ struct (key, value) ], "test").Validated())
            Expect.stringContains (check "learning-rate" (Json.node -1.0)) "learning rate must be a positive finite number" "lr"
            Expect.stringContains (check "threads" (Json.node 100000)) "threads must be in [0, " "threads"
            Expect.stringContains (check "workers" (Json.node 100000)) "workers must be in [1, " "workers"
            Expect.stringContains (check "time-steps" (Json.node 100000)) "T = 100000 is more than 4096" "T"
            Expect.stringContains (check "momentum" (Json.node 1.5)) "momentum must be in [0, 1)" "momentum"
        }
        test "every train flag is a config key (or a run option), and every key has a flag" {
            let keys = Set.ofSeq TrainingConfig.Keys
            let cases = caseNames<TrainArgs> ()
            let settingCases = cases |> Set.map (fun c -> if c.StartsWith "no-" && keys.Contains(c.Substring 3) then c.Substring 3 else c)
            Expect.equal (Set.difference settingCases keys) (Set.ofList TrainCommand.runOptions) "flags that are not keys are exactly the run options"
            Expect.equal (Set.difference (keys.Remove "network-parameters") settingCases) Set.empty "every key has a flag (network-parameters is --set)"
            Expect.equal (Settings.optionCases<TrainArgs> () |> Set.ofList) (Set.ofList TrainCommand.runOptions) "derived option cases"
        }
        test "flags map to keys by their names; old spellings stay as aliases; non-finite values are refused" {
            let config = TrainCommand.resolve (parseTrain [| "--steps"; "3"; "-T"; "5"; "--lr"; "0.3"; "--data"; "/d"; "--warmup"; "1"; "--no-dvs-flip"; "--flip"; "--optimizer"; "adamw" |])
            Expect.equal config.Estimator.TimeSteps 5 "last of -T/--steps"
            Expect.equal config.Optimizer.LearningRate 0.3 "--lr"
            Expect.equal config.Optimizer.Kind OptimizerKind.AdamW "--optimizer"
            Expect.equal config.Data.DataRoot "/d" "--data"
            Expect.equal config.Schedule.WarmupEpochs 1 "--warmup"
            Expect.isFalse config.Events.DvsFlip "--no-dvs-flip"
            Expect.isTrue config.Data.HorizontalFlip "--flip"
            Expect.throwsC (fun () -> TrainCommand.resolve (parseTrain [| "--lr"; "nan" |]) |> ignore)
                (fun e -> Expect.stringContains e.Message "--learning-rate NaN: expected a finite number" "names the flag")
        }
        test "help texts read the defaults from TrainingConfig" {
            Expect.stringContains (usageOf<TrainArgs> "epochs") $"(default {TrainingConfig().Schedule.Epochs})" "epochs"
            Expect.stringContains (usageOf<TrainArgs> "estimator") "(default rate-m)" "estimator"
            Expect.stringContains (usageOf<TrainArgs> "time-steps") "(default 4)" "T"
        }
        test "the shared flags are spelt and explained the same in train, eval, bench and grad" {
            for key in [ "weights-map"; "threads" ] do
                let texts = [ usageOf<TrainArgs> key; usageOf<EvalArgs> key; usageOf<BenchArgs> key; usageOf<GradArgs> key ]
                Expect.equal (List.distinct texts).Length 1 $"{key}: one help text"
            let devices = [ usageOf<TrainArgs> "device"; usageOf<EvalArgs> "device"; usageOf<BenchArgs> "device"; usageOf<GradArgs> "device" ]
            Expect.equal (List.distinct devices).Length 1 "device: one help text"
            for key in [ "time-steps"; "batch-size"; "weights"; "seed"; "set" ] do
                for cases, command in [ caseNames<TrainArgs> (), "train"; caseNames<BenchArgs> (), "bench"; caseNames<GradArgs> (), "grad" ] do
                    Expect.isTrue (cases.Contains key) $"{command} has --{key}"
        }
        test "one name table per enum: estimators are listed once and parse case-insensitively" {
            Expect.equal (EstimatorNames.Table.Names |> List.ofSeq) [ "bptt-m"; "bptt-s"; "rate-m"; "rate-s"; "ottt"; "sltt"; "sltt-k" ] "names"
            Expect.equal (EstimatorNames.Parse " RATE-S ") (System.Nullable EstimatorKind.RateS) "parse"
            Expect.equal (SettingNames.RateScale.Parse "1/t") SnnDsl.Core.Estimators.RateScaling.InverseT "alias"
            Expect.equal (SettingNames.RateScale.NameOf SnnDsl.Core.Estimators.RateScaling.InverseT) "1/T" "written name"
        }
        test "activation memory is estimated before the first step; a run that cannot fit is refused naming T and the batch" {
            let spec = (SnnDsl.Dsl.Compiler.Compile(File.ReadAllText(dataPath "runs/v1-mnist-tiny/network.snn"), "tiny.snn")).Network |> nonNull
            let bptt4 = ActivationMemory.EstimateBytes(spec, EstimatorKind.BpttM, 4, 8)
            Expect.equal (ActivationMemory.EstimateBytes(spec, EstimatorKind.BpttM, 8, 8)) (2L * bptt4) "BPTT grows with T"
            Expect.isLessThan (ActivationMemory.EstimateBytes(spec, EstimatorKind.RateS, 8, 8)) bptt4 "rate-BP keeps one step"
            let config = TrainingConfig(Estimator = EstimatorSettings(Kind = EstimatorKind.BpttM, TimeSteps = 4096), Data = DataSettings(BatchSize = 1000000))
            let message =
                try ActivationMemory.Check(spec, config, System.Nullable 1_000_000_000L); "" with :? ActivationMemoryException as e -> e.Message
            Expect.stringContains message "T = 4096 with batch size 1000000: bptt-m needs at least" "names T, batch, estimator"
            Expect.stringContains message "use a smaller --batch-size or -T" "says what to do"
            ActivationMemory.Check(spec, TrainingConfig(), System.Nullable 1_000_000_000L)
        }
        test "a libtorch allocation failure is a user error naming the size and suggesting a smaller batch or T" {
            let e = System.Runtime.InteropServices.ExternalException("[enforce fail at alloc_cpu.cpp:117] data. DefaultCPUAllocator: not enough memory: you tried to allocate 53687091200 bytes.")
            match UserErrors.describe e with
            | Some message ->
                Expect.stringContains message "out of memory allocating a tensor of 50.0 GB" "size"
                Expect.stringContains message "smaller --batch-size or -T" "advice"
            | None -> failtest "not recognised as a user error"
            Expect.isNone (UserErrors.describe (System.InvalidOperationException "bug")) "a bug stays a bug"
            Expect.isSome (UserErrors.describe (System.UnauthorizedAccessException "Access to the path '/data' is denied.")) "permissions"
        }
    ]
