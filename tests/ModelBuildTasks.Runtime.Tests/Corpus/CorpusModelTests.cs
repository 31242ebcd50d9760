using ModelBuildTasks.TestSupport;

namespace ModelBuildTasks.Runtime.Tests.Corpus;

/// <summary>Every corpus model runs in our runtime and in LiteRT on the same seeded inputs and agrees.</summary>
[TestClass]
public sealed class CorpusModelTests
{
    public TestContext TestContext { get; set; } = null!;

    public static IEnumerable<object[]> Names =>
        TestSupport.Corpus.Models.Select(m => new object[] { m.Name });

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
