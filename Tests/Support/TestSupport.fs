// Helpers shared by the test files: tensor comparisons and paths to test data.
module SnnDsl.Tests.Support

open System
open System.IO
open Expecto
open TorchSharp

/// Folder of the self-contained test data copied next to the test assembly.
let dataPath (relative: string) = Path.Combine(AppContext.BaseDirectory, "Fixtures", relative)

/// The device the device-aware tests (the golden tests) build their networks on: SNNDSL_TEST_DEVICE (e.g. "cuda"),
/// default the CPU. scripts/gpu-check.sh runs the golden tests on a GPU this way.
let testDevice =
    match System.Environment.GetEnvironmentVariable "SNNDSL_TEST_DEVICE" with
    | null | "" -> torch.CPU
    | name -> SnnDsl.Core.Runtime.Devices.Parse name

/// Largest absolute difference between two tensors of equal shape.
let maxAbsDiff (a: torch.Tensor) (b: torch.Tensor) =
    (a.cpu().to_type(torch.float64) - b.cpu().to_type(torch.float64)).abs().max().item<float>()

/// Cosine similarity of two tensors seen as flat vectors.
let cosine (a: torch.Tensor) (b: torch.Tensor) =
    let a = a.cpu().to_type(torch.float64).flatten()
    let b = b.cpu().to_type(torch.float64).flatten()
    (a.dot(b) / (a.norm() * b.norm() + 1e-300)).item<float>()

/// Asserts |a - b| <= atol + rtol * |b| elementwise, naming the worst element in the message.
let expectClose (rtol: float) (atol: float) (actual: torch.Tensor) (expected: torch.Tensor) (what: string) =
    Expect.sequenceEqual actual.shape expected.shape $"{what}: shape"
    let a = actual.cpu().to_type(torch.float64)
    let e = expected.cpu().to_type(torch.float64)
    let excess = (a - e).abs() - (e.abs() * rtol + atol)
    let worst = excess.max().item<float>()
    if worst > 0.0 then
        failtestf "%s: max |diff| %g exceeds atol %g + rtol %g·|expected| (max |expected| %g)"
            what (maxAbsDiff a e) atol rtol (e.abs().max().item<float>())

/// The gradient of a parameter, failing the test when backward never reached it.
let gradOf (name: string) (p: torch.Tensor) =
    match p.grad with
    | null -> failtestf "parameter %s has no gradient" name
    | g -> g

/// True when two tensors have the same shape and exactly equal elements.
let sameTensor (a: torch.Tensor) (b: torch.Tensor) =
    a.shape = b.shape && a.eq(b).all().item<bool>()

/// Runs `snn` in-process with the console redirected, returning the exit code, stdout and stderr.
let runCli (argv: string[]) =
    let out, err = new StringWriter(), new StringWriter()
    let previousOut, previousErr = Console.Out, Console.Error
    Console.SetOut out
    Console.SetError err
    let code = try SnnDsl.Runner.Program.execute argv finally Console.SetOut previousOut; Console.SetError previousErr
    code, out.ToString(), err.ToString()

let private rngLock = obj ()

/// Runs f with torch's global generator seeded, holding a lock so that tests running in parallel
/// cannot draw from the generator in between (Expecto runs test lists concurrently).
let withSeed (seed: int64) (f: unit -> 'T) =
    lock rngLock (fun () ->
        torch.manual_seed seed |> ignore
        f ())

/// Values as JSON nodes, for TrainingConfig.With.
module Json =
    let node (value: obj) : System.Text.Json.Nodes.JsonNode | null =
        System.Text.Json.Nodes.JsonNode.Parse(System.Text.Json.JsonSerializer.Serialize value)

/// The suite's last line: "N passed, N failed".
let summaryLine (passed: int) (failed: int) = $"{passed} passed, {failed} failed"

/// Writes the summary alone on its line: a newline first (Expecto's progress display can leave escape codes with no
/// newline after them), nothing after it, flushed, so `tail -1` of a log is exactly the summary.
let writeSummary (out: TextWriter) (passed: int) (failed: int) =
    out.Write("\n" + summaryLine passed failed + "\n")
    out.Flush()

[<Tests>]
let summaryTests =
  testList "Support" [
    test "the suite's summary is the last line, alone, after whatever the progress display left" {
        use out = new StringWriter()
        out.Write "\u001b[0m\u001b[1000D\u001b[?25h"
        writeSummary out 480 1
        let lines = out.ToString().Split('\n')
        Expect.equal lines[lines.Length - 2] "480 passed, 1 failed" "the line itself, no escape codes, no blanks"
        Expect.equal lines[lines.Length - 1] "" "nothing after its newline"
    }
  ]
