using System.Globalization;
using System.Net;
using System.Text;
using ModelBuildTasks.Optimization.ModelCards;

namespace ModelBuildTasks.Optimization.Reporting.Report;

/// <summary>
/// Renders an <see cref="OptimizationReport"/> as one self-contained HTML file: no scripts, fonts or links to fetch;
/// charts are inline SVG (size by tensor type and by layer, original vs optimized; per-layer error ranked). Every
/// figure taken from the report sits in an element with a <c>data-field</c> attribute naming its JSON path, written
/// exactly (integers in full, reals with up to 9 significant digits) so tools and tests can read it back.
/// </summary>
public static class HtmlReport
{
    private const string OriginalColor = "#9aa5b1";
    private const string OptimizedColor = "#2b6cb0";

    /// <summary>The HTML document.</summary>
    public static string Render(OptimizationReport report)
    {
        ArgumentNullException.ThrowIfNull(report);
        var h = new StringBuilder();
        var title = $"Optimization report: {report.Input.File}";
        h.Append("<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">");
        h.Append("<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">");
        h.Append($"<title>{E(title)}</title><style>{Css}</style></head><body>\n");
        h.Append($"<h1>{E(title)}</h1>\n");

        h.Append("<h2>Settings</h2><table class=\"kv\">");
        Row(h, "Optimization", Field("settings.optimization", report.Settings.Optimization));
        Row(h, "Target", Field("settings.target", report.Settings.Target));
        if (report.Settings.Calibration is { } calibration)
        {
            Row(h, "Calibration", Field("settings.calibration", calibration));
        }
        if (report.Settings.Rules is { Count: > 0 } rules)
        {
            Row(h, "Per-layer rules", string.Join("<br>", rules.Select(E)));
        }
        Row(h, "Original SHA-256", Field("input.sha256", report.Input.Sha256, "mono"));
        Row(h, "Optimized SHA-256", Field("output.sha256", report.Output.Sha256, "mono"));
        h.Append("</table>\n");

        h.Append("<h2>Size</h2><table><tr><th></th><th>File</th><th>Raw bytes</th><th>gzip bytes</th><th>Brotli bytes</th></tr>");
        SizeRow(h, "Original", "input", report.Input);
        SizeRow(h, "Optimized", "output", report.Output);
        if (report.Input.Bytes > 0)
        {
            h.Append($"<tr><th>Ratio</th><td></td><td>{Ratio(report.Output.Bytes, report.Input.Bytes)}</td><td>{Ratio(report.Output.GzipBytes, report.Input.GzipBytes)}</td><td>{Ratio(report.Output.BrotliBytes, report.Input.BrotliBytes)}</td></tr>");
        }
        h.Append("</table>\n");
        h.Append(BarChart("chart-files", "File size, original vs optimized", [
            ("raw", report.Input.Bytes, report.Output.Bytes), ("gzip", report.Input.GzipBytes, report.Output.GzipBytes),
            ("Brotli", report.Input.BrotliBytes, report.Output.BrotliBytes)], Bytes));

        h.Append("<h3>Constant bytes by tensor type</h3><table><tr><th>Type</th><th>Original bytes</th><th>Optimized bytes</th><th>Original tensors</th><th>Optimized tensors</th></tr>");
        foreach (var t in report.SizeByType)
        {
            var key = $"sizeByType.{t.Type}";
            h.Append($"<tr><td>{E(t.Type)}</td><td>{Field(key + ".originalBytes", t.OriginalBytes)}</td><td>{Field(key + ".optimizedBytes", t.OptimizedBytes)}</td><td>{t.OriginalTensors}</td><td>{t.OptimizedTensors}</td></tr>");
        }
        h.Append("</table>\n");
        h.Append(BarChart("chart-size-by-type", "Constant bytes by tensor type", report.SizeByType.Select(t => (t.Type, (double)t.OriginalBytes, (double)t.OptimizedBytes)).ToList(), Bytes));
        h.Append(BarChart("chart-size-by-layer", $"Constant bytes of the {report.SizeByLayer.Count} largest layers",
            report.SizeByLayer.Select(l => ($"{l.Layer} ({l.OpType})", (double)l.OriginalBytes, (double)l.OptimizedBytes)).ToList(), Bytes));

        if (report.Budgets.Count > 0)
        {
            h.Append("<h2>Budgets</h2><table><tr><th>Budget</th><th>Limit</th><th>Actual</th><th>Met</th></tr>");
            foreach (var b in report.Budgets)
            {
                h.Append($"<tr class=\"{(b.Met ? "ok" : "miss")}\"><td>{E(b.Budget)}</td><td>{Field($"budgets.{b.Budget}.limit", b.Limit)}</td><td>{Field($"budgets.{b.Budget}.actual", b.Actual)}</td><td>{(b.Met ? "yes" : "NO")}</td></tr>");
            }
            h.Append("</table>\n");
        }

        if (report.Evaluation is { } ev)
        {
            h.Append($"<h2>Fidelity</h2><p>{Field("evaluation.samples", ev.Samples)} samples. Lowest output cosine {Field("evaluation.minCosine", ev.MinCosine)}, lowest output SQNR {Field("evaluation.minSqnrDb", ev.MinSqnrDb)} dB.</p>");
            if (ev.Accuracy is { } acc)
            {
                h.Append($"<p>Top-1 accuracy: original {Field("evaluation.accuracy.referenceAccuracy", acc.ReferenceAccuracy)}, optimized {Field("evaluation.accuracy.candidateAccuracy", acc.CandidateAccuracy)}, drop {Field("evaluation.accuracy.drop", acc.Drop)}.</p>");
            }
            h.Append("<table><tr><th>Output</th><th>Cosine</th><th>SQNR dB</th><th>MSE</th><th>Max abs error</th><th>Top-1 agreement</th></tr>");
            for (var i = 0; i < ev.Outputs.Count; i++)
            {
                var o = ev.Outputs[i];
                h.Append($"<tr><td>{E(o.Name)}</td><td>{Field($"evaluation.outputs.{i}.cosine", o.Cosine)}</td><td>{Field($"evaluation.outputs.{i}.sqnrDb", o.SqnrDb)}</td><td>{Num(o.Mse)}</td><td>{Num(o.MaxAbsError)}</td><td>{(o.Top1Agreement is { } t ? Num(t) : "")}</td></tr>");
            }
            h.Append("</table>\n");
        }

        if (report.LayerErrors.Count > 0)
        {
            h.Append("<h2>Per-layer error, worst first</h2>");
            h.Append(ErrorChart(report.LayerErrors));
            h.Append("<table><tr><th>#</th><th>Layer</th><th>Op</th><th>SQNR dB</th><th>Cosine</th></tr>");
            for (var i = 0; i < report.LayerErrors.Count; i++)
            {
                var l = report.LayerErrors[i];
                h.Append($"<tr><td>{i + 1}</td><td class=\"mono\">{E(l.Name)}</td><td>{E(l.OpType ?? "")}</td><td>{Field($"layerErrors.{i}.sqnrDb", l.SqnrDb)}</td><td>{Field($"layerErrors.{i}.cosine", l.Cosine)}</td></tr>");
            }
            h.Append("</table>\n");
        }

        if (report.Auto is { } auto)
        {
            h.Append($"<h2>Auto search</h2><p>Chosen: <b>{Field("auto.chosen", auto.Chosen)}</b> after {Field("auto.evaluations", auto.Evaluations)} evaluations in {Field("auto.elapsedMs", auto.ElapsedMs)} ms{(auto.Capped ? " (stopped at the evaluation cap)" : "")}.</p>");
            h.Append("<table id=\"trail\"><tr><th>#</th><th>Configuration</th><th>Bytes</th><th>gzip bytes</th><th>Min cosine</th><th>Min SQNR dB</th><th>Accuracy drop</th><th>Result</th><th>ms</th></tr>");
            for (var i = 0; i < auto.Trail.Count; i++)
            {
                var c = auto.Trail[i];
                var k = $"auto.trail.{i}";
                h.Append($"<tr class=\"{(c.Accepted ? "ok" : "")}\"><td>{c.Index}</td><td>{Field(k + ".config", c.Config)}</td><td>{Field(k + ".bytes", c.Bytes)}</td><td>{Field(k + ".gzipBytes", c.GzipBytes)}</td>" +
                         $"<td>{Optional(k + ".minCosine", c.MinCosine)}</td><td>{Optional(k + ".minSqnrDb", c.MinSqnrDb)}</td><td>{Optional(k + ".accuracyDrop", c.AccuracyDrop)}</td>" +
                         $"<td>{(c.Accepted ? "<b>accepted</b>: " : "")}{E(c.Verdict)}</td><td>{c.ElapsedMs}</td></tr>");
            }
            h.Append("</table>\n<h3>Recipe (check it in to pin the choice)</h3><pre>").Append(E(auto.Recipe)).Append("</pre>\n");
        }

        if (report.Timings.Count > 0)
        {
            h.Append("<h2>Timings</h2><table><tr><th>Stage</th><th>ms</th></tr>");
            foreach (var t in report.Timings)
            {
                h.Append($"<tr><td>{E(t.Stage)}</td><td>{Field($"timings.{t.Stage}", t.Milliseconds)}</td></tr>");
            }
            h.Append("</table>\n");
        }
        h.Append("</body></html>\n");
        return h.ToString();
    }

    /// <summary>Horizontal bars, two per row (original grey, optimized blue), scaled to the largest value.</summary>
    private static string BarChart(string id, string title, IReadOnlyList<(string Label, double Original, double Optimized)> rows, Func<double, string> format)
    {
        const int labelWidth = 260, barWidth = 420, rowHeight = 34, top = 28;
        var max = rows.Count == 0 ? 1 : Math.Max(1, rows.Max(r => Math.Max(r.Original, r.Optimized)));
        var height = top + rows.Count * rowHeight + 8;
        var s = new StringBuilder();
        s.Append(CultureInfo.InvariantCulture, $"<figure><svg class=\"chart\" id=\"{id}\" xmlns=\"http://www.w3.org/2000/svg\" width=\"{labelWidth + barWidth + 120}\" height=\"{height}\" role=\"img\" aria-label=\"{E(title)}\">");
        s.Append(CultureInfo.InvariantCulture, $"<text x=\"0\" y=\"14\" class=\"t\">{E(title)}</text>");
        s.Append(CultureInfo.InvariantCulture, $"<rect x=\"{labelWidth + barWidth - 150}\" y=\"4\" width=\"10\" height=\"10\" fill=\"{OriginalColor}\"/><text x=\"{labelWidth + barWidth - 136}\" y=\"13\">original</text>");
        s.Append(CultureInfo.InvariantCulture, $"<rect x=\"{labelWidth + barWidth - 70}\" y=\"4\" width=\"10\" height=\"10\" fill=\"{OptimizedColor}\"/><text x=\"{labelWidth + barWidth - 56}\" y=\"13\">optimized</text>");
        for (var i = 0; i < rows.Count; i++)
        {
            var (label, original, optimized) = rows[i];
            var y = top + i * rowHeight;
            s.Append(CultureInfo.InvariantCulture, $"<text x=\"{labelWidth - 6}\" y=\"{y + 18}\" text-anchor=\"end\">{E(Shorten(label))}<title>{E(label)}</title></text>");
            Bar(s, labelWidth, y + 2, original / max * barWidth, OriginalColor, $"{label}: original {format(original)}", format(original));
            Bar(s, labelWidth, y + 16, optimized / max * barWidth, OptimizedColor, $"{label}: optimized {format(optimized)}", format(optimized));
        }
        s.Append("</svg></figure>\n");
        return s.ToString();
    }

    /// <summary>Per-layer SQNR, worst first: shorter bars are worse (infinite SQNR drawn at the chart's end).</summary>
    private static string ErrorChart(IReadOnlyList<Evaluation.TensorMetrics> layers)
    {
        const int labelWidth = 260, barWidth = 420, rowHeight = 18, top = 24;
        var finite = layers.Where(l => double.IsFinite(l.SqnrDb)).Select(l => l.SqnrDb).DefaultIfEmpty(1).Max();
        var max = Math.Max(1, finite);
        var s = new StringBuilder();
        s.Append(CultureInfo.InvariantCulture, $"<figure><svg class=\"chart\" id=\"chart-layer-error\" xmlns=\"http://www.w3.org/2000/svg\" width=\"{labelWidth + barWidth + 120}\" height=\"{top + layers.Count * rowHeight + 8}\" role=\"img\" aria-label=\"Per-layer SQNR, worst first\">");
        s.Append("<text x=\"0\" y=\"14\" class=\"t\">Per-layer SQNR (dB), worst first: shorter is worse</text>");
        for (var i = 0; i < layers.Count; i++)
        {
            var l = layers[i];
            var y = top + i * rowHeight;
            var value = double.IsFinite(l.SqnrDb) ? Math.Max(0, l.SqnrDb) : max;
            s.Append(CultureInfo.InvariantCulture, $"<text x=\"{labelWidth - 6}\" y=\"{y + 12}\" text-anchor=\"end\">{E(Shorten(l.Name))}<title>{E(l.Name)}</title></text>");
            Bar(s, labelWidth, y + 2, value / max * barWidth, l.SqnrDb < 20 ? "#c53030" : l.SqnrDb < 35 ? "#dd6b20" : "#2f855a", $"{l.Name}: {Num(l.SqnrDb)} dB", Num(l.SqnrDb) + " dB");
        }
        s.Append("</svg></figure>\n");
        return s.ToString();
    }

    private static void Bar(StringBuilder s, int x, int y, double width, string color, string tooltip, string label)
    {
        var w = Math.Max(width, 0.5);
        s.Append(CultureInfo.InvariantCulture, $"<rect x=\"{x}\" y=\"{y}\" width=\"{w:0.##}\" height=\"12\" fill=\"{color}\"><title>{E(tooltip)}</title></rect>");
        s.Append(CultureInfo.InvariantCulture, $"<text x=\"{x + w + 4:0.##}\" y=\"{y + 10}\" class=\"v\">{E(label)}</text>");
    }

    private static void SizeRow(StringBuilder h, string title, string key, ReportFile f) =>
        h.Append($"<tr><th>{title}</th><td>{Field(key + ".file", f.File)}</td><td>{Field(key + ".bytes", f.Bytes)} <small>{Bytes(f.Bytes)}</small></td>" +
                 $"<td>{Field(key + ".gzipBytes", f.GzipBytes)} <small>{Bytes(f.GzipBytes)}</small></td><td>{Field(key + ".brotliBytes", f.BrotliBytes)} <small>{Bytes(f.BrotliBytes)}</small></td></tr>");

    private static void Row(StringBuilder h, string key, string valueHtml) => h.Append($"<tr><th>{E(key)}</th><td>{valueHtml}</td></tr>");

    private static string Field(string path, string value, string? cssClass = null) =>
        $"<span data-field=\"{E(path)}\"{(cssClass is null ? "" : $" class=\"{cssClass}\"")}>{E(value)}</span>";

