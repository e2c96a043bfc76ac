// Tests of the native-runtime fix: the ELF version patch on a real libLibTorchSharp.so copy.
module SnnDsl.Tests.Core.NativeRuntimeTests

open System.IO
open Expecto
open SnnDsl.Core.Runtime

let private bridgeCopy () =
    let source = Path.Combine(System.AppContext.BaseDirectory, "libLibTorchSharp.so")
    let copy = Path.GetTempFileName()
    File.Copy(source, copy, true)
    copy

[<Tests>]
let tests =
    testList "Core.Runtime.ElfVersionPatch" [
        test "a patched requirement is weak, and patching twice changes nothing" {
            let copy = bridgeCopy ()
            try
                let before = ElfVersionPatch.FindVersionFlags(File.ReadAllBytes copy, "GLIBCXX_3.4.32")
                Expect.isTrue before.HasValue "the bridge requires GLIBCXX_3.4.32"
                ElfVersionPatch.MarkWeak(copy, "GLIBCXX_3.4.32") |> ignore
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
