using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;
using ModelBuildTasks.Generator.Tests.Harness;

namespace ModelBuildTasks.Generator.Tests;

/// <summary>An edit to unrelated code reuses every cached step: cards are not re-read and wrappers not re-emitted.</summary>
[TestClass]
public sealed class IncrementalTests
{
    private static readonly IncrementalStepRunReason[] Reused = [IncrementalStepRunReason.Cached, IncrementalStepRunReason.Unchanged];

    [TestMethod]
    public void UnrelatedEditLeavesEveryStepCachedOrUnchanged()
    {
        var compilation = GeneratorHarness.CreateCompilation("namespace TestApp { internal static class A { } }");
        var driver = GeneratorHarness.CreateDriver([TestCards.Named("quantized_classifier"), TestCards.Named("tricky_names")])
            .RunGenerators(compilation);

        var edited = compilation.AddSyntaxTrees(
            CSharpSyntaxTree.ParseText("namespace TestApp { internal static class B { } }", GeneratorHarness.ParseOptions));
        var run = driver.RunGenerators(edited).GetRunResult().Results.Single();

        foreach (var step in new[] { ModelWrapperGenerator.CardsStep, ModelWrapperGenerator.WrappersStep, ModelWrapperGenerator.RuntimeStep })
        {
            var reasons = run.TrackedSteps[step].SelectMany(s => s.Outputs).Select(o => o.Reason).ToArray();
            Assert.IsNotEmpty(reasons, step);
            Assert.IsTrue(reasons.All(Reused.Contains), $"{step}: {string.Join(", ", reasons)}");
        }
        var emitted = run.TrackedOutputSteps.SelectMany(s => s.Value).SelectMany(s => s.Outputs).Select(o => o.Reason).ToArray();
        Assert.IsTrue(emitted.All(Reused.Contains), "source output re-ran: " + string.Join(", ", emitted));
        Assert.HasCount(2, run.GeneratedSources);
    }

    [TestMethod]
    public void ChangedCardReEmitsOnlyThatWrapper()
    {
        var compilation = GeneratorHarness.CreateCompilation("namespace TestApp { internal static class A { } }");
        var classifier = TestCards.Named("quantized_classifier");
        var tricky = TestCards.Named("tricky_names");
        var (texts, provider) = Options.For([classifier, tricky], "TestApp");
        var driver = GeneratorHarness.CreateDriver(texts, provider).RunGenerators(compilation);

        var changed = TestCards.QuantizedClassifier();
        changed["budgets"]!["maxSize"] = 1024;
        var newText = new InMemoryAdditionalText(classifier.Path, CardBuilder.ToJson(changed));
        var oldText = texts.Single(t => t.Path == classifier.Path);
        var run = driver.ReplaceAdditionalText(oldText, newText).RunGenerators(compilation).GetRunResult().Results.Single();

        var specs = run.TrackedSteps[ModelWrapperGenerator.WrappersStep].SelectMany(s => s.Outputs).Select(o => o.Reason).ToArray();
        Assert.AreEqual(1, specs.Count(r => r == IncrementalStepRunReason.Modified), string.Join(", ", specs));
        Assert.AreEqual(1, specs.Count(r => Reused.Contains(r)), string.Join(", ", specs));
        var source = run.GeneratedSources.Single(s => s.HintName == "TestApp.MobilenetV1025Quant.g.cs").SourceText.ToString();
        StringAssert.Contains(source, "MaxSizeBudget => 1024L;");
    }
}
