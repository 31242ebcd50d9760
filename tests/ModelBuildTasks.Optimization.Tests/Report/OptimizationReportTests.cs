using System.IO.Compression;
using System.Security.Cryptography;
using ModelBuildTasks.Model;
using ModelBuildTasks.Optimization.Reporting.Report;

namespace ModelBuildTasks.Optimization.Tests.Report;

[TestClass]
public sealed class OptimizationReportTests
{
    [TestMethod]
    public void Json_round_trip_keeps_every_field()
    {
        var report = ReportFixture.Report;
        var json = report.ToJson();
        var back = OptimizationReport.FromJson(json);
        Assert.AreEqual(json, back.ToJson());
        Assert.AreEqual(report.Auto!.Trail.Count, back.Auto!.Trail.Count);
        Assert.AreEqual(report.Evaluation!.MinCosine, back.Evaluation!.MinCosine);

        // camelCase names, and infinite SQNR (exact layers) survives as a named literal.
        StringAssert.Contains(json, "\"formatVersion\": 1");
        StringAssert.Contains(json, "\"sizeByLayer\"");
        StringAssert.Contains(json, "\"gzipBytes\"");
    }

    [TestMethod]
    public void Figures_match_the_files_measured_independently()
    {
        var report = ReportFixture.Report;
        Assert.AreEqual(ReportFixture.OriginalBytes.LongLength, report.Input.Bytes);
        Assert.AreEqual(ReportFixture.OptimizedBytes.LongLength, report.Output.Bytes);
        Assert.AreEqual(Convert.ToHexString(SHA256.HashData(ReportFixture.OriginalBytes)).ToLowerInvariant(), report.Input.Sha256);
        Assert.AreEqual(Convert.ToHexString(SHA256.HashData(ReportFixture.OptimizedBytes)).ToLowerInvariant(), report.Output.Sha256);
        Assert.AreEqual(Gzip(ReportFixture.OptimizedBytes), report.Output.GzipBytes);
        Assert.IsTrue(report.Output.BrotliBytes > 0 && report.Output.BrotliBytes < report.Output.Bytes);

        // The original stores float16 weights; the optimized one int8 weights and int32 biases.
        Assert.IsGreaterThan(0, report.SizeByType.Single(t => t.Type == "float16").OriginalBytes);
        Assert.IsGreaterThan(0, report.SizeByType.Single(t => t.Type == "int8").OptimizedBytes);
        Assert.AreEqual(0, report.SizeByType.Single(t => t.Type == "float16").OptimizedBytes);

        // Layers are listed largest first, and quantized layers hold fewer bytes.
        Assert.IsNotEmpty(report.SizeByLayer);
        for (var i = 1; i < report.SizeByLayer.Count; i++)
        {
            Assert.IsLessThanOrEqualTo(report.SizeByLayer[i - 1].OriginalBytes, report.SizeByLayer[i].OriginalBytes);
        }
        Assert.IsLessThan(report.SizeByLayer[0].OriginalBytes, report.SizeByLayer[0].OptimizedBytes);

        // Budgets, layer errors (worst first) and the trail are there.
        Assert.IsTrue(report.Budgets.All(b => b.Met), string.Join("; ", report.Budgets));
        Assert.AreEqual(2, report.Budgets.Count);
        for (var i = 1; i < report.LayerErrors.Count; i++)
        {
            Assert.IsLessThanOrEqualTo(report.LayerErrors[i].SqnrDb, report.LayerErrors[i - 1].SqnrDb);
        }
        Assert.AreEqual("auto", report.Settings.Optimization);
        Assert.IsNotEmpty(report.Settings.Rules!);
    }

    [TestMethod]
    public void Markdown_summary_lists_sizes_budgets_and_the_trail()
    {
        var report = ReportFixture.Report;
        var md = MarkdownReport.Render(report);
        StringAssert.Contains(md, $"| optimized | {report.Output.Bytes} | {report.Output.GzipBytes} | {report.Output.BrotliBytes} |");
        StringAssert.Contains(md, "| MinCosine | 0.999 |");
        StringAssert.Contains(md, $"**Auto** chose `{report.Auto!.Chosen}`");
        Assert.AreEqual(report.Auto.Trail.Count, md.Split('\n').Count(l => System.Text.RegularExpressions.Regex.IsMatch(l, @"^\| \d+ \| ")));
    }

    [TestMethod]
    public void Malformed_or_future_reports_are_coded_errors()
    {
        var e = Assert.ThrowsExactly<ModelFormatException>(() => OptimizationReport.FromJson("{ not json", "r.json"));
        Assert.AreEqual(ReportErrorCodes.InvalidReport, e.Code);
        var future = Assert.ThrowsExactly<ModelFormatException>(() => OptimizationReport.FromJson("{\"formatVersion\": 99}", "r.json"));
        StringAssert.Contains(future.Message, "formatVersion 99");
    }

    private static long Gzip(byte[] data)
    {
        using var memory = new MemoryStream();
        using (var gzip = new GZipStream(memory, CompressionLevel.Optimal, leaveOpen: true))
        {
            gzip.Write(data);
        }
        return memory.Length;
    }
}
