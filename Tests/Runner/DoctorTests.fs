// `snn doctor` and SNNDSL_LIBTORCH: the self-check passes here and can fail; a user's libtorch folder is read, refused or loaded.
module SnnDsl.Tests.Runner.DoctorTests

open System
open System.Diagnostics
open System.IO
open Expecto
open TorchSharp
open SnnDsl.Core.Doctor
open SnnDsl.Core.Runtime
open SnnDsl.Tests.Data.DataFiles

let private snn = Path.Combine(AppContext.BaseDirectory, "snn")

/// Runs the snn executable in a process of its own (a fresh native loader) with extra environment variables.
let private runSnn (environment: (string * string) list) (args: string list) =
    let info = ProcessStartInfo(snn, RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false)
    for a in args do info.ArgumentList.Add a
    for name, value in environment do info.Environment.[name] <- value
    use proc = nonNull (Process.Start info)
    let out, err = proc.StandardOutput.ReadToEndAsync(), proc.StandardError.ReadToEndAsync()
    if not (proc.WaitForExit 240_000) then
        proc.Kill(entireProcessTree = true)
        failtestf "snn %A did not finish within 240 s" args
    proc.ExitCode, out.Result, err.Result

/// The folder this test process loaded libtorch from (the NuGet package's natives, copied beside the tests).
let private packageLibTorch () = nonNull (SystemReport.LoadedFrom "libtorch_cpu.so")

/// A libtorch distribution laid out as the zip unpacks (libtorch/lib/*.so, libtorch/build-version), made of hard links
/// to the package's libraries (no copy of the 460-MB libtorch_cpu.so), so the process maps them from the new folder.
let private distribution (folder: TempFolder) (version: string) =
    let lib = Path.Combine(folder.Path, "libtorch", "lib")
    Directory.CreateDirectory lib |> ignore
    for file in Directory.GetFiles(packageLibTorch (), "lib*.so*") do
        let name = nonNull (Path.GetFileName file)
        if not (name.StartsWith "libLibTorchSharp") then
            use link = Process.Start("ln", [| file; Path.Combine(lib, name) |])
            link.WaitForExit()
            if link.ExitCode <> 0 then File.Copy(file, Path.Combine(lib, name))
    File.WriteAllText(Path.Combine(folder.Path, "libtorch", "build-version"), version + "\n")
    lib

let private pytorchLayout (folder: TempFolder) (versionPy: string) =
    let lib = Path.Combine(folder.Path, "torch", "lib")
    Directory.CreateDirectory lib |> ignore
    File.WriteAllText(Path.Combine(lib, "libtorch_cpu.so"), "")
    File.WriteAllText(Path.Combine(folder.Path, "torch", "version.py"), versionPy)
    lib

/// The NativeRuntimeException f throws (failing the test when it throws nothing).
let private refusal (f: unit -> unit) =
    try
        f ()
        failtest "expected a refusal"
    with :? NativeRuntimeException as e -> e.Message

let private environmentOf (pairs: (string * string) list) = fun (name: string) -> pairs |> List.tryFind (fst >> (=) name) |> Option.map snd |> Option.toObj

