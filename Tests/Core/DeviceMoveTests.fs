// Networks moved with Module.to (dtype, or the meta device) train with their registered tensors: every zoo network, every estimator.
module SnnDsl.Tests.Core.DeviceMoveTests

open System
open System.IO
open Expecto
open TorchSharp
open SnnDsl.Dsl
open SnnDsl.Dsl.Model
open SnnDsl.Core.Estimators
open SnnDsl.Core.Layers
open SnnDsl.Core.Metrics
open SnnDsl.Core.Model
open SnnDsl.Core.Training
open SnnDsl.Tests.Support
open SnnDsl.Tests.Dsl.DslTestSupport

/// Small inputs keep the float64 runs short: most CIFAR networks at 16x16, ImageNet networks at 32x32 (the layer kinds
/// and, but for some read-outs, the parameter shapes do not change; VGG-13 pools five times, so it keeps 32x32).
let private overridesFor (name: string) =
    match name with
    | "sew_resnet34" | "preact_resnet34" -> [ "size=32" ]
    | "resnet18" | "resnet19" | "vgg11" | "vggsnn_cifar" -> [ "size=16" ]
    | _ -> []

let private names = [ for file in exampleFiles () -> nonNull (Path.GetFileNameWithoutExtension file) ]

let private compile (name: string) =
    let file = Path.Combine(examplesFolder, name + ".snn")
    // PyTorch's default initialisation: the reference's N(0, 0.5) weights (VGG family) make the spike pattern so sensitive
    // that float32 and float64 rounding flip spikes; this test is about the registered tensors after a move, not the init
    let text = File.ReadAllLines file |> Array.filter (fun l -> not (l.TrimStart().StartsWith "init ")) |> String.concat "\n"
    let result = Compiler.Compile(text, file, overridesFor name)
    Expect.isEmpty [ for d in result.Diagnostics -> string d ] $"{name} compiles"
    nonNull result.Network

let private estimators = [ for kind in Enum.GetValues<EstimatorKind>() -> kind ]

/// Every estimator is compared across dtypes on two networks that hold every zoo layer kind between them (residual
/// blocks with downsampling and adaptive pooling; a plain VGG stack); the other networks train one estimator after the
/// move, which is what exercises their registered tensors.
let private estimatorsFor (name: string) =
    if name = "resnet18" || name = "vggsnn_cifar" then estimators else [ EstimatorKind.RateM ]

/// Every tensor a layer uses must be the registered one: same object as the registry's entry, of the moved dtype and device.
let private expectRegisteredTensors (network: SpikingNetwork) (dtype: torch.ScalarType) (device: torch.Device) =
    let registered = dict [ for struct (name, p) in network.named_parameters() -> name, p ]
    for layer in network.Layers do
        let check (name: string) (t: torch.Tensor) =
            let key = if layer.Path = "" then name else layer.Path + "." + name
            Expect.isFalse t.IsInvalid $"{key} is a live tensor"
            Expect.equal t.dtype dtype $"{key} dtype"
            Expect.equal t.device_type device.``type`` $"{key} device"
            if registered.ContainsKey key then Expect.isTrue (obj.ReferenceEquals(registered.[key], t)) $"{key} is the registered parameter"
        match layer with
        | :? WeightedLayer as w ->
            check "weight" w.Weight
            match w.Bias with
            | null -> ()
            | bias -> check "bias" bias
        | :? BatchNormLayer as b ->
            check "weight" b.Weight
            check "bias" b.Bias
            check "running_mean" b.RunningMean
            check "running_var" b.RunningVar
        | _ -> ()

/// libtorch 2.10 has no meta kernels for convolution (convolution_overrideable) or batch norm (native_batch_norm), so
/// the meta-device test runs every other layer kind: LIF, pooling, residual merges, dropout, linear layers; conv and BN
/// are moved and checked in float64 on every zoo network.
let private everyKindButConvAndBn (merge: MergeKind) =
    let lif name = NeuronLayerSpec(name, NeuronSpec.Paper) :> LayerSpec
    let body = SequenceSpec("b", [ lif "0"; IdentitySpec("1") ])
    NetworkSpec("nonconv", Shape.Of(4L, 8L, 8L), [
        lif "lif0"
        ResidualSpec("block", body, null, merge)
        MaxPoolSpec("max", 2, 2); AvgPoolSpec("avg", 2, 2); DropoutSpec("drop", 0.2); FlattenSpec("flat")
        LinearSpec("hidden", 12L); lif "lif1"
        LinearSpec("fc", 3L) ])

