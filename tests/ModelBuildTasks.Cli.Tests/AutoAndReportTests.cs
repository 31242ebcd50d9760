using System.Buffers.Binary;
using System.Runtime.InteropServices;
using System.Text;
using System.Text.Json;
using ModelBuildTasks.Model.Format;
using ModelBuildTasks.TestSupport;
using ModelBuildTasks.TestSupport.Fixtures;

namespace ModelBuildTasks.Cli.Tests;

/// <summary>`mbt optimize --optimization auto`, the budget flags as a CI gate, and `mbt report`.</summary>
[TestClass]
public sealed class AutoAndReportTests
{
    [TestMethod]
    public void Auto_with_an_accuracy_budget_writes_model_recipe_and_a_report_that_renders()
    {
        using var dir = new TempFolder();
        var (npy, labels) = DigitBatch(dir, 40);
        var target = dir.File("auto.tflite");
        var report = dir.File("report.json");
        var (code, output, error) = Mbt.Run("optimize", MnistClassifier.GetPath(), "-o", target, "--optimization", "auto",
            "--max-accuracy-drop", "0.02", "--min-cosine", "0.99", "--representative-data", npy, "--eval-data", npy, "--labels", labels,
            "--report", report);
        Assert.AreEqual(0, code, error);
        StringAssert.Contains(output, "auto chose ");
        Assert.IsTrue(File.Exists(target + ".recipe.json"));
        var model = ModelReader.ReadFile(target);
        Assert.IsNotEmpty(model.Main.Operators);

        using (var json = JsonDocument.Parse(File.ReadAllText(report)))
        {
            var root = json.RootElement;
            Assert.AreEqual("auto", root.GetProperty("settings").GetProperty("optimization").GetString());
            Assert.AreEqual(new FileInfo(target).Length, root.GetProperty("output").GetProperty("bytes").GetInt64());
            Assert.IsTrue(root.GetProperty("budgets").EnumerateArray().All(b => b.GetProperty("met").GetBoolean()));
            Assert.IsGreaterThan(0, root.GetProperty("auto").GetProperty("trail").GetArrayLength());
            Assert.IsLessThanOrEqualTo(0.02, root.GetProperty("evaluation").GetProperty("accuracy").GetProperty("drop").GetDouble());
        }

        var html = dir.File("report.html");
        (code, _, error) = Mbt.Run("report", report, "-o", html);
        Assert.AreEqual(0, code, error);
        var page = File.ReadAllText(html);
        StringAssert.Contains(page, "<svg class=\"chart\" id=\"chart-size-by-type\"");
        StringAssert.Contains(page, $"data-field=\"output.bytes\">{new FileInfo(target).Length}<");

        (code, output, error) = Mbt.Run("report", report, "--format", "md");
        Assert.AreEqual(0, code, error);
        StringAssert.Contains(output, "**Auto** chose");
    }

    [TestMethod]
    public void A_fixed_optimization_missing_a_budget_exits_3_with_a_coded_message()
    {
        using var dir = new TempFolder();
        var target = dir.File("out.tflite");
        var (code, _, error) = Mbt.Run("optimize", Corpus.GetPath("face_detection_short_range"), "-o", target,
            "--optimization", "float16", "--max-size", "100KB", "--max-compressed-size", "1MB");
        Assert.AreEqual(3, code, error);
        StringAssert.StartsWith(error, "error MBT3001: out.tflite is ");
        StringAssert.Contains(error, " over MaxSize=100KB; ");
        Assert.DoesNotContain("MBT3002", error);

        (code, _, error) = Mbt.Run("optimize", Corpus.GetPath("face_detection_short_range"), "-o", target,
            "--optimization", "float16", "--max-size", "1MB");
        Assert.AreEqual(0, code, error);
    }

    [TestMethod]
    public void Bad_budgets_and_bad_reports_are_coded_errors()
    {
        using var dir = new TempFolder();
        var (code, _, error) = Mbt.Run("optimize", Corpus.GetPath("face_detection_short_range"), "-o", dir.File("o.tflite"),
            "--optimization", "auto", "--max-size", "lots");
        Assert.AreEqual(2, code);
        StringAssert.StartsWith(error, "error MBT2202: ");
        StringAssert.Contains(error, "--max-size");

        var bad = dir.File("bad.json");
        File.WriteAllText(bad, "{ nope");
        (code, _, error) = Mbt.Run("report", bad, "-o", dir.File("r.html"));
        Assert.AreEqual(2, code);
        StringAssert.StartsWith(error, "error MBT2210: ");
        Assert.IsFalse(File.Exists(dir.File("r.html")));
    }

    /// <summary>Held-out digits as one batched float32 .npy [n,784] and a CSV of their labels by row.</summary>
    private static (string Npy, string Labels) DigitBatch(TempFolder dir, int count)
    {
        var (_, held) = MnistClassifier.Split();
        var pixels = new float[count * 784];
        var csv = new StringBuilder("file,label\n");
        for (var i = 0; i < count; i++)
        {
            var k = i * (held.Count / count);
            held.Images[k].CopyTo(pixels, i * 784);
            csv.Append($"{i},{held.Labels[k]}\n");
        }
        var npy = dir.File("digits.npy");
        var header = $"{{'descr': '<f4', 'fortran_order': False, 'shape': ({count}, 784), }}".PadRight(118) + "\n";
        using (var file = File.Create(npy))
        {
            file.Write([0x93, (byte)'N', (byte)'U', (byte)'M', (byte)'P', (byte)'Y', 1, 0]);
            var length = new byte[2];
            BinaryPrimitives.WriteUInt16LittleEndian(length, (ushort)header.Length);
            file.Write(length);
            file.Write(Encoding.ASCII.GetBytes(header));
            file.Write(MemoryMarshal.AsBytes(pixels.AsSpan()));
        }
        var labels = dir.File("labels.csv");
        File.WriteAllText(labels, csv.ToString());
        return (npy, labels);
    }
}
