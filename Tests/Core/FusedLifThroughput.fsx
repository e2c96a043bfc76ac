// Times the fused LIF kernel against the tensor path (spike pass with and without recording) on the Fashion CNN's first LIF
// layer input [T·B, 32, 26, 26], B = 128, T = 4, 2 threads, alternating; run after `dotnet build Tests -c Release`:
//   dotnet fsi Tests/Core/FusedLifThroughput.fsx
#r "../bin/Release/net10.0/linux-x64/TorchSharp.dll"
#r "../bin/Release/net10.0/linux-x64/SnnDsl.Dsl.dll"
#r "../bin/Release/net10.0/linux-x64/SnnDsl.Core.dll"
open System
open TorchSharp
open SnnDsl.Dsl.Model
open SnnDsl.Core
SnnDsl.Core.Runtime.NativeRuntime.EnsureLoaded()
torch.set_num_threads 2
let layer = new Layers.NeuronLayer(NeuronLayerSpec("lif", NeuronSpec.Paper), "lif")
let x = torch.randn(512L, 32L, 26L, 26L) + 0.5f
let time fused record =
    layer.Fused <- fused
    use scope = torch.NewDisposeScope()
    use _ = torch.no_grad()
    let sw = Diagnostics.Stopwatch.StartNew()
    let ctx = Layers.PassContext(4, record)
    layer.MultiStep(x, ctx) |> ignore
    if record then layer.RateAndEligibility ctx |> ignore
    sw.Elapsed.TotalMilliseconds
let results = Collections.Generic.Dictionary<string, ResizeArray<float>>()
for rep in 1 .. 12 do
    for fused in [ false; true ] do
        for record in [ false; true ] do
            let key = $"fused={fused} record={record}"
            let ms = time fused record
            if rep > 2 then (if not (results.ContainsKey key) then results[key] <- ResizeArray()); results[key].Add ms
for kv in results do
    let a = kv.Value |> Seq.sort |> Seq.toArray
    printfn "%s median %.1f ms min %.1f ms (n=%d)" kv.Key a[a.Length / 2] a[0] a.Length
printfn "vector bits %d" Neurons.FusedLif.VectorBits
