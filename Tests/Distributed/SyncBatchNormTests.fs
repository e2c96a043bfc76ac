// SyncBN and the collective's pieces in one process: differentiable all-reduce, synced statistics, buckets, launch detection.
module SnnDsl.Tests.Distributed.SyncBatchNormTests

open Expecto
open TorchSharp
open SnnDsl.Dsl.Model
open SnnDsl.Core.Layers
open SnnDsl.Core.Distributed
open SnnDsl.Tests.Support

/// A job of `copies` identical ranks: the sum over ranks is copies × the local tensor.
let private identicalRanks (copies: float) =
    { new IBatchNormSync with
        member _.SumOverRanks(local) = local.detach().mul(torch.tensor copies) }

let private close (a: torch.Tensor) (b: torch.Tensor) = (a - b).abs().max().item<float32>() < 1e-5f

/// Output and gradients (input, weight, bias) of a BN layer on x in training mode, with or without a reducer.
let private bnGradients (sync: IBatchNormSync option) (rate: bool) (x: torch.Tensor) =
    let layer = new BatchNormLayer(BatchNormSpec("bn"), "bn", 3L)
    layer.train()
    let input = x.detach().clone()
    input.requires_grad <- true
    let ctx = PassContext(1, rate, BatchNormSync = Option.toObj sync)
    let output =
        if rate then
            using (torch.no_grad()) (fun _ -> layer.MultiStep(input, ctx) |> ignore)
            layer.Rate(input, ctx)
        else layer.MultiStep(input, ctx)
    let loss = (output * torch.arange(output.numel(), dtype = torch.float32).view(output.shape).sin()).sum()
    loss.backward()
    output.detach(), (nonNull input.grad).clone(), (nonNull layer.Weight.grad).clone(), (nonNull layer.Bias.grad).clone(), layer.RunningVar.clone()

