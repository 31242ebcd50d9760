using System.Text.Json.Nodes;
using Microsoft.CodeAnalysis;
using ModelBuildTasks.Generator.Tests.Harness;

namespace ModelBuildTasks.Generator.Tests;

/// <summary>
/// One diagnostic per violated budget, at the &lt;ModelItem&gt; (project file, line 12, column 5 in these cards),
/// with measured value, budget and the gap; MBT3010 for unusable cards.
/// </summary>
[TestClass]
public sealed class BudgetAnalyzerTests
{
    /// <summary>A 1,000,000-byte model (gzip 900,000) with measured accuracy and no budgets.</summary>
    private static JsonObject Card()
    {
        var card = TestCards.QuantizedClassifier();
        card["optimized"] = new JsonObject { ["bytes"] = 1_000_000, ["gzipBytes"] = 900_000, ["brotliBytes"] = null, ["sha256"] = "ab" };
        card["budgets"] = CardBuilder.Skeleton("x", "x.tflite")["budgets"]!.DeepClone();
        card["metrics"] = new JsonObject
        {
            ["samples"] = 16, ["minCosine"] = 0.95, ["minSqnrDb"] = 18.5, ["accuracyDrop"] = 0.025,
            ["referenceAccuracy"] = 0.98, ["candidateAccuracy"] = 0.955, ["outputs"] = new JsonArray(),
        };
        return card;
    }

    private static Diagnostic Single(JsonObject card)
    {
        var diagnostics = GeneratorHarness.Analyze([CardFile.Of("m", card)]);
        Assert.HasCount(1, diagnostics, string.Join("\n", diagnostics));
        return diagnostics[0];
    }

    private static void AssertAtItem(Diagnostic d)
    {
        var span = d.Location.GetLineSpan();
        Assert.AreEqual(CardBuilder.ProjectFile, span.Path);
        Assert.AreEqual(11, span.StartLinePosition.Line, "0-based line of line 12");
        Assert.AreEqual(4, span.StartLinePosition.Character, "0-based column of column 5");
    }

    [TestMethod]
    public void RealModelOverMaxSizeIsAnErrorAtTheItem()
    {
        // pose_landmark_full.tflite is 6,440,512 bytes = 6.44 MB; a 2 MiB budget → 4,343,360 bytes = 4.34 MB over.
        var card = CardBuilder.FromModel(TestSupport.Corpus.GetPath("pose_landmark_full"));
        card["budgets"]!["maxSize"] = 2 * 1024 * 1024;

        var d = Single(card);

        Assert.AreEqual("MBT3001", d.Id);
        Assert.AreEqual(DiagnosticSeverity.Error, d.Severity);
        AssertAtItem(d);
        StringAssert.StartsWith(d.GetMessage(), "pose_landmark_full.tflite is 6.44 MB, 4.34 MB over MaxSize=2MiB;");
    }

    [TestMethod]
    public void BudgetsAreLeftToTheTaskWhenTheProjectTurnsTheAnalyzerOff()
    {
        var card = Card();
        card["budgets"]!["maxSize"] = 500_000;
        Assert.AreEqual("MBT3001", Single(card).Id);

        var off = GeneratorHarness.Analyze(
            [CardFile.Of("m", card)], buildProperties: new Dictionary<string, string> { ["ModelBuildTasksBudgetAnalyzer"] = "false" });

        Assert.IsEmpty(off, string.Join("\n", off));
    }

    [TestMethod]
    public void MaxCompressedSize()
    {
        var card = Card();
        card["budgets"]!["maxCompressedSize"] = 800 * 1024; // 900,000 - 819,200 (800 KiB) = 80,800 bytes = 80.8 KB over

        var d = Single(card);

        Assert.AreEqual("MBT3002", d.Id);
        AssertAtItem(d);
        StringAssert.StartsWith(d.GetMessage(), "mobilenet_v1_quant.tflite compresses to 900 KB (gzip), 80.8 KB over MaxCompressedSize=800KiB;");
    }

    [TestMethod]
    public void MaxAccuracyDrop()
    {
        var card = Card();
        card["budgets"]!["maxAccuracyDrop"] = 0.01;

        var d = Single(card);

        Assert.AreEqual("MBT3003", d.Id);
        StringAssert.StartsWith(d.GetMessage(), "mobilenet_v1_quant.tflite loses 2.5 percentage points of top-1 accuracy (98% → 95.5%), 1.5 percentage points more than MaxAccuracyDrop=1%;");
    }

