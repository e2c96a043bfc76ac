// The surrogate catalog on tensors: each derivative against SpikingJelly's backward formulas, and the docs table against the catalog.
module SnnDsl.Tests.Core.SurrogateTests

open System
open System.IO
open Expecto
open TorchSharp
open SnnDsl.Dsl.Model
open SnnDsl.Dsl.Model.Surrogates
open SnnDsl.Core.Surrogates
open SnnDsl.Tests.Support

/// SpikingJelly's backward formulas (surrogate.py, `*_backward`), transcribed independently as scalar functions of
/// x and the arguments.
let private spikingJelly (name: string) (a: float[]) (x: float) =
    let sigmoid z = 1.0 / (1.0 + exp (-z))
    match name with
    | "sigmoid" -> let s = sigmoid (a[0] * x) in a[0] * (1.0 - s) * s
    | "atan" -> a[0] / 2.0 / (1.0 + (Math.PI / 2.0 * a[0] * x) ** 2.0)
    | "piecewise_quadratic" -> if abs x > 1.0 / a[0] then 0.0 else -(a[0] ** 2.0) * abs x + a[0]
    | "rectangular" -> if abs x < a[0] / 2.0 then 1.0 / a[0] else 0.0
    | "erf" -> exp (-((x * a[0]) ** 2.0)) * (a[0] / sqrt Math.PI)
    | "soft_sign" -> 1.0 / (2.0 * a[0] * (1.0 / a[0] + abs x) ** 2.0)
    | "super_spike" -> a[0] / (abs x + 1.0) ** 2.0
    | "piecewise_exp" -> a[0] / 2.0 * exp (-a[0] * abs x)
    | "piecewise_leaky_relu" -> if abs x < a[0] then 1.0 / (2.0 * a[0]) else a[1]
    | "q_pseudo_spike" -> (1.0 + 2.0 / (a[0] - 1.0) * abs x) ** (-a[0])
    | other -> failwithf "no reference formula for '%s': add SpikingJelly's backward here" other

let private points = [| for i in 0 .. 80 -> -2.0 + 0.05 * float i + 0.003 |] // includes points inside and outside every window

[<Tests>]
let tests =
    testList "Core.Surrogates" [
        for d in SurrogateCatalog.All do
            for values in [ [| for a in d.Info.Arguments -> a.Default |]; [| for a in d.Info.Arguments -> a.Default * 1.5 + 0.1 |] ] do
                test $"{d.Name}({String.Join(',', values)}): the derivative is SpikingJelly's backward" {
                    let surrogate = Surrogate.From(SurrogateSpec(d.Name, SurrogateArgs.Of values))
                    let x = torch.tensor(points, dtype = torch.float64)
                    let expected = torch.tensor([| for p in points -> spikingJelly d.Name values p |], dtype = torch.float64)
                    expectClose 1e-12 1e-15 (surrogate.Derivative x) expected "derivative"
                    let x32 = x.to_type torch.float32
                    Expect.equal (surrogate.Derivative x32).dtype torch.float32 "float32 stays float32"
                    expectClose 1e-5 1e-6 (surrogate.Derivative x32) expected "derivative in float32 (1 − σ loses digits in the tails)"
                }
        test "the docs table is the catalog's (docs/language.md)" {
            let docs = File.ReadAllText(Path.Combine(SnnDsl.Tests.Dsl.DslTestSupport.repoRoot, "docs", "language.md"))
            let starts = docs.IndexOf "<!-- surrogate table (generated) -->"
            let ends = docs.IndexOf "<!-- end of surrogate table -->"
            Expect.isTrue (starts >= 0 && ends > starts) "the generated table's markers"
            let table = docs.Substring(starts, ends - starts).Split('\n', 2).[1].Trim()
            Expect.equal table (SurrogateCatalog.MarkdownTable()) "paste SurrogateCatalog.MarkdownTable() between the markers"
        }
    ]