[<Tests>]
let tests =
    testList "Distributed.SyncBatchNorm" [
        test "the differentiable all-reduce sums the values and, backward, the gradients over ranks" {
            let x = torch.tensor([| 1.0f; 2.0f; 3.0f |], requires_grad = true)
            let y = AllReduceSum.Apply(x, identicalRanks 2.0)
            Expect.isTrue (close y (torch.tensor [| 2.0f; 4.0f; 6.0f |])) "forward: sum of two identical ranks"
            (y * torch.tensor [| 1.0f; 10.0f; 100.0f |]).sum().backward()
            Expect.isTrue (close (nonNull x.grad) (torch.tensor [| 2.0f; 20.0f; 200.0f |])) "backward: gradient summed over the two ranks"
        }
        for rate in [ false; true ] do
            let pass = if rate then "rate pass" else "BPTT graph"
            test $"{pass}: SyncBN over identical ranks equals per-rank BN (values, input/weight/bias gradients, running variance)" {
                let x = withSeed 3L (fun () -> torch.randn(4L, 3L, 2L, 2L) * 2.0 + 0.5)
                let plain = bnGradients None rate x
                let synced = bnGradients (Some(identicalRanks 3.0)) rate x
                let (o1, gx1, gw1, gb1, rv1), (o2, gx2, gw2, gb2, rv2) = plain, synced
                Expect.isTrue (close o1 o2) "output"
                Expect.isTrue (close gx1 gx2) "input gradient"
                Expect.isTrue (close gw1 gw2) "weight gradient"
                Expect.isTrue (close gb1 gb2) "bias gradient"
                if not rate then Expect.isFalse (close rv1 rv2) "running variance uses the global count (3× the elements), so its unbiasing differs"
            }
        test "gradients are packed in order into buckets of at most 25 MB, split by dtype" {
            let big = torch.zeros(4L * 1024L * 1024L)               // 16 MB
            let grads = [ big; big; torch.zeros(10L); torch.zeros(10L, dtype = torch.float64); big ]
            let buckets = MpiCollective.Buckets(ResizeArray grads) |> Seq.map Seq.length |> List.ofSeq
            Expect.equal buckets [ 1; 2; 1; 1 ] "16 MB | 16 MB + 40 B | float64 | 16 MB"
        }
        test "an mpirun launch is recognised from Open MPI's environment, a plain one is not" {
            let env (pairs: (string * string) list) = fun name -> pairs |> List.tryFind (fst >> (=) name) |> Option.map snd |> Option.toObj
            let launch = MpiLaunch.FromVariables(env [ "OMPI_COMM_WORLD_SIZE", "4"; "OMPI_COMM_WORLD_RANK", "3"; "OMPI_COMM_WORLD_LOCAL_RANK", "1" ])
            Expect.equal launch (MpiLaunch(3, 4, 1)) "rank 3 of 4, local rank 1"
            Expect.isNull (MpiLaunch.FromVariables(env [])) "no mpirun"
            Expect.equal ((nonNull launch).DeviceFor(torch.CPU)) torch.CPU "CPU stays CPU"
            let cuda = torch.Device(DeviceType.CUDA, -1) // a description only: this machine need not have CUDA
            Expect.equal ((nonNull launch).DeviceFor(cuda, 2).ToString()) "cuda:1" "local rank 1 -> cuda:1 of 2 visible"
            let third = nonNull (MpiLaunch.FromVariables(env [ "OMPI_COMM_WORLD_SIZE", "4"; "OMPI_COMM_WORLD_RANK", "2"; "OMPI_COMM_WORLD_LOCAL_RANK", "2" ]))
            Expect.equal (third.DeviceFor(cuda, 2).ToString()) "cuda:0" "more ranks than GPUs on a node wrap around"
        }
        testList "host staging of gradient buckets (what a GPU rank runs)" [
            /// Two ranks with equal gradients: the reducer doubles the buffer, so the average is the gradient itself.
            let reduceAndRecord (seen: ResizeArray<torch.ScalarType>) = fun (host: torch.Tensor) ->
                seen.Add(host.dtype)
                Expect.equal host.device_type DeviceType.CPU "MPI's buffer is in host memory"
                Expect.isTrue (host.is_contiguous()) "contiguous"
                host.mul_(torch.tensor 2.0f) |> ignore
            test "gradients not on the CPU (a dtype MPI does not reduce, as after a move) are staged through a float32 host copy and written back" {
                use scope = torch.NewDisposeScope()
                let grads = [ torch.arange(6.0f).reshape(2L, 3L).to_type(torch.float16); torch.ones(4L).to_type(torch.float16) ]
                let expected = [ for g in grads -> g.clone() ]
                let seen = ResizeArray()
                let staged = HostStaging.AverageBucket(ResizeArray grads, 2, reduceAndRecord seen)
                Expect.isTrue staged "staged"
                Expect.equal seen.[0] torch.float32 "reduced as float32 on the host"
                for g, e in List.zip grads expected do
                    Expect.equal g.dtype torch.float16 "written back in the gradient's own dtype"
                    Expect.isTrue (sameTensor g e) "average over 2 equal ranks = the gradient"
            }
            test "CPU float32 gradients are reduced without a staging copy" {
                use scope = torch.NewDisposeScope()
                let grads = [ torch.arange(6.0f); torch.ones(3L) * 5.0f ]
                let seen = ResizeArray()
                Expect.isFalse (HostStaging.AverageBucket(ResizeArray grads, 2, reduceAndRecord seen)) "not staged"
                Expect.equal seen.[0] torch.float32 "float32"
                Expect.isTrue (sameTensor grads.[1] (torch.ones(3L) * 5.0f)) "averaged in place"
            }
            test "a gradient on a non-CPU device needs staging, whatever its dtype" {
                use scope = torch.NewDisposeScope()
                Expect.isTrue (HostStaging.NeedsStaging(torch.empty([| 3L |], device = torch.device "meta"))) "meta (standing in for cuda)"
                Expect.isFalse (HostStaging.NeedsStaging(torch.empty([| 3L |], dtype = torch.float64))) "CPU float64"
            }
        ]
    ]
