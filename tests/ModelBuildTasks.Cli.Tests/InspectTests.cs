using ModelBuildTasks.Model.Inspection;
using ModelBuildTasks.TestSupport;

namespace ModelBuildTasks.Cli.Tests;

[TestClass]
public sealed class InspectTests
{
    public static IEnumerable<object[]> Models => Corpus.Models.Select(m => new object[] { m.Name });

    [TestMethod]
    [DynamicData(nameof(Models))]
    public void JsonDescribesInputsAndOutputsAsLiteRtSeesThem(string name)
    {
        var path = Corpus.GetPath(name);
        var (code, output, error) = Mbt.Run("inspect", path, "--json");
        Assert.AreEqual(0, code, error);
        var summary = ModelSummary.FromJson(output);
        var oracle = Oracle.Info(path);

        Assert.AreEqual(new FileInfo(path).Length, summary.FileBytes);
        Assert.AreEqual(Corpus.Default.Find(name).Sha256, summary.Sha256);
        Assert.AreEqual(1, summary.FormatVersion);
        CollectionAssert.AreEqual(oracle.Inputs.Select(i => i.Name).ToList(), summary.Inputs.Select(i => i.Name).ToList());
        CollectionAssert.AreEqual(oracle.Outputs.Select(i => i.Name).ToList(), summary.Outputs.Select(i => i.Name).ToList());
        for (var i = 0; i < oracle.Outputs.Count; i++)
        {
            CollectionAssert.AreEqual(oracle.Outputs[i].Shape, summary.Outputs[i].Shape);
            Assert.AreEqual(oracle.Outputs[i].DType, summary.Outputs[i].Type);
        }
        Assert.AreEqual(summary.Subgraphs.Sum(s => s.Operators), summary.Operators.Values.Sum());
        // MediaPipe models are float16 post-training quantized: nearly all weight bytes are float16.
        Assert.IsGreaterThan(0.95 * summary.ConstantBytes, (double)summary.TensorBytesByType["float16"].Bytes);
        Assert.IsLessThan(summary.FileBytes, summary.ConstantBytes);
    }

    [TestMethod]
    public void SparseModelReportsItsSparseTensorsAndDensifyOps()
    {
        var (code, output, _) = Mbt.Run("inspect", Corpus.GetPath("face_detection_full_range_sparse"), "--json");
        Assert.AreEqual(0, code);
        var summary = ModelSummary.FromJson(output);
        Assert.AreEqual(46, summary.SparseTensors);
        Assert.AreEqual(46, summary.Operators["DENSIFY"]);
        Assert.AreEqual("min_runtime_version", summary.Metadata.Single().Name);
    }

    [TestMethod]
    public void CustomOperatorsAreCountedByName()
    {
        var (code, output, _) = Mbt.Run("inspect", Corpus.GetPath("selfie_segmentation"), "--json");
        Assert.AreEqual(0, code);
        Assert.IsGreaterThan(0, ModelSummary.FromJson(output).Operators["Convolution2DTransposeBias"]);
    }

    [TestMethod]
    public void TextFormListsOperatorsAndTensors()
    {
        var (code, output, _) = Mbt.Run("inspect", Corpus.GetPath("hand_landmark_lite"));
        Assert.AreEqual(0, code);
        StringAssert.Contains(output, "input_1  float32[1,224,224,3]");
        StringAssert.Contains(output, "CONV_2D");
        StringAssert.Contains(output, "metadata 'min_runtime_version'");
    }

    [TestMethod]
    public void BadFileGivesACodedErrorNamingTheFileAndExitCode2()
    {
        var path = Path.Combine(Path.GetTempPath(), $"mbt-not-a-model-{Guid.NewGuid():N}.tflite");
        File.WriteAllText(path, "this is not a flatbuffer, just some text long enough");
        try
        {
            var (code, output, error) = Mbt.Run("inspect", path);
            Assert.AreEqual(2, code);
            Assert.AreEqual("", output);
            StringAssert.StartsWith(error, "error MBT1003: ");
            StringAssert.Contains(error, path);
        }
        finally
        {
            File.Delete(path);
        }
    }

    [TestMethod]
    public void MissingFileGivesMbt1001()
    {
        var (code, _, error) = Mbt.Run("inspect", "/no/such/model.tflite");
        Assert.AreEqual(2, code);
        StringAssert.StartsWith(error, "error MBT1001: ");
    }
}