    [TestMethod]
    public void MinCosine()
    {
        var card = Card();
        card["budgets"]!["minCosine"] = 0.99;

        var d = Single(card);

        Assert.AreEqual("MBT3004", d.Id);
        StringAssert.StartsWith(d.GetMessage(), "mobilenet_v1_quant.tflite reaches a cosine similarity of 0.95, 0.04 below MinCosine=0.99;");
    }

    [TestMethod]
    public void MinSqnr()
    {
        var card = Card();
        card["budgets"]!["minSqnrDb"] = 20.0;

        var d = Single(card);

        Assert.AreEqual("MBT3005", d.Id);
        StringAssert.StartsWith(d.GetMessage(), "mobilenet_v1_quant.tflite reaches an SQNR of 18.5 dB, 1.5 dB below MinSqnr=20 dB;");
    }

    [TestMethod]
    public void MaxSizeGrowthOverBaseline()
    {
        var card = Card();
        card["budgets"]!["baselineBytes"] = 800_000; // 1,000,000 is 25 % larger; budget 5 % → 20 points over
        card["budgets"]!["maxSizeGrowth"] = 0.05;

        var d = Single(card);

        Assert.AreEqual("MBT3006", d.Id);
        StringAssert.StartsWith(d.GetMessage(), "mobilenet_v1_quant.tflite is 1 MB, 25% larger than the baseline's 800 KB, 20 percentage points over MaxSizeGrowth=5%;");
    }

    [TestMethod]
    public void BudgetWithoutMeasuredFigureIsMbt3007()
    {
        var card = Card();
        card["metrics"] = null;
        card["budgets"]!["minCosine"] = 0.99;

        var d = Single(card);

        Assert.AreEqual("MBT3007", d.Id);
        StringAssert.Contains(d.GetMessage(), "MinCosine=0.99 is set but the cosine similarity (the model is evaluated when it is optimized) was not measured");
    }

    [TestMethod]
    public void OneDiagnosticPerViolationWarningsWhenSeverityIsWarning()
    {
        var card = Card();
        card["budgets"]!["maxSize"] = 500_000;
        card["budgets"]!["minCosine"] = 0.99;
        card["budgets"]!["minSqnrDb"] = 10.0; // met
        card["budgets"]!["severity"] = "warning";
        var second = Card();
        second["budgets"]!["maxAccuracyDrop"] = 0.001;

        var diagnostics = GeneratorHarness.Analyze([CardFile.Of("a", card), CardFile.Of("b", second)]);

        CollectionAssert.AreEquivalent(new[] { "MBT3001", "MBT3004", "MBT3003" }, diagnostics.Select(d => d.Id).ToArray());
        Assert.AreEqual(DiagnosticSeverity.Warning, diagnostics.Single(d => d.Id == "MBT3001").Severity);
        Assert.AreEqual(DiagnosticSeverity.Warning, diagnostics.Single(d => d.Id == "MBT3004").Severity);
        Assert.AreEqual(DiagnosticSeverity.Error, diagnostics.Single(d => d.Id == "MBT3003").Severity);
    }

    [TestMethod]
    public void BudgetsThatHoldReportNothing()
    {
        var card = Card();
        card["budgets"]!["maxSize"] = 1_000_000; // equal is within budget
        card["budgets"]!["maxCompressedSize"] = 1_000_000;
        card["budgets"]!["maxAccuracyDrop"] = 0.03;
        card["budgets"]!["minCosine"] = 0.95;
        card["budgets"]!["minSqnrDb"] = 18.0;
        card["budgets"]!["baselineBytes"] = 1_000_000;
        card["budgets"]!["maxSizeGrowth"] = 0.0;

        Assert.IsEmpty(GeneratorHarness.Analyze([CardFile.Of("ok", card)]));
    }

    [TestMethod]
    [DataRow(null, "the model card is missing or cannot be read")]
    [DataRow("{ \"formatVersion\": 1, ", "invalid JSON at line 1, column 23")]
    [DataRow("[1, 2]", "the model card is not a JSON object")]
    [DataRow("{ \"formatVersion\": 2, \"name\": \"m\" }", "formatVersion 2, newer than the 1 this generator reads")]
    [DataRow("{ \"formatVersion\": 1 }", "'name' is missing")]
    [DataRow("{ \"formatVersion\": 1, \"name\": \"m\", \"signatures\": [ { \"inputs\": [ { \"name\": \"x\", \"type\": \"float32\", \"shape\": \"1,2\" } ] } ] }",
        "'signatures[0].inputs[0].shape' must be an array of integers")]
    public void UnusableCardIsMbt3010AtTheCard(string? text, string expected)
    {
        var path = "/app/obj/models/m.modelcard.json";

        var diagnostics = GeneratorHarness.Analyze([new CardFile(path, text)]);
        var generated = GeneratorHarness.Generate([new CardFile(path, text)]);

        Assert.HasCount(1, diagnostics, string.Join("\n", diagnostics));
        Assert.AreEqual("MBT3010", diagnostics[0].Id);
        Assert.AreEqual(DiagnosticSeverity.Error, diagnostics[0].Severity);
        Assert.AreEqual(path, diagnostics[0].Location.GetLineSpan().Path);
        StringAssert.Contains(diagnostics[0].GetMessage(), expected);
        Assert.IsEmpty(generated.Run.GeneratedSources);
        Assert.IsNull(generated.Run.Exception);
    }