let private batchFor (spec: NetworkSpec) (seed: int64) =
    use generator = new torch.Generator(uint64 seed, torch.CPU)
    let input = torch.rand([| yield 2L; yield! spec.Input.Dims |], generator = generator) * 1.5f
    let labels = torch.randint(int64 (ShapeInference.OutputShape(spec).[0]), [| 2L |], generator = generator)
    input, labels

/// One iteration of an estimator: (loss, gradients by name), all copied to float64 on the CPU.
let private iterate (network: SpikingNetwork) (kind: EstimatorKind) (input: torch.Tensor) (labels: torch.Tensor) =
    network.zero_grad()
    let result = GradientEstimator.Create(kind, EstimatorOptions 2).Backward(network, SpikeInput.Static input, labels)
    let grads = dict [ for struct (name, p) in network.named_parameters() -> name, (gradOf name p).to_type(torch.float64).cpu() ]
    result.ReadLoss(), grads

[<Tests>]
let tests =
    testSequenced <| testList "Core.DeviceMove" [
        for name in names do
            test $"{name} moved to float64 trains with the registered tensors, equal to float32 ({(estimatorsFor name).Length} estimator(s))" {
                let spec = compile name
                use scope = torch.NewDisposeScope()
                let single = NetworkBuilder.Build(spec, 3L)
                let double = NetworkBuilder.Build(spec, 3L)
                double.``to``(torch.float64) |> ignore
                expectRegisteredTensors double torch.float64 torch.CPU
                let input, labels = batchFor spec 4L
                for kind in estimatorsFor name do
                    use perEstimator = torch.NewDisposeScope() // the gradient copies of one estimator at a time
                    let loss32, g32 = iterate single kind input labels
                    let loss64, g64 = iterate double kind (input.to_type(torch.float64)) labels
                    Expect.floatClose { absolute = 1e-5; relative = 1e-4 } loss64 loss32 $"{kind} loss"
                    // float32 tolerance per tensor, plus a floor at the network's gradient scale: the gradients of conv biases
                    // that feed BN are 0 in exact arithmetic, so both dtypes give rounding noise there
                    let overall = g32.Values |> Seq.map (fun g -> g.abs().max().item<float>()) |> Seq.max
                    for KeyValue(parameter, g) in g32 do
                        let scale = g.abs().max().item<float>()
                        expectClose 0.0 (1e-3 * scale + 1e-5 * overall) g64.[parameter] g $"{kind} gradient of {parameter}"
                expectRegisteredTensors double torch.float64 torch.CPU
            }
        for merge in [ MergeKind.Add; MergeKind.And; MergeKind.IAnd ] do
            test $"a network of every layer kind but conv and BN ({merge} merges) moved to the meta device: every estimator runs there" {
                use scope = torch.NewDisposeScope()
                let meta = torch.device "meta"
                let spec = everyKindButConvAndBn merge
                let network = NetworkBuilder.Build(spec, 3L, meta)
                expectRegisteredTensors network torch.float32 meta
                let input = torch.empty([| yield 2L; yield! spec.Input.Dims |], device = meta)
                let labels = torch.zeros([| 2L |], dtype = torch.int64, device = meta)
                for kind in estimators do
                    network.zero_grad()
                    let result = GradientEstimator.Create(kind, EstimatorOptions 2).Backward(network, SpikeInput.Static input, labels)
                    Expect.equal result.Loss.device_type DeviceType.META $"{kind} loss on meta"
                    for struct (parameter, p) in network.named_parameters() do
                        let g = gradOf parameter p
                        Expect.equal g.device_type DeviceType.META $"{kind} gradient of {parameter} on meta"
                        Expect.sequenceEqual g.shape p.shape $"{kind} gradient shape of {parameter}"
            }
        test "a training iteration never reads a tensor on the host (meta tensors have no values to read)" {
            use scope = torch.NewDisposeScope()
            let meta = torch.device "meta"
            let spec = everyKindButConvAndBn MergeKind.Add
            let network = NetworkBuilder.Build(spec, 3L, meta)
            let optimizer = ParameterGroups.Sgd(network, 0.1, 0.9, 5e-4)
            let input = torch.empty([| yield 4L; yield! spec.Input.Dims |], device = meta)
            let labels = torch.zeros([| 4L |], dtype = torch.int64, device = meta)
            use totals = new MetricTotals(meta)
            for kind in estimators do
                let estimator = GradientEstimator.Create(kind, EstimatorOptions 3)
                let step = TrainingStep.Run(network, estimator, optimizer, SpikeInput.Static input, labels, null, totals)
                Expect.equal step.Samples 4L $"{kind}: batch size"
            Expect.equal totals.Batches estimators.Length "every iteration was added to the device-side totals"
            Expect.throws (fun () -> totals.Read() |> ignore) "reading the totals is the one host transfer, and meta has nothing to transfer"
        }
        test "device-side totals sum what the host would have summed" {
            use scope = torch.NewDisposeScope()
            let spec = compile "fashion_cnn"
            let network = NetworkBuilder.Build(spec, 5L)
            let optimizer = ParameterGroups.Sgd(network, 0.05, 0.9, 5e-4)
            use totals = new MetricTotals(torch.CPU)
            let mutable loss, top1, samples = 0.0, 0.0, 0.0
            let rates = Collections.Generic.Dictionary<string, float>()
            for seed in 1L .. 3L do
                let input, labels = batchFor spec seed
                network.train()
                let result = GradientEstimator.Create(EstimatorKind.BpttM, EstimatorOptions 2).Backward(network, SpikeInput.Static input, labels)
                totals.Add(result, labels)
                let struct (hits, _) = Accuracy.Correct(result.Output, labels)
                loss <- loss + result.ReadLoss() * 2.0
                top1 <- top1 + float (hits.item<int64>())
                samples <- samples + 2.0
                for KeyValue(layer, r) in result.ReadFiringRates() do rates.[layer] <- (match rates.TryGetValue layer with | true, sum -> sum | _ -> 0.0) + r
            let read = totals.Read()
            Expect.floatClose Accuracy.veryHigh read.LossSum loss "loss sum"
            Expect.equal read.Correct top1 "top-1 hits"
            Expect.equal read.Samples samples "samples"
            Expect.equal read.Batches 3 "batches"
            for KeyValue(layer, r) in rates do Expect.floatClose Accuracy.veryHigh read.FiringRateSums.[layer] r $"{layer} firing-rate sum"
            optimizer.Dispose()
        }
        test "after a move, SGD updates the registered parameters and a state dict loads into them" {
            use scope = torch.NewDisposeScope()
            let spec = compile "fashion_cnn"
            let network = NetworkBuilder.Build(spec, 5L)
            network.``to``(torch.float64) |> ignore
            let optimizer = ParameterGroups.Sgd(network, 0.1, 0.9, 5e-4)
            let before = dict [ for struct (name, p) in network.named_parameters() -> name, p.detach().clone() ]
            let input, labels = batchFor spec 6L
            let estimator = GradientEstimator.Create(EstimatorKind.RateM, EstimatorOptions 2)
            for _ in 1 .. 3 do TrainingStep.Run(network, estimator, optimizer, SpikeInput.Static(input.to_type(torch.float64)), labels) |> ignore
            for struct (name, p) in network.named_parameters() do
                Expect.isFalse (sameTensor p before.[name]) $"{name} was updated by the optimiser"
            let running = (network.get_buffer "bn1.running_mean" |> nonNull)
            Expect.isGreaterThan (running.abs().sum().item<float>()) 0.0 "BN running mean (a registered buffer) was updated"
            let fresh = NetworkBuilder.Build(spec, 9L)
            let source = dict [ for KeyValue(name, t) in fresh.state_dict() -> name, t.to_type(torch.float64) ]
            network.load_state_dict(Collections.Generic.Dictionary(source)) |> ignore
            for struct (name, p) in network.named_parameters() do
                Expect.isTrue (sameTensor p source.[name]) $"{name} holds the loaded values"
            expectRegisteredTensors network torch.float64 torch.CPU
        }
    ]
