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
}