[<Tests>]
let tests =
    testList "Runner.Doctor" [
        test "the bf16 self-check passes on the CPU: every estimator within bf16's tolerance, conv gradients with the channel fault padded" {
            let results = SelfCheck.Run(torch.CPU, SnnDsl.Core.Layers.Precision.BFloat16)
            for r in results do Expect.isTrue r.Passed $"{r.Name}: {r.Detail}"
        }
        test "the bf16 comparison holds gradients to their direction and names one that points elsewhere" {
            use scope = torch.NewDisposeScope()
            let reference = readOnlyDict [ "a", torch.arange(1.0, 9.0, dtype = torch.float64); "b", torch.ones(4L, dtype = torch.float64) ]
            let rounded = readOnlyDict [ "a", torch.arange(1.0f, 9.0f) * 1.05f; "b", torch.ones(4L) + torch.tensor([| 0.1f; -0.1f; 0.0f; 0.0f |]) ]
            Expect.isNull (Bf16Tolerance.Compare(rounded, reference)) "5 % larger, or a few entries off: the same direction"
            let wrong = readOnlyDict [ "a", torch.arange(1.0f, 9.0f).flip(0L); "b", torch.ones(4L) ]
            Expect.stringContains (string (Bf16Tolerance.Compare(wrong, reference))) "all parameters has cosine" "the whole gradient points elsewhere"
            let small = readOnlyDict [ "a", torch.arange(1.0f, 9.0f); "b", -torch.ones(4L) ]
            Expect.stringContains (string (Bf16Tolerance.Compare(small, reference))) "gradient of b has cosine -1" "one small tensor that does, named"
        }
        test "cpuinfo flags say whether the CPU has native bf16 (AVX512-BF16, AMX-BF16, Arm BF16)" {
            // this project's machine (AMD EPYC): avx512_bf16 comes after 80 other flags, so a parser must read the whole line
            let zen4 = "processor\t: 0\nmodel name\t: AMD EPYC\nflags\t\t: fpu vme de pse tsc msr pae mce cx8 apic sep pge mca cmov pat pse36 clflush mmx fxsr sse sse2 ht syscall nx mmxext lm constant_tsc rep_good nopl xtopology tsc_reliable nonstop_tsc cpuid extd_apicid tsc_known_freq pni pclmulqdq ssse3 fma cx16 sse4_1 sse4_2 x2apic movbe popcnt tsc_deadline_timer aes xsave avx f16c rdrand hypervisor lahf_lm cr8_legacy misalignsse 3dnowprefetch topoext pti        vmmcall bmi1 avx2 bmi2 erms avx512f avx512dq adx avx512ifma clflushopt clwb avx512cd sha_ni avx512bw avx512vl xsaveopt xsavec xgetbv1 avx_vnni avx512_bf16 clzero xsaveerptr arat avx512vbmi avx512_vbmi2 gfni vaes vpclmulqdq avx512_vnni avx512_bitalg avx512_vpopcntdq movdiri movdir64b fsrm avx512_vp2intersect\nbugs\t\t: sysret_ss_attrs\n"
            let sapphire = "flags\t\t: avx512f amx_bf16 amx_tile avx512_bf16\n"
            let skylake = "flags\t\t: fpu avx2 avx512f avx512bw avx512_vnni\n"
            let graviton3 = "processor\t: 0\nFeatures\t: fp asimd sve bf16 i8mm\n"
            Expect.equal (CpuBf16.FromCpuInfo zen4) (CpuBf16(true, false, false)) "Zen 4"
            Expect.equal (CpuBf16.FromCpuInfo sapphire).Found "AVX512-BF16, AMX-BF16" "Sapphire Rapids"
            Expect.isFalse (CpuBf16.FromCpuInfo skylake).Native "Skylake-SP: AVX-512 without BF16"
            Expect.isTrue (CpuBf16.FromCpuInfo graviton3).ArmBf16 "Arm: bf16 in Features"
            Expect.isFalse (CpuBf16.FromCpuInfo "flags : avx512_bf16x\n").Native "whole flags only"
            Expect.stringContains (Bf16Support.CpuLine(CpuBf16.FromCpuInfo skylake)) "not native" "doctor says it plainly"
            Expect.stringContains (Bf16Support.CpuLine(CpuBf16.FromCpuInfo zen4)) "native: AVX512-BF16" "and names what it found"
        }
        test "a bf16 run on a CPU without native bf16 gets one line at start; fp32, CUDA and bf16 CPUs get none" {
            let without, native = CpuBf16(false, false, false), CpuBf16(true, false, false)
            let bf16, fp32 = SnnDsl.Core.Layers.Precision.BFloat16, SnnDsl.Core.Layers.Precision.Float32
            Expect.stringContains (string (Bf16Support.StartWarning(bf16, DeviceType.CPU, without))) "without native bf16" "warned"
            Expect.isNotNull (Bf16Support.StartWarning(bf16, DeviceType.CPU, null)) "unknown flags: warned too"
            Expect.isNull (Bf16Support.StartWarning(bf16, DeviceType.CPU, native)) "native: nothing to say"
            Expect.isNull (Bf16Support.StartWarning(fp32, DeviceType.CPU, without)) "fp32: nothing to say"
            Expect.isNull (Bf16Support.StartWarning(bf16, DeviceType.CUDA, without)) "CUDA: the doctor reports the device"
        }
        test "the gradient comparison names a gradient that is off by more than float32 rounding" {
            use scope = torch.NewDisposeScope()
            let reference = readOnlyDict [ "a", torch.ones(4L, dtype = torch.float64); "b", torch.arange(4.0, dtype = torch.float64) ]
            let close = readOnlyDict [ "a", torch.ones(4L) * 1.0001f; "b", torch.arange(4.0f) ]
            Expect.isNull (SelfCheck.CompareGradients(close, reference)) "within 1e-3 of the tensor's scale"
            let off = readOnlyDict [ "a", torch.ones(4L); "b", torch.arange(4.0f) * 1.01f ]
            let message = SelfCheck.CompareGradients(off, reference)
            Expect.stringContains (string message) "gradient of b differs" "names the tensor"
            let nan = readOnlyDict [ "a", torch.ones(4L) * Single.NaN; "b", torch.arange(4.0f) ]
            Expect.stringContains (string (SelfCheck.CompareGradients(nan, reference))) "gradient of a" "NaN is a difference"
        }
        test "snn doctor prints versions, the libtorch folder, CPU extensions, CUDA and MPI lines, and passes (exit 0)" {
            let code, out, err = runSnn [] [ "doctor"; "--threads"; "1" ]
            Expect.equal code 0 $"exit code; stderr: {err}"
            for line in [ ".NET"; "TorchSharp"; "libtorch loaded from"; "vector extensions"; "bf16 on the CPU"; "CUDA"; "Open MPI"; "all "; "checks passed" ] do
                Expect.stringContains out line $"prints {line}"
            Expect.stringContains out "NNPACK                off" "NNPACK is reported off"
            Expect.isFalse (err.Contains "NNPACK") $"no NNPACK warning on stderr: {err}"
            Expect.isFalse (out.Contains '\000') "no NUL byte (grep would call the log binary)"
            // the one run of the fp32 self-check: every estimator, the LIF spike pass in 4 reset forms, conv gradients
            let checks = out.Split('\n') |> Array.filter (fun l -> l.StartsWith "  ok  " || l.StartsWith "  FAIL  ")
            Expect.isGreaterThanOrEqual checks.Length 9 "estimators, LIF forms and the conv check all ran"
            Expect.all checks (fun l -> l.StartsWith "  ok  ") $"every check passed: {checks}"
        }
        test "the MPI version line stops at the library's NUL, which Open MPI counts in the length" {
            let text = "Open MPI v4.1.6, package: Debian OpenMPI, ident: 4.1.6, repo rev: v4.1.6, Sep 30, 2023"
            let buffer = Array.append (System.Text.Encoding.ASCII.GetBytes text) (Array.zeroCreate 100)
            Expect.equal (SnnDsl.Core.Distributed.MpiNative.VersionLine(buffer, text.Length + 1)) text "length with the NUL"
            Expect.equal (SnnDsl.Core.Distributed.MpiNative.VersionLine(buffer, text.Length)) text "length without it"
            let twoLines = System.Text.Encoding.ASCII.GetBytes "MPICH Version: 4.1\nMPICH Release date: ...\000"
            Expect.equal (SnnDsl.Core.Distributed.MpiNative.VersionLine(twoLines, twoLines.Length)) "MPICH Version: 4.1" "the first line"
        }
        test "snn doctor --device cuda on a machine without CUDA: one sentence, exit 1" {
            if torch.cuda.is_available () then skiptest "this machine has CUDA"
            let code, _, err = runSnn [] [ "doctor"; "--device"; "cuda" ]
            Expect.equal code 1 "exit code"
            Expect.stringContains err "no CUDA device is usable here" "says why"
        }
        testList "SNNDSL_LIBTORCH" [
            test "a libtorch distribution's version comes from build-version, PyTorch's from version.py" {
                use folder = new TempFolder()
                let lib = distribution folder "2.10.0+cpu"
                Expect.equal (LibTorchFolder.Open(lib).Version) "2.10.0+cpu" "lib/ folder"
                Expect.equal (LibTorchFolder.Open(Path.Combine(folder.Path, "libtorch")).Directory) lib "the distribution's root finds its lib/"
                use python = new TempFolder()
                let torchLib = pytorchLayout python "__version__ = '2.11.0+cu128'\ndebug = False\n"
                Expect.equal (LibTorchFolder.Open(torchLib).Version) "2.11.0+cu128" "torch/lib"
            }
            test "another major.minor is refused in one sentence unless SNNDSL_LIBTORCH_ANY_VERSION=1" {
                use python = new TempFolder()
                let torchLib = pytorchLayout python "__version__ = \"2.11.0+cu128\"\n"
                let refused = refusal (fun () -> LibTorchFolder.FromEnvironment(environmentOf [ "SNNDSL_LIBTORCH", torchLib ]) |> ignore)
                Expect.stringContains refused "holds libtorch 2.11.0+cu128, but this build of TorchSharp needs libtorch 2.10" "names both versions"
                Expect.stringContains refused "SNNDSL_LIBTORCH_ANY_VERSION=1" "says how to insist"
                let insisted = LibTorchFolder.FromEnvironment(environmentOf [ "SNNDSL_LIBTORCH", torchLib; "SNNDSL_LIBTORCH_ANY_VERSION", "1" ])
                Expect.equal (nonNull insisted).Version "2.11.0+cu128" "loaded on insistence"
                Expect.isNull (LibTorchFolder.FromEnvironment(environmentOf [])) "unset: the NuGet package"
                Expect.isTrue (LibTorchFolder.SameRelease("2.10.1", "2.10.0")) "patch releases agree"
                Expect.isFalse (LibTorchFolder.SameRelease("2.1.0", "2.10.0")) "2.1 is not 2.10"
            }
            test "a folder without libtorch, or without a version, is refused naming what is missing" {
                use empty = new TempFolder()
                Expect.stringContains (refusal (fun () -> LibTorchFolder.Open empty.Path |> ignore)) "no libtorch_cpu.so" "names the missing library"
                File.WriteAllText(empty.File "libtorch_cpu.so", "")
                Expect.stringContains (refusal (fun () -> LibTorchFolder.Open empty.Path |> ignore)) "cannot tell which libtorch" "names the missing version"
                let insisted = LibTorchFolder.FromEnvironment(environmentOf [ "SNNDSL_LIBTORCH", empty.Path; "SNNDSL_LIBTORCH_ANY_VERSION", "1" ])
                Expect.equal (nonNull insisted).Version "unknown" "on insistence, a folder without a version is loaded as 'unknown'"
            }
            test "snn loads libtorch from SNNDSL_LIBTORCH (not from beside the bridge) and its self-check passes" {
                use folder = new TempFolder()
                let lib = distribution folder LibTorchFolder.ExpectedVersion
                let code, out, err = runSnn [ "SNNDSL_LIBTORCH", lib ] [ "doctor"; "--threads"; "1" ]
                Expect.equal code 0 $"exit code; stderr: {err}"
                Expect.stringContains out $"libtorch loaded from  {lib}" "the process mapped libtorch_cpu.so from the user's folder"
                Expect.stringContains out "(SNNDSL_LIBTORCH;" "the report says whose libtorch it is"
                Expect.stringContains out "checks passed" "and it computes correctly"
            }
            test "snn refuses a mismatched SNNDSL_LIBTORCH before loading anything" {
                use folder = new TempFolder()
                let lib = distribution folder "2.11.0+cpu"
                let code, _, err = runSnn [ "SNNDSL_LIBTORCH", lib ] [ "doctor" ]
                Expect.notEqual code 0 "non-zero exit"
                Expect.stringContains err "holds libtorch 2.11.0+cpu, but this build of TorchSharp needs libtorch" "one sentence naming both versions"
                Expect.isFalse (err.Contains "   at ") "no stack trace"
            }
        ]
    ]
