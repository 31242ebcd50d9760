using System.Text.Json;
using ModelBuildTasks.Model.Format;
using ModelBuildTasks.Model.Schema;
using ModelBuildTasks.TestSupport;

namespace ModelBuildTasks.Cli.Tests;

/// <summary>`mbt optimize` with the quantizing optimizations, the report and the coded errors.</summary>
[TestClass]
public sealed class OptimizeQuantizationTests
{
    [TestMethod]
    public void DynamicWritesTheModelAndAReport()
    {
        using var dir = new TempFolder();
        var target = dir.File("out.tflite");
        var report = dir.File("report.json");
        var (code, output, error) = Mbt.Run("optimize", Corpus.GetPath("hand_landmark_lite"), "-o", target,
            "--optimization", "dynamic", "--min-elements", "2048", "--report", report);
        Assert.AreEqual(0, code, error);
        StringAssert.Contains(output, "(dynamic)");
        var model = ModelReader.ReadFile(target);
        Assert.IsTrue(model.Main.Tensors.Any(t => t.IsConstant && t.Type == TensorType.INT8));
        Assert.IsTrue(model.Main.Tensors.Where(t => t.IsConstant && t.Type == TensorType.INT8).All(t => t.ElementCount >= 2048));

        // The unified report (the same form auto and the build write), so `mbt report` renders it.
        using (var json = JsonDocument.Parse(File.ReadAllText(report)))
        {
            var root = json.RootElement;
            Assert.AreEqual(1, root.GetProperty("formatVersion").GetInt32());
            var settings = root.GetProperty("settings");
            Assert.AreEqual("dynamic", settings.GetProperty("optimization").GetString());
            Assert.AreEqual("cpu", settings.GetProperty("target").GetString());
            Assert.AreEqual(JsonValueKind.Null, settings.GetProperty("calibration").ValueKind);
            var input = root.GetProperty("input").GetProperty("bytes").GetInt64();
            var written = root.GetProperty("output").GetProperty("bytes").GetInt64();
            Assert.AreEqual(new FileInfo(Corpus.GetPath("hand_landmark_lite")).Length, input);
            Assert.AreEqual(new FileInfo(target).Length, written);
            Assert.IsTrue(written < 0.9 * input);
            var gzip = root.GetProperty("output").GetProperty("gzipBytes").GetInt64();
            Assert.IsTrue(gzip > 0 && gzip < written);
            var int8 = root.GetProperty("sizeByType").EnumerateArray().Single(t => t.GetProperty("type").GetString() == "int8");
            Assert.AreEqual(0, int8.GetProperty("originalTensors").GetInt32());
            Assert.IsTrue(int8.GetProperty("optimizedTensors").GetInt32() > 20);
            Assert.IsTrue(root.GetProperty("changes").EnumerateArray().Any(c => c.GetString()!.StartsWith("dynamic: ", StringComparison.Ordinal)));
            Assert.AreEqual(JsonValueKind.Null, root.GetProperty("auto").ValueKind);
        }

        var (renderCode, markdown, renderError) = Mbt.Run("report", report, "--format", "md");
        Assert.AreEqual(0, renderCode, renderError);
        StringAssert.Contains(markdown, "dynamic");
    }

    [TestMethod]
    public void FullIntegerWithoutDataIsACodedErrorAndWritesNothing()
    {
        using var dir = new TempFolder();
        var target = dir.File("out.tflite");
        var (code, _, error) = Mbt.Run("optimize", Corpus.GetPath("face_detection_short_range"), "-o", target, "--optimization", "int8");
        Assert.AreEqual(2, code);
        StringAssert.StartsWith(error, "error MBT2102: ");
        StringAssert.Contains(error, "face_detection_short_range.tflite");
        Assert.IsFalse(File.Exists(target));
    }

    [TestMethod]
    public void TargetViolationsAndBadRecipesAreCodedErrors()
    {
        using var dir = new TempFolder();
        var target = dir.File("out.tflite");
        var (code, _, error) = Mbt.Run("optimize", Corpus.GetPath("face_detection_short_range"), "-o", target,
            "--optimization", "float16", "--target", "edgetpu");
        Assert.AreEqual(2, code);
        StringAssert.StartsWith(error, "error MBT2101: ");
        StringAssert.Contains(error, "Edge TPU");

        var recipe = dir.File("recipe.json");
        File.WriteAllText(recipe, "{\"rules\":[{\"op\":\"CONV_2D\",\"scheme\":\"int3\"}]}");
        (code, _, error) = Mbt.Run("optimize", Corpus.GetPath("face_detection_short_range"), "-o", target,
            "--optimization", "dynamic", "--recipe", recipe);
        Assert.AreEqual(2, code);
        StringAssert.StartsWith(error, "error MBT2104: ");
        StringAssert.Contains(error, "int3");
        Assert.IsFalse(File.Exists(target));

        (code, _, error) = Mbt.Run("optimize", Corpus.GetPath("face_detection_short_range"), "-o", target,
            "--optimization", "int8", "--calibration", "median");
        Assert.AreEqual(1, code, error);
    }

    [TestMethod]
    public void RecipeRulesApply()
    {
        using var dir = new TempFolder();
        var target = dir.File("out.tflite");
        var recipe = dir.File("recipe.json");
        File.WriteAllText(recipe, "{\"rules\":[{\"op\":\"CONV_2D\",\"scheme\":\"none\"}]}");
        var (code, _, error) = Mbt.Run("optimize", Corpus.GetPath("face_detection_full_range"), "-o", target,
            "--optimization", "dynamic", "--recipe", recipe);
        Assert.AreEqual(0, code, error);
        var model = ModelReader.ReadFile(target);
        Assert.IsTrue(model.Main.Operators.Where(o => o.Code.Builtin == BuiltinOperator.CONV_2D).All(o => o.Inputs[1]!.Type == TensorType.FLOAT32));
        Assert.IsTrue(model.Main.Operators.Any(o => o.Code.Builtin == BuiltinOperator.DEQUANTIZE && o.Inputs[0]!.Type == TensorType.INT8));
    }
}
