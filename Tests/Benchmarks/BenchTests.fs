// snn bench's measurements: finite positive figures, and memory that grows with T for BPTT-M but not for rate-BP.
module SnnDsl.Tests.Benchmarks.BenchTests

open System
open Expecto
open SnnDsl.Dsl.Model
open SnnDsl.Core.Estimators
open SnnDsl.Core.Benchmarks
open SnnDsl.Tests.Core.TestNetworks

let private settings = BenchSettings(BatchSize = 4, Warmup = 0, Iterations = 1, Seed = 3L)

/// convBn on 16×16 inputs: big enough that activations dominate the few recorded [B, ...] tensors.
let private network = NetworkSpec("bench", Shape.Of(2L, 16L, 16L), (convBn NeuronSpec.Paper).Layers)

let private held kind steps = (Benchmark.Run(network, kind, steps, settings)).HeldForBackwardBytes |> float

[<Tests>]
let tests =
    testSequenced <| testList "Benchmarks.Bench" [
        test "two configurations give finite positive times and memory figures" {
            for kind, steps in [ EstimatorKind.BpttM, 2; EstimatorKind.RateM, 2 ] do
                let m = Benchmark.Run(network, kind, steps, settings)
                for what, value in [ "median", m.MedianMs; "min", m.MinMs; "spike pass", m.SpikePassMs; "backward", m.BackwardMs; "samples/s", m.SamplesPerSecond ] do
                    Expect.isTrue (Double.IsFinite value && value > 0.0) $"{kind} {what} = {value}"
                Expect.isGreaterThan m.HeldForBackwardBytes 0L $"{kind} held for backward"
                Expect.isGreaterThanOrEqual m.TensorPeakBytes m.HeldForBackwardBytes $"{kind} peak >= held"
                Expect.isGreaterThan m.RssPeakBytes m.TensorPeakBytes $"{kind} peak RSS holds at least the peak of live tensors"
        }
        test "memory held for backward: BPTT-M grows with T, rate-M and rate-S stay flat" {
            let bptt2, bptt8 = held EstimatorKind.BpttM 2, held EstimatorKind.BpttM 8
            Expect.isGreaterThan (bptt8 / bptt2) 3.0 $"BPTT-M T=8 / T=2 = {bptt8 / bptt2}"
            for kind in [ EstimatorKind.RateM; EstimatorKind.RateS ] do
                let rate2, rate8 = held kind 2, held kind 8
                Expect.isLessThan (abs (rate8 - rate2) / rate2) 0.02 $"{kind} T=8 vs T=2: {rate8} vs {rate2} bytes"
                Expect.isLessThan (rate8 / bptt8) 0.5 $"{kind} / BPTT-M at T=8"
        }
        test "rate-S's peak over the whole iteration does not grow with T" {
            let peak steps = (Benchmark.Run(network, EstimatorKind.RateS, steps, settings)).TensorPeakBytes |> float
            let p2, p8 = peak 2, peak 8
            Expect.isLessThan (abs (p8 - p2) / p2) 0.05 $"rate-S peak T=8 vs T=2: {p8} vs {p2}"
        }
        test "quantiles interpolate linearly" {
            Expect.equal (Benchmark.Quantile([| 1.0; 2.0; 3.0; 4.0 |], 0.5)) 2.5 "median of four"
            Expect.equal (Benchmark.Quantile([| 5.0 |], 0.25)) 5.0 "one value"
        }
    ]
