// Where bf16 helps: ResNet-18's 3x3 convolutions and BN, timed alone per layer shape, fp32/bf16 x NCHW/channels-last.
//
//   ./setup.sh                                      # once: the Release build
//   dotnet fsi scripts/bench/conv_precision.fsx [-- THREADS]
//
// Each shape is one spike-pass layer of ResNet-18 at T = 4, batch 16 ([64, C, H, W] spikes at a 20 % rate), 3x3
// convolution C -> C, stride 1, no graph; the median of 15 calls after 3 warm-up calls. "cl" is channels-last memory
// (TorchSharp 0.107 has no memory_format argument: an NHWC copy viewed as NCHW, which libtorch recognises by its
// strides). bn: training-mode batch norm of a float32 [64, C, H, W]; cast: float32 -> bf16 of the same tensor.
// Measure on a quiet machine; say which CPU (snn doctor: "bf16 on the CPU").
#r "../../Runner/bin/Release/net10.0/linux-x64/TorchSharp.dll"
#r "../../Runner/bin/Release/net10.0/linux-x64/SnnDsl.Core.dll"
open System
open System.Diagnostics
open TorchSharp

SnnDsl.Core.Runtime.NativeRuntime.EnsureLoaded()
let threads = fsi.CommandLineArgs |> Array.skip 1 |> Array.filter ((<>) "--") |> Array.tryHead |> Option.map int |> Option.defaultValue 2
torch.set_num_threads threads
torch.manual_seed 0L |> ignore

/// Median milliseconds of 15 calls after 3 warm-up calls.
let median (f: unit -> unit) =
    for _ in 1..3 do f ()
    let times = [| for _ in 1..15 -> (let watch = Stopwatch.StartNew() in f (); watch.Elapsed.TotalMilliseconds) |]
    Array.sortInPlace times
    times.[7]

let channelsLast (t: torch.Tensor) = t.permute(0L, 2L, 3L, 1L).contiguous().permute(0L, 3L, 1L, 2L)
let bf16 (t: torch.Tensor) = t.to_type(torch.ScalarType.BFloat16)
let noGraph = torch.no_grad()
printfn "threads %d; ms per call (GFLOP/s)" threads
printfn "%-14s %16s %16s %16s %16s %9s %9s" "layer" "conv fp32" "conv fp32 cl" "conv bf16" "conv bf16 cl" "bn" "cast"
for channels, size in [ 64L, 32L; 128L, 16L; 256L, 8L; 512L, 4L ] do
    let x = torch.rand([| 64L; channels; size; size |]).lt(torch.tensor 0.2f).to_type(torch.ScalarType.Float32)
    let w = torch.randn([| channels; channels; 3L; 3L |]) * 0.05f
    let flops = 2.0 * 64.0 * float (channels * channels * 9L * size * size)
    let conv (input: torch.Tensor) (weight: torch.Tensor) () = (torch.nn.functional.conv2d(input, weight, padding = [| 1L; 1L |])).Dispose()
    let cell ms = sprintf "%.1f (%.0f)" ms (flops / ms / 1e6)
    let normInput = torch.randn([| 64L; channels; size; size |])
    let mean, var, gamma, beta = torch.zeros channels, torch.ones channels, torch.ones channels, torch.zeros channels
    let bn () = (torch.nn.functional.batch_norm(normInput, mean, var, gamma, beta, true, 0.1, 1e-5)).Dispose()
    printfn "%-14s %16s %16s %16s %16s %9.1f %9.1f" (sprintf "%d x %dx%d" channels size size)
        (cell (median (conv x w))) (cell (median (conv (channelsLast x) (channelsLast w))))
        (cell (median (conv (bf16 x) (bf16 w)))) (cell (median (conv (channelsLast (bf16 x)) (channelsLast (bf16 w)))))
        (median bn) (median (fun () -> (bf16 normInput).Dispose()))
noGraph.Dispose()
