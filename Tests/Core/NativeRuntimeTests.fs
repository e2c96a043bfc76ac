// Tests of the native-runtime fixes: the ELF version patch on a real libLibTorchSharp.so copy, and NNPACK turned off at load.
module SnnDsl.Tests.Core.NativeRuntimeTests

open System.IO
open Expecto
open SnnDsl.Core.Runtime

/// A copy of the bridge library with the GLIBCXX_3.4.32 requirement made strong again (as shipped).
let private bridgeCopy () =
    let source = Path.Combine(System.AppContext.BaseDirectory, "libLibTorchSharp.so")
    let bytes = File.ReadAllBytes source
    let found = ElfVersionPatch.FindVersionFlags(bytes, "GLIBCXX_3.4.32")
    Expect.isTrue found.HasValue "the bridge requires GLIBCXX_3.4.32"
    let struct (offset, flags) = found.Value
    System.Buffers.Binary.BinaryPrimitives.WriteUInt16LittleEndian(System.Span(bytes, int offset, 2), flags &&& ~~~2us)
    let copy = Path.GetTempFileName()
    File.WriteAllBytes(copy, bytes)
    copy

[<Tests>]
let tests =
    testList "Core.Runtime.ElfVersionPatch" [
        test "a patched requirement is weak, and patching twice changes nothing" {
            let copy = bridgeCopy ()
            try
                let original = File.ReadAllBytes copy
                Expect.equal (ElfVersionPatch.MarkWeak(copy, "GLIBCXX_3.4.32")) ElfVersionPatch.Outcome.Patched "patched"
                let changed = Array.zip original (File.ReadAllBytes copy) |> Array.filter (fun (a, b) -> a <> b) |> Array.length
                Expect.equal changed 1 "one byte of the file changes (the flag's low byte)"
                let struct (_, flags) = ElfVersionPatch.FindVersionFlags(File.ReadAllBytes copy, "GLIBCXX_3.4.32").Value
                Expect.equal (flags &&& 2us) 2us "VER_FLG_WEAK set"
                let bytes = File.ReadAllBytes copy
                Expect.equal (ElfVersionPatch.MarkWeak(copy, "GLIBCXX_3.4.32")) ElfVersionPatch.Outcome.AlreadyWeak "idempotent"
                Expect.sequenceEqual (File.ReadAllBytes copy) bytes "second call leaves the file as it was"
            finally File.Delete copy
        }
        test "a version the file does not require is reported, not invented" {
            let copy = bridgeCopy ()
            try Expect.equal (ElfVersionPatch.MarkWeak(copy, "GLIBCXX_9.9.99")) ElfVersionPatch.Outcome.VersionNotRequired "absent"
            finally File.Delete copy
        }
        test "a file that is not ELF is refused with a clear message" {
            Expect.throwsT<InvalidDataException> (fun () -> ElfVersionPatch.FindVersionFlags(Array.zeroCreate 100, "X") |> ignore) "not ELF"
        }
    ]

[<Tests>]
let nnpackTests =
    testList "Core.Runtime.Nnpack" [
        test "loading libtorch turns NNPACK off (libtorch's default is on), so graph-free convolutions print no NNPACK warning" {
            NativeRuntime.EnsureLoaded()
            Expect.equal (Nnpack.Enabled |> Option.ofNullable) (Some false) "at::globalContext().userEnabledNNPACK() after load"
            Expect.isTrue (Nnpack.TrySet false) "the switch's symbols are found in the loaded libtorch_cpu"
        }
    ]
