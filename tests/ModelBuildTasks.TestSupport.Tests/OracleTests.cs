namespace ModelBuildTasks.TestSupport.Tests;

[TestClass]
public sealed class OracleTests
{
    [ClassInitialize]
    public static void Install(TestContext context) => Oracle.EnsureInstalled();

    [TestMethod]
    public void InfoDescribesFaceDetectionShortRange()
    {
        var info = Oracle.Info(Corpus.GetPath("face_detection_short_range"));
        Assert.HasCount(1, info.Inputs);
        Assert.AreEqual("0:input float32[1,128,128,3]", info.Inputs[0].ToString());
        Assert.AreEqual(1L * 128 * 128 * 3 * 4, info.Inputs[0].Bytes);
        CollectionAssert.AreEqual(
            new[] { "0:regressors float32[1,896,16]", "1:classificators float32[1,896,1]" },
            info.Outputs.Select(o => o.ToString()).ToArray());
    }

    [TestMethod]
    [DataRow("face_detection_short_range", 11)]
    [DataRow("selfie_segmentation", 12)]
    public void RunsOnSeededInputsWithInfoShapesAndIsDeterministic(string model, int seed)
    {
        var path = Corpus.GetPath(model);
        var info = Oracle.Info(path);
        var inputs = SeededInputs.Generate(seed, info.Inputs);

        var first = Oracle.Run(path, inputs);
        var second = Oracle.Run(path, inputs);

        Assert.HasCount(info.Outputs.Count, first.Outputs);
        for (var k = 0; k < info.Outputs.Count; k++)
        {
            var expected = info.Outputs[k];
            var actual = first.Outputs[k];
            Assert.AreEqual(expected.Name, actual.Name);
            Assert.AreEqual(expected.DType, actual.DType);
            CollectionAssert.AreEqual(expected.Shape, actual.Shape);
            Assert.AreEqual(expected.Bytes, actual.Data.LongLength);
            Assert.IsTrue(actual.AsFloats().All(float.IsFinite), $"{actual.Name} has non-finite values");
            CollectionAssert.AreEqual(actual.Data, second.Outputs[k].Data, $"{actual.Name} differs between runs");
        }

        // The oracle's own seeded generator makes the same inputs, hence the same outputs.
        var seeded = Oracle.RunSeeded(path, seed);
        Assert.HasCount(inputs.Count, seeded.Inputs);
        for (var k = 0; k < inputs.Count; k++)
        {
            CollectionAssert.AreEqual(inputs[k], seeded.Inputs[k], $"input {k}: C# and oracle generators differ");
        }

        for (var k = 0; k < first.Outputs.Count; k++)
        {
            CollectionAssert.AreEqual(first.Outputs[k].Data, seeded.Outputs[k].Data);
        }

        // Different inputs give different outputs (the outputs are not constant or uninitialised memory).
        var other = Oracle.Run(path, SeededInputs.Generate(seed + 1000, info.Inputs));
        CollectionAssert.AreNotEqual(first.Outputs[0].Data, other.Outputs[0].Data);
    }

    [TestMethod]
    public void SelfieSegmentationMaskIsAProbability()
    {
        var path = Corpus.GetPath("selfie_segmentation");
        var result = Oracle.RunSeeded(path, 3);
        var mask = result["activation_10"].AsFloats();
        Assert.HasCount(256 * 256, mask);
        Assert.IsTrue(mask.All(v => v is >= 0f and <= 1f), "sigmoid output outside [0,1]");
        Assert.IsGreaterThan(0.0, mask.Max() - mask.Min());
    }

    [TestMethod]
    public void GarbageFileIsAnOracleExceptionWithNonZeroExitCode()
    {
        using var dir = new TempFolder();
        var garbage = Path.Combine(dir.Path, "garbage.tflite");
        File.WriteAllBytes(garbage, Enumerable.Range(0, 4096).Select(i => (byte)((i * 7919) ^ (i >> 3))).ToArray());

        var e = Assert.ThrowsExactly<OracleException>(() => Oracle.Info(garbage));
        Assert.AreEqual(2, e.ExitCode);
        StringAssert.Contains(e.StdErr, "garbage.tflite");
        Assert.ThrowsExactly<OracleException>(() => Oracle.Run(garbage, [new byte[16]]));
    }

    [TestMethod]
    public void MissingModelIsAUsageError()
    {
        var e = Assert.ThrowsExactly<OracleException>(() => Oracle.Info("/nonexistent/model.tflite"));
        Assert.AreEqual(1, e.ExitCode);
    }

    [TestMethod]
    public void WrongInputSizeIsAUsageError()
    {
        var e = Assert.ThrowsExactly<OracleException>(
            () => Oracle.Run(Corpus.GetPath("face_detection_short_range"), [new byte[100]]));
        Assert.AreEqual(1, e.ExitCode);
        StringAssert.Contains(e.StdErr, "196608");
    }

    [TestMethod]
    public void HandBuiltAddModelRuns()
    {
        using var dir = new TempFolder();
        var path = Path.Combine(dir.Path, "add.tflite");
        File.WriteAllBytes(path, TinyTflite.Add());
        var x = new[] { 1f, -2.5f, 3f, 0.125f };
        var result = Oracle.Run(path, [System.Runtime.InteropServices.MemoryMarshal.AsBytes(x.AsSpan()).ToArray()]);
        CollectionAssert.AreEqual(x.Select(v => v + v).ToArray(), result["y"].AsFloats());
    }

    // LiteRT.js does not throw for an op it cannot resolve: it logs ERROR and returns garbage. The harness
    // turns that into exit code 2.
    [TestMethod]
    public void UnresolvedCustomOpIsExitCode2NotGarbage()
    {
        using var dir = new TempFolder();
        var path = Path.Combine(dir.Path, "custom.tflite");
        File.WriteAllBytes(path, TinyTflite.UnresolvedCustomOp());

        var info = Assert.ThrowsExactly<OracleException>(() => Oracle.Info(path));
        Assert.AreEqual(2, info.ExitCode);
        StringAssert.Contains(info.StdErr, "ERROR");

        var run = Assert.ThrowsExactly<OracleException>(() => Oracle.Run(path, [new byte[16]]));
        Assert.AreEqual(2, run.ExitCode);
    }

    [TestMethod]
    public void BenchReportsOrderedTimings()
    {
        var bench = Oracle.Bench(Corpus.GetPath("face_detection_short_range"), runs: 5, warmup: 2, warmupMs: 0);
        Assert.AreEqual(5, bench.Runs);
        Assert.IsGreaterThanOrEqualTo(2, bench.WarmupRuns);
        Assert.IsGreaterThan(0.0, bench.MinMs);
        Assert.IsLessThanOrEqualTo(bench.MedianMs, bench.MinMs);
        Assert.IsLessThanOrEqualTo(bench.P90Ms, bench.MedianMs);
    }
}
