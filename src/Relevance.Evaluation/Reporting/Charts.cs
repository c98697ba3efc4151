using ScottPlot;

namespace Relevance.Evaluation.Reporting;

/// <summary>The report's charts as PNG bytes (ScottPlot renders with SkiaSharp; it needs a font such as DejaVu on Linux).</summary>
public static class Charts
{
    private static readonly string[] GradeNames = ["0", "1", "2", "3"];

    /// <summary>Human grade down the rows (0 at the top), labeler grade across, each cell annotated with its count.</summary>
    public static byte[] ConfusionHeatmap(string title, int[][] confusion)
    {
        var plot = new Plot();
        var n = confusion.Length;
        var data = new double[n, n];
        for (var i = 0; i < n; i++)
        for (var j = 0; j < n; j++)
            data[i, j] = confusion[i][j];
        var heatmap = plot.Add.Heatmap(data);
        heatmap.Colormap = new ScottPlot.Colormaps.Viridis();
        plot.Add.ColorBar(heatmap);
        var max = confusion.SelectMany(r => r).DefaultIfEmpty(0).Max();
        for (var i = 0; i < n; i++)
        for (var j = 0; j < n; j++)
        {
            // Heatmap row 0 is drawn at the top: cell (i, j) is centred at x = j, y = n − 1 − i.
            var text = plot.Add.Text(confusion[i][j].ToString(System.Globalization.CultureInfo.InvariantCulture), j, n - 1 - i);
            text.LabelFontSize = 16;
            text.LabelFontColor = confusion[i][j] > max / 2 ? Colors.Black : Colors.White;
            text.LabelAlignment = Alignment.MiddleCenter;
        }
        plot.Axes.Bottom.SetTicks(Enumerable.Range(0, n).Select(i => (double)i).ToArray(), GradeNames[..n]);
        plot.Axes.Left.SetTicks(Enumerable.Range(0, n).Select(i => (double)(n - 1 - i)).ToArray(), GradeNames[..n]);
        plot.Title(title);
        plot.XLabel("labeler grade");
        plot.YLabel("human grade");
        return plot.GetImageBytes(520, 440, ImageFormat.Png);
    }

    /// <summary>Grouped bars: share of pairs at each grade, one series per labeler (the humans first).</summary>
    public static byte[] GradeDistributions(string title, IReadOnlyList<(string Name, int[] Counts)> series)
    {
        var plot = new Plot();
        var width = 0.8 / Math.Max(1, series.Count);
        var palette = new ScottPlot.Palettes.Category10();
        for (var s = 0; s < series.Count; s++)
        {
            var total = Math.Max(1, series[s].Counts.Sum());
            var bars = series[s].Counts.Select((c, g) => new Bar
            {
                Position = g - 0.4 + width * (s + 0.5),
                Value = (double)c / total,
                Size = width * 0.95,
                FillColor = palette.GetColor(s),
            }).ToList();
            var plottable = plot.Add.Bars(bars);
            plottable.LegendText = series[s].Name;
        }
        plot.Axes.Bottom.SetTicks([0, 1, 2, 3], GradeNames);
        plot.Axes.Margins(bottom: 0);
        plot.ShowLegend(Alignment.UpperRight);
        plot.Title(title);
        plot.XLabel("grade");
        plot.YLabel("share of pairs");
        return plot.GetImageBytes(760, 420, ImageFormat.Png);
    }

