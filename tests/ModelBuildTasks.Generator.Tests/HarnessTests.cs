using ModelBuildTasks.Generator.Tests.Harness;

namespace ModelBuildTasks.Generator.Tests;

/// <summary>The compile checks would catch what they claim to: missing XML docs and nullable warnings are errors.</summary>
[TestClass]
public sealed class HarnessTests
{
    [TestMethod]
    public void MissingDocsAndNullableWarningsAreReported()
    {
        var compilation = GeneratorHarness.CreateCompilation("""
            namespace TestApp
            {
                public static class Undocumented
                {
                    /// <summary>x</summary>
                    /// <returns>y</returns>
                    public static string Get() { string? s = null; return s; }
                }
            }
            """);

        var problems = GeneratorHarness.Problems(compilation);

        Assert.Contains(p => p.Contains("CS1591", StringComparison.Ordinal), problems, string.Join("\n", problems));
        Assert.Contains(p => p.Contains("CS8603", StringComparison.Ordinal), problems, string.Join("\n", problems));
    }
}
