using System.Globalization;
using System.Text;
using ModelBuildTasks.Optimization.ModelCards;

namespace ModelBuildTasks.Optimization.Reporting.Report;

/// <summary>A short Markdown summary of an <see cref="OptimizationReport"/>, for CI logs and pull-request comments.</summary>
public static class MarkdownReport
{
    /// <summary>The summary: sizes, budgets, fidelity, the worst layers and the auto trail.</summary>
    public static string Render(OptimizationReport report, int topLayers = 5)
    {
        ArgumentNullException.ThrowIfNull(report);
        var m = new StringBuilder();
        var i = CultureInfo.InvariantCulture;
        m.Append(i, $"### {Cell(report.Input.File)}: {report.Settings.Optimization} ({report.Settings.Target})\n\n");
        m.Append("| | raw | gzip | Brotli |\n|---|---:|---:|---:|\n");
        m.Append(i, $"| original | {report.Input.Bytes} | {report.Input.GzipBytes} | {report.Input.BrotliBytes} |\n");
        m.Append(i, $"| optimized | {report.Output.Bytes} | {report.Output.GzipBytes} | {report.Output.BrotliBytes} |\n");
        if (report.Input.Bytes > 0)
        {
            m.Append(i, $"| ratio | {report.Output.Bytes / (double)report.Input.Bytes:0.###} | {Ratio(report.Output.GzipBytes, report.Input.GzipBytes)} | {Ratio(report.Output.BrotliBytes, report.Input.BrotliBytes)} |\n");
        }
        m.Append(i, $"\n{Sizes.Format(report.Input.Bytes)} → {Sizes.Format(report.Output.Bytes)}; sha256 `{report.Output.Sha256}`\n");
        if (report.Budgets.Count > 0)
        {
            m.Append("\n| budget | limit | actual | met |\n|---|---:|---:|:---:|\n");
            foreach (var b in report.Budgets)
            {
                m.Append(i, $"| {b.Budget} | {HtmlReport.Num(b.Limit)} | {HtmlReport.Num(b.Actual)} | {(b.Met ? "✅" : "❌")} |\n");
            }
        }
        if (report.Evaluation is { } ev)
        {
            m.Append(i, $"\nFidelity over {ev.Samples} samples: min cosine {HtmlReport.Num(ev.MinCosine)}, min SQNR {HtmlReport.Num(ev.MinSqnrDb)} dB");
            if (ev.Accuracy is { } a)
            {
                m.Append(i, $", top-1 {HtmlReport.Num(a.ReferenceAccuracy)} → {HtmlReport.Num(a.CandidateAccuracy)} (drop {HtmlReport.Num(a.Drop)})");
            }
            m.Append(".\n");
        }
        if (report.LayerErrors.Count > 0)
        {
            m.Append("\nWorst layers: ");
            m.Append(string.Join(", ", report.LayerErrors.Take(topLayers).Select(l => $"`{Cell(l.Name)}` {HtmlReport.Num(l.SqnrDb)} dB")));
            m.Append('\n');
        }
        if (report.Auto is { } auto)
        {
            m.Append(i, $"\n**Auto** chose `{auto.Chosen}` after {auto.Evaluations} evaluations ({auto.ElapsedMs} ms{(auto.Capped ? ", capped" : "")}).\n\n");
            m.Append("| # | config | bytes | min cosine | min SQNR dB | result |\n|---:|---|---:|---:|---:|---|\n");
            foreach (var c in auto.Trail)
            {
                m.Append(i, $"| {c.Index} | {Cell(c.Config)} | {c.Bytes} | {(c.MinCosine is { } x ? HtmlReport.Num(x) : "")} | {(c.MinSqnrDb is { } y ? HtmlReport.Num(y) : "")} | {(c.Accepted ? "**chosen**" : Cell(c.Verdict))} |\n");
            }
        }
        return m.ToString();
    }

    private static string Ratio(long a, long b) => b == 0 ? "" : (a / (double)b).ToString("0.###", CultureInfo.InvariantCulture);

    private static string Cell(string s) => s.Replace("|", "\\|", StringComparison.Ordinal).Replace("\n", " ", StringComparison.Ordinal);
}
