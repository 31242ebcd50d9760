using ModelBuildTasks.Optimization.ModelCards;

namespace ModelBuildTasks.Tasks.Tests;

[TestClass]
public sealed class BudgetCheckerTests
{
    private static ModelCard Card(CardBudgets budgets, CardMetrics? metrics = null) => new()
    {
        Name = "pose",
        Original = new CardFile { Bytes = 6_000_000, GzipBytes = 5_500_000 },
        Optimized = new CardFile { Bytes = 2_410_000, GzipBytes = 2_000_000 },
        Metrics = metrics,
        Budgets = budgets,
    };

    [TestMethod]
    public void SizeOverMaxSizeSaysByHowMuch()
    {
        var violation = BudgetChecker.Check(Card(new CardBudgets { MaxSize = 2_000_000 })).Single();
        Assert.AreEqual("MBT3001", violation.Code);
        StringAssert.Contains(violation.Message, "2.41 MB, 410 KB over MaxSize=2MB");
    }

    [TestMethod]
    public void BudgetsThatHoldReportNothing()
    {
        var metrics = new CardMetrics { Samples = 8, MinCosine = 0.999, MinSqnrDb = 40, AccuracyDrop = 0.001 };
        var budgets = new CardBudgets
        {
            MaxSize = 2_410_000, MaxCompressedSize = 2_000_000, MinCosine = 0.99, MinSqnrDb = 30, MaxAccuracyDrop = 0.01,
            BaselineBytes = 2_300_000, MaxSizeGrowth = 0.05,
        };
        Assert.IsEmpty(BudgetChecker.Check(Card(budgets, metrics)));
    }

    [TestMethod]
    public void EachMissedBudgetHasItsCode()
    {
        var metrics = new CardMetrics { Samples = 8, MinCosine = 0.95, MinSqnrDb = 12, AccuracyDrop = 0.03, ReferenceAccuracy = 0.9, CandidateAccuracy = 0.87 };
        var budgets = new CardBudgets
        {
            MaxSize = 1_000_000, MaxCompressedSize = 1_000_000, MinCosine = 0.99, MinSqnrDb = 30, MaxAccuracyDrop = 0.01,
            BaselineBytes = 2_000_000, MaxSizeGrowth = 0.05,
        };
        var codes = BudgetChecker.Check(Card(budgets, metrics)).Select(v => v.Code).ToArray();
        CollectionAssert.AreEqual(new[] { "MBT3001", "MBT3002", "MBT3003", "MBT3004", "MBT3005", "MBT3006" }, codes);
    }

    [TestMethod]
    public void AccuracyBudgetsWithoutMeasurementsAreReportedAsNotMeasured()
    {
        var violations = BudgetChecker.Check(Card(new CardBudgets { MinCosine = 0.99, MaxAccuracyDrop = 0.01 }));
        Assert.HasCount(2, violations);
        Assert.IsTrue(violations.All(v => v.Code == "MBT3007"));
    }
}
