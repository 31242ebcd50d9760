using System.Runtime.InteropServices;
using System.Text.Json;
using ModelBuildTasks.Model;
using ModelBuildTasks.Model.Format;
using ModelBuildTasks.Model.Schema;
using ModelBuildTasks.TestSupport;

namespace ModelBuildTasks.Cli.Tests;

/// <summary>`mbt optimize --prune/--prune-pattern/--cluster/--cluster-init`, alone and with --optimization.</summary>
[TestClass]
public sealed class OptimizePruneClusterTests
{
    private static string TempPath(string extension) => Path.Combine(Path.GetTempPath(), $"mbt-{Guid.NewGuid():N}{extension}");

    [TestMethod]
    public void DynamicPrunedAndClusteredWritesReportAndInt8WeightsWithAtMostNCodes()
    {
        var target = TempPath(".tflite");
        var report = TempPath(".json");
        try
        {
            var (code, output, error) = Mbt.Run("optimize", Corpus.GetPath("face_detection_short_range"), "-o", target,
                "--optimization", "dynamic", "--prune", "0.5", "--cluster", "16", "--cluster-init", "linear", "--report", report);
            Assert.AreEqual(0, code, error);
            StringAssert.Contains(output, "pruned unstructured 50");
            StringAssert.Contains(output, "16 clusters");

            using var json = JsonDocument.Parse(File.ReadAllText(report));
            var pruned = json.RootElement.GetProperty("pruned").EnumerateArray().ToList();
            Assert.IsNotEmpty(pruned);
            Assert.IsTrue(pruned.All(p => Math.Abs(p.GetProperty("sparsityAfter").GetDouble() - 0.5) <= 0.01), "every pruned tensor at 50 %");
            var clustered = json.RootElement.GetProperty("clustered").EnumerateArray().ToList();
            Assert.HasCount(pruned.Count, clustered);
            Assert.IsTrue(clustered.All(c => c.GetProperty("uniqueValuesAfter").GetInt32() <= 16));

            // The written model: the hybrid CONV_2D weights are int8 with at most 16 codes and half of them zero.
            var model = ModelReader.ReadFile(target);
            var names = clustered.Select(c => c.GetProperty("tensor").GetString()!).ToHashSet();
            var int8Weights = model.Main.Tensors.Where(t => t.IsConstant && t.Type == TensorType.INT8 && names.Contains(t.Name)).ToList();
            Assert.IsGreaterThan(10, int8Weights.Count);
            foreach (var w in int8Weights)
            {
                var codes = MemoryMarshal.Cast<byte, sbyte>(w.Data.Span).ToArray();
                Assert.IsLessThanOrEqualTo(16, codes.Distinct().Count(), w.Name);
                Assert.AreEqual(0.5, codes.Count(c => c == 0) / (double)codes.Length, 0.01, w.Name);
            }
        }
        finally
        {
            File.Delete(target);
            File.Delete(report);
        }
    }

    [TestMethod]
    public void NOfMPatternAloneStoresFloat16WeightsSparse()
    {
        var target = TempPath(".tflite");
        try
        {
            var (code, output, error) = Mbt.Run("optimize", Corpus.GetPath("face_detection_short_range"), "-o", target,
                "--optimization", "float16", "--prune-pattern", "2:4");
            Assert.AreEqual(0, code, error);
            StringAssert.Contains(output, "pruned 2:4 50");
            var model = ModelReader.ReadFile(target);
            Assert.IsTrue(model.Main.Operators.Any(o => o.Code.Builtin == BuiltinOperator.DENSIFY), "pruned float16 weights are stored sparse");
            Assert.IsLessThan(new FileInfo(Corpus.GetPath("face_detection_short_range")).Length, new FileInfo(target).Length);
        }
        finally
        {
            File.Delete(target);
        }
    }

    [TestMethod]
    [DataRow("--prune-pattern", "block:1x4")]
    [DataRow("--cluster-init", "random")]
    [DataRow("--prune", "1.5")]
    [DataRow("--cluster", "300")]
    public void IncompleteOrOutOfRangeFlagsAreCodedErrorsAndWriteNothing(string flag, string value)
    {
        var target = TempPath(".tflite");
        var (code, _, error) = Mbt.Run("optimize", Corpus.GetPath("face_detection_short_range"), "-o", target, "--optimization", "float16", flag, value);
        Assert.AreEqual(2, code, error);
        StringAssert.StartsWith(error, "error MBT2100");
        Assert.IsFalse(File.Exists(target));
    }

    [TestMethod]
    public void UnknownClusterInitIsACodedError()
    {
        var target = TempPath(".tflite");
        var (code, _, error) = Mbt.Run("optimize", Corpus.GetPath("face_detection_short_range"), "-o", target, "--cluster", "8", "--cluster-init", "fastest");
        Assert.AreEqual(2, code, error);
        StringAssert.Contains(error, "fastest");
        Assert.IsFalse(File.Exists(target));
    }
}
