using ModelBuildTasks.Model;
using ModelBuildTasks.Model.Format;
using ModelBuildTasks.TestSupport;

namespace ModelBuildTasks.Cli.Tests;

[TestClass]
public sealed class OptimizeTests
{
    [TestMethod]
    public void OptimizationNoneRewritesLosslessly()
    {
        var source = Corpus.GetPath("pose_landmark_lite");
        var target = Path.Combine(Path.GetTempPath(), $"mbt-{Guid.NewGuid():N}.tflite");
        try
        {
            var (code, output, error) = Mbt.Run("optimize", source, "-o", target, "--optimization", "none");
            Assert.AreEqual(0, code, error);
            StringAssert.Contains(output, "pose_landmark_lite.tflite");
            Assert.IsNull(ModelComparer.FirstDifference(ModelReader.ReadFile(source), ModelReader.ReadFile(target)));
        }
        finally
        {
            File.Delete(target);
        }
    }

    [TestMethod]
    public void UnknownOptimizationIsAUsageError()
    {
        var target = Path.Combine(Path.GetTempPath(), $"mbt-{Guid.NewGuid():N}.tflite");
        var (code, _, error) = Mbt.Run("optimize", Corpus.GetPath("selfie_segmentation"), "-o", target, "--optimization", "bogus");
        Assert.AreEqual(1, code);
        StringAssert.Contains(error, "bogus");
        Assert.IsFalse(File.Exists(target));
    }

    [TestMethod]
    public void CorruptInputLeavesNoOutputFile()
    {
        var source = Path.Combine(Path.GetTempPath(), $"mbt-{Guid.NewGuid():N}.tflite");
        var target = source + ".out.tflite";
        var bytes = File.ReadAllBytes(Corpus.GetPath("face_detection_short_range"));
        File.WriteAllBytes(source, bytes[..(bytes.Length / 2)]);
        try
        {
            var (code, _, error) = Mbt.Run("optimize", source, "-o", target);
            Assert.AreEqual(2, code);
            StringAssert.StartsWith(error, "error MBT");
            Assert.IsFalse(File.Exists(target));
        }
        finally
        {
            File.Delete(source);
        }
    }
}
