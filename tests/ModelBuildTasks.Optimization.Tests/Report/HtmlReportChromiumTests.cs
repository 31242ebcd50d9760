using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Text.RegularExpressions;
using ModelBuildTasks.Optimization.Reporting.Report;
using ModelBuildTasks.Optimization.Tests.Support;
using ModelBuildTasks.TestSupport;

namespace ModelBuildTasks.Optimization.Tests.Report;

/// <summary>The HTML report opened in headless Chromium (Debian package <c>chromium</c>; .ci/run installs it).</summary>
[TestClass]
public sealed partial class HtmlReportChromiumTests
{
    [TestMethod]
    public void Html_renders_in_chromium_with_its_charts_and_the_json_numbers()
    {
        var report = ReportFixture.Report;
        var html = HtmlReport.Render(report);

        // Self-contained: nothing to fetch.
        Assert.DoesNotContain("<script", html);
        Assert.DoesNotContain("src=", html);
        Assert.DoesNotContain("href=", html);
        Assert.DoesNotContain("@import", html);

        using var folder = new TempFolder();
        var path = folder.File("report.html");
        File.WriteAllText(path, html);
        var dom = DumpDom(path, folder.File("profile"));

        // Chromium parsed the whole page and kept the four inline SVG charts, each with bars.
        StringAssert.Contains(dom, "</body>");
        foreach (var id in new[] { "chart-files", "chart-size-by-type", "chart-size-by-layer", "chart-layer-error" })
        {
            var svg = Regex.Match(dom, $"<svg[^>]*id=\"{id}\"[^>]*>(.*?)</svg>", RegexOptions.Singleline);
            Assert.IsTrue(svg.Success, $"chart {id} missing");
            Assert.IsGreaterThan(1, Regex.Matches(svg.Groups[1].Value, "<rect ").Count, $"chart {id} has no bars");
        }

        // Every figure in the page equals the JSON's.
        var fields = FieldPattern().Matches(dom).ToDictionary(m => m.Groups[1].Value, m => WebUtility.HtmlDecode(m.Groups[2].Value));
        var json = OptimizationReport.FromJson(report.ToJson());
        Assert.AreEqual(json.Input.Bytes, long.Parse(fields["input.bytes"], CultureInfo.InvariantCulture));
        Assert.AreEqual(json.Output.Bytes, long.Parse(fields["output.bytes"], CultureInfo.InvariantCulture));
        Assert.AreEqual(json.Output.GzipBytes, long.Parse(fields["output.gzipBytes"], CultureInfo.InvariantCulture));
        Assert.AreEqual(json.Output.BrotliBytes, long.Parse(fields["output.brotliBytes"], CultureInfo.InvariantCulture));
        Assert.AreEqual(json.Output.Sha256, fields["output.sha256"]);
        Assert.AreEqual(json.Evaluation!.MinCosine, double.Parse(fields["evaluation.minCosine"], CultureInfo.InvariantCulture), 1e-8);
        Assert.AreEqual(json.Auto!.Chosen, fields["auto.chosen"]);
        Assert.AreEqual(json.Auto.Evaluations, int.Parse(fields["auto.evaluations"], CultureInfo.InvariantCulture));
        for (var i = 0; i < json.Auto.Trail.Count; i++)
        {
            Assert.AreEqual(json.Auto.Trail[i].Bytes, long.Parse(fields[$"auto.trail.{i}.bytes"], CultureInfo.InvariantCulture));
            Assert.AreEqual(json.Auto.Trail[i].Config, fields[$"auto.trail.{i}.config"]);
        }
        foreach (var t in json.SizeByType)
        {
            Assert.AreEqual(t.OptimizedBytes, long.Parse(fields[$"sizeByType.{t.Type}.optimizedBytes"], CultureInfo.InvariantCulture));
        }
        for (var i = 0; i < json.LayerErrors.Count; i++)
        {
            var sqnr = json.LayerErrors[i].SqnrDb;
            var shown = double.Parse(fields[$"layerErrors.{i}.sqnrDb"], NumberStyles.Float, CultureInfo.InvariantCulture);
            Assert.IsTrue(double.IsInfinity(sqnr) ? double.IsInfinity(shown) : Math.Abs(sqnr - shown) <= 1e-6 * Math.Max(1, Math.Abs(sqnr)), $"layer {i}: {sqnr} vs {shown}");
        }
    }

    [GeneratedRegex("data-field=\"([^\"]+)\"[^>]*>([^<]*)<")]
    private static partial Regex FieldPattern();

    private static string DumpDom(string htmlPath, string profile)
    {
        var chromium = new[] { "chromium", "chromium-browser", "google-chrome" }
            .Select(Which).FirstOrDefault(p => p is not null)
            ?? throw new AssertFailedException("headless Chromium is required (Debian: apt-get install chromium; .ci/run installs it)");
        var start = new ProcessStartInfo(chromium)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        foreach (var arg in new[]
        {
            "--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
            "--disable-sync", "--no-first-run", $"--user-data-dir={profile}", "--dump-dom", new Uri(htmlPath).AbsoluteUri,
        })
        {
            start.ArgumentList.Add(arg);
        }
        using var process = Process.Start(start)!;
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        if (!process.WaitForExit(TimeSpan.FromMinutes(2)))
        {
            process.Kill(entireProcessTree: true);
            throw new AssertFailedException("chromium did not finish within 2 minutes");
        }
        Assert.AreEqual(0, process.ExitCode, stderr.Result);
        return stdout.Result;
    }

    private static string? Which(string name) =>
        (Environment.GetEnvironmentVariable("PATH") ?? "").Split(Path.PathSeparator)
            .Select(dir => Path.Combine(dir, name)).FirstOrDefault(File.Exists);
}