    private static string Field(string path, long value) => Field(path, value.ToString(CultureInfo.InvariantCulture));

    private static string Field(string path, double value) => Field(path, Num(value));

    private static string Optional(string path, double? value) => value is { } v ? Field(path, v) : "";

    /// <summary>A real as text the report's JSON reader agrees with: up to 9 significant digits, Infinity, NaN.</summary>
    internal static string Num(double value) =>
        double.IsPositiveInfinity(value) ? "Infinity" : double.IsNegativeInfinity(value) ? "-Infinity" : double.IsNaN(value) ? "NaN"
        : value.ToString("G9", CultureInfo.InvariantCulture);

    private static string Bytes(double bytes) => Sizes.Format((long)bytes);

    private static string Ratio(long a, long b) => b == 0 ? "" : (a / (double)b).ToString("0.###", CultureInfo.InvariantCulture) + "×";

    private static string Shorten(string s) => s.Length <= 38 ? s : "…" + s[^37..];

    private static string E(string s) => WebUtility.HtmlEncode(s);

    private const string Css =
        "body{font:14px/1.45 system-ui,-apple-system,'Segoe UI',sans-serif;margin:24px auto;max-width:1000px;color:#1a202c;padding:0 12px}" +
        "h1{font-size:22px}h2{font-size:18px;margin-top:28px;border-bottom:1px solid #e2e8f0}h3{font-size:15px}" +
        "table{border-collapse:collapse;margin:8px 0}td,th{border:1px solid #e2e8f0;padding:3px 8px;text-align:left;vertical-align:top}" +
        "th{background:#f7fafc}.mono{font-family:ui-monospace,monospace;font-size:12px;word-break:break-all}tr.ok{background:#f0fff4}tr.miss{background:#fff5f5}" +
        "svg.chart{font:11px sans-serif}svg .t{font-weight:bold;font-size:12px}svg .v{fill:#4a5568}figure{margin:8px 0;overflow-x:auto}" +
        "pre{background:#f7fafc;padding:8px;overflow-x:auto}small{color:#718096}";
}
