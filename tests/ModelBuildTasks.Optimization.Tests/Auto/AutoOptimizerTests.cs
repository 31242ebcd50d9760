using System.Diagnostics;
using ModelBuildTasks.Model.Format;
using ModelBuildTasks.Optimization.Auto;
using ModelBuildTasks.Optimization.Evaluation;
using ModelBuildTasks.Optimization.Tests.Support;
using ModelBuildTasks.TestSupport;

namespace ModelBuildTasks.Optimization.Tests.Auto;

[TestClass]
public sealed class AutoOptimizerTests
{
    // face_detection_short_range: plain int8 reaches a lowest output cosine of about 0.99 on seeded data, 16x8 about 0.998.
    private const string ModelName = "face_detection_short_range";
    private static readonly AutoBudgets CosineBudget = new() { MinCosine = 0.999 };

    public TestContext TestContext { get; set; } = null!;

    private static AutoResult Search(AutoOptions options)
    {
        var model = CorpusModels.Read(ModelName);
        return AutoOptimizer.Search(model, options, Samples.Seeded(model, 8), Samples.Seeded(model, 4, firstSeed: 200));
    }

    [TestMethod]
    public void Auto_meets_a_cosine_budget_int8_misses_with_a_mixed_precision_model_smaller_than_float16()
    {
        var clock = Stopwatch.StartNew();
        var result = Search(new AutoOptions { Budgets = CosineBudget });
        TestContext.WriteLine($"{result.Config.Describe()}: {result.Bytes.Length} bytes, {result.Evaluations} evaluations, {clock.ElapsedMilliseconds} ms");
        foreach (var c in result.Trail)
        {
            TestContext.WriteLine($"{c.Index} {c.Config} {c.Bytes} {c.MinCosine} {c.Verdict}");
        }

        // Plain int8 was tried first and missed the budget.
        var first = result.Trail[0];
        Assert.AreEqual("int8", first.Config);
        Assert.IsTrue(first.Evaluated && first.MinCosine < 0.999, first.ToString());

        // The chosen model mixes precisions per layer and meets the budget, measured independently of the search.
        Assert.IsNotEmpty(result.Config.Layers);
        var original = CorpusModels.Read(ModelName);
        var check = Evaluator.Evaluate(original, ModelReader.Read(result.Bytes), Samples.Seeded(original, 4, firstSeed: 200),
            new EvaluationOptions { PerLayer = false });
        Assert.IsGreaterThanOrEqualTo(0.999, check.MinCosine);

        // Smaller than the float16 form.
        var float16 = ModelWriter.ToBytes(Optimizer.Optimize(original, OptimizationOptions.For(Optimization.Float16)).Model);
        Assert.IsLessThan(float16.Length, result.Bytes.Length, $"chosen {result.Bytes.Length} vs float16 {float16.Length}");

        // Bounded: within the default cap, and exactly one candidate accepted.
        Assert.IsLessThanOrEqualTo(AutoOptions.DefaultMaxEvaluations, result.Evaluations);
        Assert.AreEqual(1, result.Trail.Count(c => c.Accepted));
        Assert.AreEqual(result.Config.Describe(), result.Trail.Single(c => c.Accepted).Config);

        // The official runtime loads and runs the chosen model.
        using var folder = new TempFolder();
        var path = folder.File("auto.tflite");
        File.WriteAllBytes(path, result.Bytes);
        var oracle = Oracle.RunSeeded(path, 200);
        Assert.IsNotEmpty(oracle.Outputs);

        // Deterministic: a second search makes the same bytes, recipe and trail.
        var again = Search(new AutoOptions { Budgets = CosineBudget });
        CollectionAssert.AreEqual(result.Bytes, again.Bytes);
        Assert.AreEqual(result.RecipeJson, again.RecipeJson);
        CollectionAssert.AreEqual(result.Trail.Select(c => $"{c.Config} {c.Bytes} {c.MinCosine}").ToList(),
            again.Trail.Select(c => $"{c.Config} {c.Bytes} {c.MinCosine}").ToList());

        // The recipe pins the choice: optimizing with it again gives the same model without a search.
        var pinned = AutoRecipe.Parse(result.RecipeJson);
        var replay = Optimizer.Optimize(original, new OptimizationOptions { Optimization = pinned.Scheme, Rules = pinned.Rules },
            Samples.Seeded(original, 8));
        CollectionAssert.AreEqual(result.Bytes, ModelWriter.ToBytes(replay.Model));
    }

