using ModelBuildTasks.Generator.Tests.Harness;

namespace ModelBuildTasks.Generator.Tests;

/// <summary>The generated TopK helper and labels of a classifier output (no model needed: outputs are plain arrays).</summary>
[TestClass]
public sealed class TopKTests
{
    private const string App = """
        namespace TestApp
        {
            /// <summary>Calls the generated helpers.</summary>
            public static class App
            {
                /// <summary>TopK as text.</summary>
                /// <param name="scores">Scores.</param>
                /// <param name="k">How many.</param>
                /// <returns>"label (score)" joined by ';'.</returns>
                public static string TopK(float[] scores, int k)
                {
                    var outputs = new MobilenetV1025Quant.Outputs();
                    scores.CopyTo(outputs.Probabilities, 0);
                    return string.Join(";", outputs.ProbabilitiesTopK(k));
                }
            }
        }
        """;

    private static readonly Lazy<Type> AppType = new(() =>
    {
        var result = GeneratorHarness.Generate([TestCards.Named("quantized_classifier")], "TestApp", App);
        Assert.IsEmpty(GeneratorHarness.Problems(result.Compilation));
        return GeneratorHarness.EmitAndLoad(result.Compilation).GetType("TestApp.App")!;
    });

    private static string TopK(float[] scores, int k) => (string)AppType.Value.GetMethod("TopK")!.Invoke(null, [scores, k])!;

    [TestMethod]
    [DataRow(3, "\"quoted\" <label> (0.9);cat (0.7);bird (0.2)")]
    [DataRow(1, "\"quoted\" <label> (0.9)")]
    [DataRow(0, "")]
    [DataRow(9, "\"quoted\" <label> (0.9);cat (0.7);bird (0.2);background (0.1);dog (0.05)")]
    public void BestFirstWithLabels(int k, string expected)
    {
        Assert.AreEqual(expected, TopK([0.1f, 0.7f, 0.05f, 0.9f, 0.2f], k));
    }

    [TestMethod]
    public void TiesKeepTheLowerIndexFirst()
    {
        Assert.AreEqual("background (0.5);cat (0.5)", TopK([0.5f, 0.5f, 0.1f, 0.5f, 0f], 2));
    }
}