    /// <summary>Per-query NDCG@10, grouped by query, one series per labeler.</summary>
    public static byte[] NdcgPerQuery(string title, IReadOnlyList<string> queries, IReadOnlyList<(string Name, IReadOnlyDictionary<string, double> ByQuery)> series)
    {
        var plot = new Plot();
        var width = 0.8 / Math.Max(1, series.Count);
        var palette = new ScottPlot.Palettes.Category10();
        for (var s = 0; s < series.Count; s++)
        {
            var bars = new List<Bar>();
            for (var q = 0; q < queries.Count; q++)
            {
                if (!series[s].ByQuery.TryGetValue(queries[q], out var v)) continue;
                bars.Add(new Bar { Position = q - 0.4 + width * (s + 0.5), Value = v, Size = width * 0.95, FillColor = palette.GetColor(s) });
            }
            var plottable = plot.Add.Bars(bars);
            plottable.LegendText = series[s].Name;
        }
        plot.Axes.Bottom.SetTicks(Enumerable.Range(0, queries.Count).Select(i => (double)i).ToArray(), queries.ToArray());
        plot.Axes.Bottom.TickLabelStyle.Rotation = -60;
        plot.Axes.Bottom.TickLabelStyle.Alignment = Alignment.MiddleRight;
        plot.Axes.SetLimitsY(0, 1.05);
        plot.ShowLegend(Alignment.UpperRight);
        plot.Title(title);
        plot.YLabel("NDCG@10");
        return plot.GetImageBytes(Math.Max(760, 28 * queries.Count + 160), 460, ImageFormat.Png);
    }
    /// <summary>One bar per run (the mean of a measure) with its 95% interval as a whisker; the baseline in another colour.</summary>
    public static byte[] RunBars(string title, string measure, IReadOnlyList<(string Name, double Mean, double Low, double High, bool Baseline)> runs)
    {
        var plot = new Plot();
        var palette = new ScottPlot.Palettes.Category10();
        plot.Add.Bars(runs.Select((r, i) => new Bar { Position = i, Value = r.Mean, Size = 0.7, FillColor = r.Baseline ? palette.GetColor(1) : palette.GetColor(0) }).ToList());
        for (var i = 0; i < runs.Count; i++)
        {
            if (!double.IsFinite(runs[i].Low) || !double.IsFinite(runs[i].High)) continue;
            Whisker(plot, i, runs[i].Low, runs[i].High, 0.15);
        }
        plot.Axes.Bottom.SetTicks(Enumerable.Range(0, runs.Count).Select(i => (double)i).ToArray(), runs.Select(r => r.Baseline ? r.Name + " (baseline)" : r.Name).ToArray());
        plot.Axes.Bottom.TickLabelStyle.Rotation = -50;
        plot.Axes.Bottom.TickLabelStyle.Alignment = Alignment.MiddleRight;
        // Rotated names need the room below the axis, or they are cut off.
        plot.Axes.Bottom.MinimumSize = 7 * runs.Select(r => r.Name.Length + (r.Baseline ? 11 : 0)).DefaultIfEmpty(8).Max() + 10;
        plot.Axes.SetLimitsY(0, Math.Max(1.0, runs.Select(r => double.IsFinite(r.High) ? r.High : r.Mean).DefaultIfEmpty(1).Max() * 1.05));
        plot.Title(title);
        plot.YLabel(measure + " (mean, 95% bootstrap interval)");
        return plot.GetImageBytes(Math.Max(640, 46 * runs.Count + 220), 560, ImageFormat.Png);
    }

    /// <summary>Per-query differences of a run from the baseline, sorted: the queries that won and lost.</summary>
    public static byte[] QueryDeltas(string title, string measure, IReadOnlyList<(string Qid, double Delta)> deltas)
    {
        var plot = new Plot();
        var sorted = deltas.OrderBy(d => d.Delta).ToList();
        plot.Add.Bars(sorted.Select((d, i) => new Bar
        {
            Position = i, Value = d.Delta, Size = 0.8,
            FillColor = d.Delta > 0 ? Colors.SeaGreen : d.Delta < 0 ? Colors.IndianRed : Colors.Gray,
        }).ToList());
        plot.Add.HorizontalLine(0, 1, Colors.Black);
        if (sorted.Count <= 60)
        {
            plot.Axes.Bottom.SetTicks(Enumerable.Range(0, sorted.Count).Select(i => (double)i).ToArray(), sorted.Select(d => d.Qid).ToArray());
            plot.Axes.Bottom.TickLabelStyle.Rotation = -60;
            plot.Axes.Bottom.TickLabelStyle.Alignment = Alignment.MiddleRight;
            plot.Axes.Bottom.MinimumSize = 6 * sorted.Select(d => d.Qid.Length).DefaultIfEmpty(4).Max() + 40;
        }
        plot.Axes.SetLimitsY(-1.05, 1.05);
        plot.Title(title);
        plot.YLabel($"Δ {measure} vs baseline");
        plot.XLabel($"queries, sorted ({sorted.Count(d => d.Delta > 0)} better, {sorted.Count(d => d.Delta < 0)} worse, {sorted.Count(d => d.Delta == 0)} equal)");
        return plot.GetImageBytes(Math.Max(640, 16 * sorted.Count + 200), 420, ImageFormat.Png);
    }

