// `snn plot RUNDIR`: renders a run's metrics.csv as PNG curves (loss, accuracy, learning rate, per-layer firing rates).
module SnnDsl.Runner.Commands.PlotCommand

open System
open System.Globalization
open System.IO
open Argu
open SnnDsl.Runner.Cli.Arguments

/// Columns of metrics.csv by header name.
let readColumns (csv: string) =
    let lines = File.ReadAllLines csv |> Array.filter (fun l -> l.Length > 0)
    if lines.Length < 2 then Map.empty
    else
        let header = lines[0].Split ','
        let rows = lines[1..] |> Array.map (fun l -> l.Split ',' |> Array.map (fun v -> Double.Parse(v, CultureInfo.InvariantCulture)))
        header |> Array.mapi (fun i name -> name, rows |> Array.map (fun r -> r[i])) |> Map.ofArray

/// Ticks on whole numbers only on the x axis (epochs, time steps): never "epoch 1.5".
let integerTicks (plot: ScottPlot.Plot) =
    plot.Axes.Bottom.TickGenerator <- ScottPlot.TickGenerators.NumericAutomatic(IntegerTicksOnly = true)

let private chart (path: string) (title: string) (ylabel: string) (epochs: float[]) (series: (string * float[]) list) =
    use plot = new ScottPlot.Plot()
    for name, values in series do
        let line = plot.Add.Scatter(epochs, values)
        line.LegendText <- name
    plot.Title(title)
    plot.XLabel("epoch")
    integerTicks plot
    plot.YLabel(ylabel)
    if series.Length > 1 then plot.ShowLegend() |> ignore
    plot.SavePng(path, 800, 500) |> ignore
    path

/// Writes the PNGs into the run directory and returns their paths (none when no epoch has finished).
let render (runDir: string) =
    let columns = readColumns (Path.Combine(runDir, "metrics.csv"))
    if columns.IsEmpty then []
    else
        let epochs = columns["epoch"] |> Array.map (fun e -> e + 1.0)
        let col name = name, columns[name]
        let rates = columns |> Map.toList |> List.filter (fun (k, _) -> k.StartsWith "rate:") |> List.map (fun (k, v) -> k.Substring 5, v)
        [ chart (Path.Combine(runDir, "loss.png")) "loss" "cross-entropy" epochs [ col "train_loss"; col "test_loss" ]
          chart (Path.Combine(runDir, "accuracy.png")) "accuracy" "top-1 / top-5 (%)" epochs [ col "train_top1"; col "test_top1"; col "test_top5" ]
          chart (Path.Combine(runDir, "lr.png")) "learning rate" "lr" epochs [ col "lr" ]
          if not rates.IsEmpty then chart (Path.Combine(runDir, "firing_rates.png")) "firing rate per neuron layer" "mean spikes per neuron per step" epochs rates ]

let run (args: ParseResults<PlotArgs>) =
    let dir = args.GetResult PlotArgs.Run
    if not (File.Exists(Path.Combine(dir, "metrics.csv"))) then
        eprintfn "snn: error: '%s' has no metrics.csv (is it a run directory, and has an epoch finished?)" dir
        ExitCode.UserError
    else
        for png in render dir do printfn "%s" png
        ExitCode.Success
