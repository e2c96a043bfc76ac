// Writes small files in the real dataset formats (IDX, CIFAR binary) into temporary folders for the data tests.
module SnnDsl.Tests.Data.DataFiles

open System
open System.IO
open System.IO.Compression

/// A temporary folder deleted on dispose.
type TempFolder() =
    let path = Path.Combine(Path.GetTempPath(), "snndsl-data-" + Guid.NewGuid().ToString("N"))
    do Directory.CreateDirectory path |> ignore
    member _.Path = path
    member _.File(name: string) = Path.Combine(path, name)
    interface IDisposable with
        member _.Dispose() = try Directory.Delete(path, true) with _ -> ()

/// Makes <paramref name="path"/> a file this process cannot read (permission denied): mode 000 for a normal user;
/// for root, who reads any mode, a link to a write-only kernel file (/proc/sys/vm/compact_memory, mode 0200, which
/// refuses reads even to root). None when neither is possible here.
let makeUnreadable (path: string) =
    if Environment.UserName <> "root" then
        File.WriteAllBytes(path, [| 0uy |])
        File.SetUnixFileMode(path, UnixFileMode.None)
        Some path
    elif File.Exists "/proc/sys/vm/compact_memory" then
        if File.Exists path then File.Delete path
        File.CreateSymbolicLink(path, "/proc/sys/vm/compact_memory") |> ignore
        Some path
    else None

/// Big-endian bytes of an int32.
let bigEndian (v: int) = [| byte (v >>> 24); byte (v >>> 16); byte (v >>> 8); byte v |]

/// Writes bytes, gzipped when the name ends in .gz.
let writeBytes (path: string) (bytes: byte[]) =
    if path.EndsWith ".gz" then
        use file = File.Create path
        use gz = new GZipStream(file, CompressionLevel.Fastest)
        gz.Write(bytes, 0, bytes.Length)
    else File.WriteAllBytes(path, bytes)

/// An IDX image file's bytes: magic 0x803, N, H, W, then pixels.
let idxImages (n: int) (h: int) (w: int) (pixels: byte[]) =
    Array.concat [ bigEndian 0x803; bigEndian n; bigEndian h; bigEndian w; pixels ]

/// An IDX label file's bytes: magic 0x801, N, then labels.
let idxLabels (labels: byte[]) = Array.concat [ bigEndian 0x801; bigEndian labels.Length; labels ]

/// Deterministic pseudo-random bytes.
let randomBytes (seed: int) (n: int) =
    let bytes = Array.zeroCreate<byte> n
    Random(seed).NextBytes bytes
    bytes

/// A tiny network for the 1x6x5 images writeMnist writes, with dropout (which draws from torch's generator, so resume
/// must restore it).
let tinyMnistNetwork = """snn 1
network tiny(classes = 10) {
  input [1, 6, 5]
  neuron lif(tau = 2.0)
  conv(4, 3); bn; lif
  flatten; dropout(0.25)
  linear(classes)
}
"""

/// Writes the four MNIST-style files (train n, test m; 6×5 images) and returns their contents.
let writeMnist (folder: string) (gz: bool) (nTrain: int) (nTest: int) =
    let ext = if gz then ".gz" else ""
    let write prefix n seed =
        let pixels = randomBytes seed (n * 6 * 5)
        let labels = Array.init n (fun i -> byte ((i * 7 + seed) % 10))
        writeBytes (Path.Combine(folder, $"{prefix}-images-idx3-ubyte{ext}")) (idxImages n 6 5 pixels)
        writeBytes (Path.Combine(folder, $"{prefix}-labels-idx1-ubyte{ext}")) (idxLabels labels)
        pixels, labels
    write "train" nTrain 1, write "t10k" nTest 2

/// A temporary folder with writeMnist's images (16 training, 8 test) and `network` saved as NAME.snn: the folder and that
/// file's path.
let tinyMnistFolder (name: string) (network: string) =
    let data = new TempFolder()
    writeMnist data.Path false 16 8 |> ignore
    File.WriteAllText(data.File (name + ".snn"), network)
    data, data.File (name + ".snn")

/// `snn train NETWORK` for one epoch on the MNIST-format folder `data` (writeMnist's images): estimator, T = 3, batch 8,
/// SLTT-K's K = 2, into `run`, with `extra` flags; the exit code and stderr.
let trainOnTinyMnist (data: string) (network: string) (estimator: string) (run: string) (extra: string list) =
    let code, _, err =
        SnnDsl.Tests.Support.runCli
            [| yield! [ "train"; network; "--dataset"; "mnist"; "--data"; data; "--estimator"; estimator; "-T"; "3"; "--epochs"; "1"
                        "--batch-size"; "8"; "--sltt-k"; "2"; "--run-dir"; run; "--no-plot" ]
               yield! extra |]
    code, err

/// CIFAR records: labelBytes label bytes then 3072 pixels per record; returns (bytes, pixels, labels).
let cifarRecords (seed: int) (n: int) (labelOf: int -> byte[]) =
    let pixels = randomBytes seed (n * 3072)
    let bytes = Array.concat [ for i in 0 .. n - 1 -> Array.append (labelOf i) pixels[i * 3072 .. i * 3072 + 3071] ]
    bytes, pixels