    /// <summary>A system's measure over its evaluations, oldest first, with intervals; regressions marked red.</summary>
    public static byte[] Trend(string title, string measure, IReadOnlyList<(string Label, double Value, double? Low, double? High, bool Regressed)> points)
    {
        var plot = new Plot();
        var xs = Enumerable.Range(0, points.Count).Select(i => (double)i).ToArray();
        var line = plot.Add.Scatter(xs, points.Select(p => p.Value).ToArray());
        line.LineWidth = 2;
        line.MarkerSize = 7;
        for (var i = 0; i < points.Count; i++)
        {
            if (points[i].Low is { } lo && points[i].High is { } hi) Whisker(plot, i, lo, hi, 0.1);
            if (points[i].Regressed)
            {
                var marker = plot.Add.Marker(i, points[i].Value);
                marker.Color = Colors.Red;
                marker.Size = 14;
            }
        }
        plot.Axes.Bottom.SetTicks(xs, points.Select(p => p.Label).ToArray());
        plot.Axes.Bottom.TickLabelStyle.Rotation = -50;
        plot.Axes.Bottom.TickLabelStyle.Alignment = Alignment.MiddleRight;
        plot.Axes.Bottom.MinimumSize = 90;
        plot.Axes.SetLimitsY(0, 1.05);
        plot.Axes.SetLimitsX(-0.5, Math.Max(0.5, points.Count - 0.5));
        plot.Title(title);
        plot.YLabel(measure + " (95% interval; red: regressed)");
        return plot.GetImageBytes(Math.Max(640, 60 * points.Count + 220), 460, ImageFormat.Png);
    }

    /// <summary>Each run's mean under the reference judgments (x) and under the labels (y), with the diagonal.</summary>
    public static byte[] AgreementScatter(string title, string measure, IReadOnlyList<(string Name, double Reference, double Labels)> runs)
    {
        var plot = new Plot();
        var diagonal = plot.Add.Line(0, 0, 1, 1);
        diagonal.LineColor = Colors.Gray;
        diagonal.LinePattern = LinePattern.Dashed;
        var points = plot.Add.Scatter(runs.Select(r => r.Reference).ToArray(), runs.Select(r => r.Labels).ToArray());
        points.LineWidth = 0;
        points.MarkerSize = 9;
        foreach (var r in runs)
        {
            var label = plot.Add.Text(r.Name, r.Reference, r.Labels);
            label.LabelFontSize = 10;
            label.LabelAlignment = Alignment.LowerLeft;
        }
        plot.Axes.SetLimits(0, 1, 0, 1);
        plot.Title(title);
        plot.XLabel(measure + " under the reference judgments");
        plot.YLabel(measure + " under the labels");
        return plot.GetImageBytes(620, 580, ImageFormat.Png);
    }

    private static void Whisker(Plot plot, double x, double low, double high, double cap)
    {
        foreach (var (x1, y1, x2, y2) in new[] { (x, low, x, high), (x - cap, low, x + cap, low), (x - cap, high, x + cap, high) })
        {
            var segment = plot.Add.Line(x1, y1, x2, y2);
            segment.LineColor = Colors.Black;
            segment.LineWidth = 1.5f;
        }
    }
}
