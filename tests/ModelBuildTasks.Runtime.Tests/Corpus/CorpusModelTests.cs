using ModelBuildTasks.TestSupport;

namespace ModelBuildTasks.Runtime.Tests.Corpus;

/// <summary>Every corpus model runs in our runtime and in LiteRT on the same seeded inputs and agrees.</summary>
[TestClass]
public sealed class CorpusModelTests
{
    public TestContext TestContext { get; set; } = null!;

    public static IEnumerable<object[]> Names =>
        TestSupport.Corpus.Models.Select(m => new object[] { m.Name });

    /// <summary>MMAC of CONV_2D, DEPTHWISE_CONV_2D and FULLY_CONNECTED as the shared corpus list publishes them (models without transposed convolutions).</summary>
    [TestMethod]
    [DataRow("face_detection_short_range", 30.8)]
    [DataRow("face_detection_full_range_sparse", 117.2)]
    [DataRow("hand_landmark_lite", 145.6)]
    public void CountsMultiplyAccumulates(string name, double mmac)
    {
        var model = CompiledModel.Load(TestSupport.Corpus.GetPath(name));
        Assert.AreEqual(mmac, model.MultiplyAccumulates / 1e6, 0.05);
    }

    [TestMethod]
    [DynamicData(nameof(Names))]
    public void MatchesOracle(string name)
    {
        var path = TestSupport.Corpus.GetPath(name);
        var expected = Oracle.RunSeeded(path, seed: 7);
        using var session = ModelSession.Load(path);
        Assert.HasCount(expected.Inputs.Count, session.Inputs);
        for (var i = 0; i < expected.Inputs.Count; i++)
        {
            expected.Inputs[i].CopyTo(session.GetInputBytes(i));
        }
        session.Run();

        Assert.HasCount(expected.Outputs.Count, session.Outputs);
        foreach (var want in expected.Outputs)
        {
            var got = session.GetOutput<float>(want.Name);
            var error = OutputError.Measure(got, want.AsFloats());
            TestContext.WriteLine($"{name} {want.Name}{want.Info.ShapeText}: {error}");
            Assert.IsTrue(error.WithinTolerance, $"{name} output {want.Name}: {error}");
        }
    }
}