    [TestMethod]
    public void DeeplyNestedJsonIsRefusedNotAStackOverflow()
    {
        var text = "{ \"formatVersion\": 1, \"name\": \"m\", \"x\": " + new string('[', 100_000) + new string(']', 100_000) + " }";

        var d = Single(new CardFile("/m.json", text));

        Assert.AreEqual("MBT3010", d.Id);
        StringAssert.Contains(d.GetMessage(), "nesting deeper than 64 levels");
    }

    [TestMethod]
    public void CardOfAnotherToolVersionIsAStaleWarningButBudgetsStillCount()
    {
        var card = Card();
        card["toolVersion"] = "0.0.9+abc";
        card["budgets"]!["maxSize"] = 500_000;

        var diagnostics = GeneratorHarness.Analyze([CardFile.Of("s", card)]);

        var stale = diagnostics.Single(d => d.Id == "MBT3010");
        Assert.AreEqual(DiagnosticSeverity.Warning, stale.Severity);
        StringAssert.Contains(stale.GetMessage(), $"written by ModelBuildTasks 0.0.9+abc but the generator is {CardBuilder.ToolVersion}: the card is stale");
        Assert.AreEqual(1, diagnostics.Count(d => d.Id == "MBT3001"));
    }

    [TestMethod]
    public void MissingRuntimeReferenceIsReportedOnce()
    {
        var off = Card();
        off["generateWrapper"] = false;

        var diagnostics = GeneratorHarness.Analyze([CardFile.Of("a", Card()), CardFile.Of("b", Card()), CardFile.Of("c", off)], withRuntime: false);

        var d = diagnostics.Single();
        Assert.AreEqual("MBT3011", d.Id);
        AssertAtItem(d);
        StringAssert.StartsWith(d.GetMessage(), "no wrapper was generated for mobilenet_v1_quant.tflite: the project does not reference ModelBuildTasks.Runtime;");
    }

    [TestMethod]
    public void AdditionalFilesWithoutTheCardMetadataAreIgnored()
    {
        var diagnostics = GeneratorHarness.Analyze([new CardFile("/app/readme.txt", "not json", Marked: false)]);

        Assert.IsEmpty(diagnostics);
    }

    private static Diagnostic Single(CardFile card)
    {
        var diagnostics = GeneratorHarness.Analyze([card]);
        Assert.HasCount(1, diagnostics, string.Join("\n", diagnostics));
        return diagnostics[0];
    }

    [TestMethod]
    public void BudgetsAreQuotedInTheUnitsTheyWereProbablyWrittenIn()
    {
        // KB/MB are powers of 1000 and KiB/MiB powers of 1024, as the item metadata parser reads them.
        Assert.AreEqual("2MB", ModelBuildTasks.Budgets.BudgetRules.BudgetSize(2_000_000));
        Assert.AreEqual("2MiB", ModelBuildTasks.Budgets.BudgetRules.BudgetSize(2 * 1024 * 1024));
        Assert.AreEqual("1.5MiB", ModelBuildTasks.Budgets.BudgetRules.BudgetSize(1536 * 1024));
        Assert.AreEqual("800KiB", ModelBuildTasks.Budgets.BudgetRules.BudgetSize(800 * 1024));
        Assert.AreEqual("2.41MB", ModelBuildTasks.Budgets.BudgetRules.BudgetSize(2_410_000));
        Assert.AreEqual("1234567B", ModelBuildTasks.Budgets.BudgetRules.BudgetSize(1_234_567));
        Assert.AreEqual("999B", ModelBuildTasks.Budgets.BudgetRules.BudgetSize(999));
        Assert.AreEqual("2.41 MB", ModelBuildTasks.Budgets.BudgetRules.Size(2_410_000));
    }
}
