// The bench's outputs: the terminal table with ratios to BPTT-M, the CSV, and the plot of time and memory against T.
module SnnDsl.Runner.Commands.BenchReport

open System
open System.Globalization
open System.IO
open SnnDsl.Core.Benchmarks
open SnnDsl.Core.Estimators
open SnnDsl.Core.Settings

let private inv = CultureInfo.InvariantCulture
let private mb (bytes: int64) = float bytes / 1048576.0
let private f1 (x: float) = x.ToString("0.0", inv)
let private f2 (x: float) = x.ToString("0.00", inv)

/// Short name of a surrogate-gradient form.
let formName (form: SnnDsl.Core.Surrogates.SpikeGradientForm) =
    if form = SnnDsl.Core.Surrogates.SpikeGradientForm.CustomFunction then "custom" else "st"

/// Short name of a precision: fp32 or bf16.
let precisionName (precision: SnnDsl.Core.Layers.Precision) = SnnDsl.Core.Settings.SettingNames.Precision.NameOf precision

/// Estimator name, with the surrogate form and the precision when the run measured more than one of them.
let label (all: BenchMeasurement list) (m: BenchMeasurement) =
    let several (f: BenchMeasurement -> 'a) = (all |> List.map f |> List.distinct).Length > 1
    [ yield EstimatorNames.Of m.Estimator
      if several (fun x -> x.GradientForm) then yield formName m.GradientForm
      if several (fun x -> x.Precision) then yield precisionName m.Precision ]
    |> String.concat "/"

/// The BPTT-M measurement at the same T and precision (the first measured form), when the run has one.
let reference (all: BenchMeasurement list) (m: BenchMeasurement) =
    all |> List.tryFind (fun r -> r.Estimator = EstimatorKind.BpttM && r.TimeSteps = m.TimeSteps && r.Precision = m.Precision)

/// m's median time / the same estimator, form and T in fp32, when the run measured both precisions.
let againstFloat32 (all: BenchMeasurement list) (m: BenchMeasurement) =
    all
    |> List.tryFind (fun r ->
        r.Precision = SnnDsl.Core.Layers.Precision.Float32 && r.Estimator = m.Estimator && r.GradientForm = m.GradientForm && r.TimeSteps = m.TimeSteps)
    |> Option.filter (fun r -> r.MedianMs > 0.0 && all |> List.exists (fun x -> x.Precision <> r.Precision))
    |> Option.map (fun r -> m.MedianMs / r.MedianMs)

/// m / BPTT-M for a figure, when both exist and the reference is positive.
let ratio (all: BenchMeasurement list) (m: BenchMeasurement) (figure: BenchMeasurement -> float) =
    match reference all m with
    | Some r when figure r > 0.0 -> Some(figure m / figure r)
    | _ -> None

let private showRatio = function Some (x: float) -> x.ToString("0.00", inv) + "x" | None -> "-"

let private columns =
    [ "estimator"; "T"; "median ms"; "IQR ms"; "min-max ms"; "spike/fwd"; "rate"; "backward"; "optim"; "samples/s"
      "held MB"; "peak MB"; "peak RSS MB"; "time/BPTT-M"; "min/BPTT-M"; "held/BPTT-M"; "time/fp32" ]

let private cells (all: BenchMeasurement list) (m: BenchMeasurement) =
    [ label all m; string m.TimeSteps; f1 m.MedianMs; $"{f1 m.Q1Ms}-{f1 m.Q3Ms}"; $"{f1 m.MinMs}-{f1 m.MaxMs}"
      f1 m.SpikePassMs; f1 m.RatePassMs; f1 m.BackwardMs; f1 m.OptimiserMs; f1 m.SamplesPerSecond
      f1 (mb m.HeldForBackwardBytes); f1 (mb m.TensorPeakBytes); f1 (mb m.RssPeakBytes)
      showRatio (ratio all m (fun x -> x.MedianMs)); showRatio (ratio all m (fun x -> x.MinMs))
      showRatio (ratio all m (fun x -> float x.HeldForBackwardBytes)); showRatio (againstFloat32 all m) ]

/// The aligned table, one row per measurement, ordered by estimator, form, precision, then T.
let table (all: BenchMeasurement list) =
    let rows = all |> List.sortBy (fun m -> int m.Estimator, int m.GradientForm, int m.Precision, m.TimeSteps) |> List.map (cells all)
    let every = columns :: rows
    let widths = List.init columns.Length (fun c -> every |> List.map (fun r -> r[c].Length) |> List.max)
    let line (row: string list) = row |> List.mapi (fun c s -> if c = 0 then s.PadRight widths[c] else s.PadLeft widths[c]) |> String.concat "  "
    String.concat "\n" (line columns :: (rows |> List.map line))

/// CSV with every figure (times in ms, memory in bytes), the ratios to BPTT-M at the same T and precision, and to fp32.
let csv (all: BenchMeasurement list) =
    let header =
        "estimator,spike_grad,precision,T,batch,iterations,median_ms,q1_ms,q3_ms,min_ms,max_ms,spike_pass_ms,rate_pass_ms,backward_ms,optimiser_ms,"
        + "samples_per_s,held_for_backward_bytes,tensor_peak_bytes,rss_peak_bytes,device_bytes,time_vs_bptt_m,min_time_vs_bptt_m,held_vs_bptt_m,time_vs_fp32"
    let num (x: float) = x.ToString("R", inv)
    let opt = function Some (x: float) -> num x | None -> ""
    let row (m: BenchMeasurement) =
        [ EstimatorNames.Of m.Estimator; formName m.GradientForm; precisionName m.Precision; string m.TimeSteps; string m.BatchSize; string m.Iterations
          num m.MedianMs; num m.Q1Ms; num m.Q3Ms; num m.MinMs; num m.MaxMs; num m.SpikePassMs; num m.RatePassMs
          num m.BackwardMs; num m.OptimiserMs; num m.SamplesPerSecond; string m.HeldForBackwardBytes; string m.TensorPeakBytes
          string m.RssPeakBytes; string m.DeviceBytes
          opt (ratio all m (fun x -> x.MedianMs)); opt (ratio all m (fun x -> x.MinMs)); opt (ratio all m (fun x -> float x.HeldForBackwardBytes))
          opt (againstFloat32 all m) ]
        |> String.concat ","
    String.concat "\n" (header :: (all |> List.map row)) + "\n"

let private panel (plot: ScottPlot.Plot) (title: string) (ylabel: string) (all: BenchMeasurement list) (figure: BenchMeasurement -> float) =
    for name, group in all |> List.groupBy (label all) do
        let points = group |> List.sortBy (fun m -> m.TimeSteps)
        let scatter = plot.Add.Scatter(points |> List.map (fun m -> float m.TimeSteps) |> List.toArray, points |> List.map figure |> List.toArray)
        scatter.LegendText <- name
    plot.Title(title)
    plot.XLabel("T (time steps)")
    PlotCommand.integerTicks plot
    plot.YLabel(ylabel)
    plot.ShowLegend() |> ignore

/// Writes a PNG with two panels side by side: time per iteration and memory held for backward, against T.
let plot (path: string) (network: string) (all: BenchMeasurement list) =
    use time = new ScottPlot.Plot()
    panel time $"{network}: time per iteration" "median ms" all (fun m -> m.MedianMs)
    use memory = new ScottPlot.Plot()
    panel memory $"{network}: memory held for backward" "MB" all (fun m -> mb m.HeldForBackwardBytes)
    let width, height = 700, 480
    use surface = SkiaSharp.SKSurface.Create(SkiaSharp.SKImageInfo(2 * width, height))
    surface.Canvas.Clear(SkiaSharp.SKColors.White)
    for i, p in [ 0, time; 1, memory ] do
        use image = SkiaSharp.SKImage.FromEncodedData(p.GetImageBytes(width, height, ScottPlot.ImageFormat.Png))
        surface.Canvas.DrawImage(image, float32 (i * width), 0.0f)
    use snapshot = surface.Snapshot()
    use data = snapshot.Encode(SkiaSharp.SKEncodedImageFormat.Png, 100)
    File.WriteAllBytes(path, data.ToArray())