    [TestMethod]
    public void Over_a_compressed_size_budget_the_search_goes_on_to_clustering_or_pruning()
    {
        var model = CorpusModels.Read(ModelName);
        // float16 only (e.g. for a GPU delegate): the plain model is about 9 % over the compressed budget.
        var float16 = ModelWriter.ToBytes(Optimizer.Optimize(model, OptimizationOptions.For(Optimization.Float16)).Model);
        var budgets = new AutoBudgets { MinCosine = 0.99, MaxCompressedSize = Gzip(float16) * 92 / 100 };
        AutoResult result;
        try
        {
            result = Search(new AutoOptions { Budgets = budgets, Schemes = [Optimization.Float16] });
        }
        catch (AutoSearchException e)
        {
            throw new AssertFailedException(e.Message + "\n" + string.Join("\n", e.Trail.Select(c => $"{c.Index} {c.Config} {c.Bytes} {c.GzipBytes} {c.MinCosine} {c.Verdict}")));
        }
        foreach (var c in result.Trail)
        {
            TestContext.WriteLine($"{c.Index} {c.Config} {c.Bytes} {c.GzipBytes} {c.MinCosine} {c.Verdict}");
        }
        Assert.IsTrue(result.Config.Clusters > 0 || result.Config.Sparsity > 0, result.Config.Describe());
        var written = ModelWriter.ToBytes(result.Model);
        CollectionAssert.AreEqual(result.Bytes, written);
        Assert.IsLessThanOrEqualTo(budgets.MaxCompressedSize!.Value, Gzip(result.Bytes));
        var check = Evaluator.Evaluate(model, ModelReader.Read(result.Bytes), Samples.Seeded(model, 4, firstSeed: 200), new EvaluationOptions { PerLayer = false });
        Assert.IsGreaterThanOrEqualTo(0.99, check.MinCosine);

        using var folder = new TempFolder();
        var path = folder.File("shrunk.tflite");
        File.WriteAllBytes(path, result.Bytes);
        Assert.IsNotEmpty(Oracle.RunSeeded(path, 200).Outputs);
    }

    private static long Gzip(byte[] data)
    {
        using var memory = new MemoryStream();
        using (var gzip = new System.IO.Compression.GZipStream(memory, System.IO.Compression.CompressionLevel.Optimal, leaveOpen: true))
        {
            gzip.Write(data);
        }
        return memory.Length;
    }

    [TestMethod]
    public void The_evaluation_cap_stops_the_search_and_the_error_says_so()
    {
        var e = Assert.ThrowsExactly<AutoSearchException>(() => Search(new AutoOptions { Budgets = CosineBudget, MaxEvaluations = 2 }));
        Assert.AreEqual(AutoErrorCodes.NoCandidateMeetsBudgets, e.Code);
        StringAssert.Contains(e.Message, "stopped at the cap of 2");
        StringAssert.Contains(e.Message, "MinCosine");
    }

    [TestMethod]
    public void No_candidate_error_names_the_budget_missed_and_by_how_much()
    {
        var budgets = new AutoBudgets { MaxSize = 20_000, MinCosine = 0.999 };
        var e = Assert.ThrowsExactly<AutoSearchException>(() => Search(new AutoOptions { Budgets = budgets }));
        Assert.AreEqual(AutoErrorCodes.NoCandidateMeetsBudgets, e.Code);
        var miss = e.Misses.Single(m => m.Budget == "MaxSize");
        Assert.AreEqual(20_000, miss.Limit);
        Assert.IsGreaterThan(20_000, miss.Actual);
        StringAssert.Contains(e.Message, "MaxSize");
        StringAssert.Contains(e.Message, "over MaxSize=20KB");
    }

    [TestMethod]
    public void Size_only_budget_needs_no_evaluation_data_and_picks_the_smallest()
    {
        var model = CorpusModels.Read(ModelName);
        var result = AutoOptimizer.Search(model, new AutoOptions { Budgets = new AutoBudgets { MaxSize = 200_000 } }, Samples.Seeded(model, 4), null);
        Assert.AreEqual(0, result.Evaluations);
        Assert.IsLessThanOrEqualTo(200_000, result.Bytes.Length);
        var built = result.Trail.Where(c => c.Bytes > 0).Min(c => c.Bytes);
        Assert.AreEqual(built, result.Bytes.Length);
    }

    [TestMethod]
    public void Options_without_a_budget_or_with_accuracy_budgets_but_no_data_are_coded_errors()
    {
        var model = CorpusModels.Read(ModelName);
        var none = Assert.ThrowsExactly<AutoSearchException>(() => AutoOptimizer.Search(model, new AutoOptions(), null, null));
        Assert.AreEqual(AutoErrorCodes.InvalidAutoOptions, none.Code);
        var noData = Assert.ThrowsExactly<AutoSearchException>(() => AutoOptimizer.Search(model, new AutoOptions { Budgets = CosineBudget }, null, null));
        Assert.AreEqual(AutoErrorCodes.InvalidAutoOptions, noData.Code);
        StringAssert.Contains(noData.Message, "evaluation data");
    }

    [TestMethod]
    public void Budgets_report_each_miss_with_its_shortfall()
    {
        var budgets = new AutoBudgets { MaxSize = 1000, MaxCompressedSize = 500, MinCosine = 0.99, MinSqnrDb = 30 };
        var report = new EvaluationReport(1, [new TensorMetrics("out", null, 0.98, 25, 0, 0)], [], null);
        var misses = budgets.Check(1500, 400, report);
        CollectionAssert.AreEqual(new[] { "MaxSize", "MinCosine", "MinSqnr" }, misses.Select(m => m.Budget).ToArray());
        StringAssert.Contains(misses[0].Message, "the model is 1.5 KB, 500 B over MaxSize=1KB;");
        StringAssert.Contains(misses[1].Message, "cosine similarity of 0.98, 0.01 below MinCosine=0.99;");
        StringAssert.Contains(misses[2].Message, "SQNR of 25 dB, 5 dB below MinSqnr=30 dB;");
        Assert.IsEmpty(budgets.Check(900, 400, new EvaluationReport(1, [new TensorMetrics("out", null, 0.995, 31, 0, 0)], [], null)));
    }
}
