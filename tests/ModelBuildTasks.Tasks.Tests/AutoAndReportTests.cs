using Microsoft.Build.Framework;
using Microsoft.Build.Utilities;
using ModelBuildTasks.Optimization;
using ModelBuildTasks.Optimization.Auto;
using ModelBuildTasks.Optimization.ModelCards;
using ModelBuildTasks.Optimization.Reporting.Report;
using ModelBuildTasks.Tasks.Optimize;
using ModelBuildTasks.Tasks.Settings;
using ModelBuildTasks.Tasks.Tasks;
using ModelBuildTasks.TestSupport;
using OptimizationKind = ModelBuildTasks.Optimization.Optimization;

namespace ModelBuildTasks.Tasks.Tests;

/// <summary>Optimization="auto" and the Report metadata: the mapping onto the engine and the files the task writes.</summary>
[TestClass]
public sealed class AutoAndReportTests
{
    private const string Small = "face_detection_short_range";

    private static (ModelItemSettings? Settings, List<SettingsError> Errors) Parse(Dictionary<string, string> metadata, Dictionary<string, string>? defaults = null)
    {
        var errors = new List<SettingsError>();
        var settings = ModelItemParser.Parse("models/pose.tflite", metadata, defaults ?? new(), Path.GetTempPath(), errors);
        return (settings, errors);
    }

    [TestMethod]
    public void AutoItemsMapTheirBudgetsTargetAndSharedSettingsOntoTheSearch()
    {
        var (settings, errors) = Parse(new()
        {
            ["Optimization"] = "auto", ["TargetDevice"] = "gpu", ["MaxSize"] = "2MB", ["MaxCompressedSize"] = "1.5MB",
            ["MinCosine"] = "0.995", ["MinSqnr"] = "25dB", ["Calibration"] = "percentile", ["EvaluationSamples"] = "12",
        });
        Assert.IsEmpty(errors);
        Assert.AreEqual("auto", settings!.Optimization);

        var engineErrors = new List<SettingsError>();
        var engine = EngineOptions.Create(settings, engineErrors);
        Assert.IsEmpty(engineErrors, "auto is no longer MBT4007");
        Assert.IsNotNull(engine);
        Assert.AreEqual(OptimizationTarget.Gpu, engine.Target);
        Assert.AreEqual(CalibrationMethod.Percentile, engine.Calibration);

        var auto = AutoSearchOptions.Create(settings, engine, 12);
        Assert.AreSame(engine, auto.Base);
        Assert.AreEqual(OptimizationTarget.Gpu, auto.Target);
        Assert.AreEqual(12, auto.MaxEvaluationSamples);
        Assert.AreEqual(2_000_000L, auto.Budgets.MaxSize);
        Assert.AreEqual(1_500_000L, auto.Budgets.MaxCompressedSize);
        Assert.AreEqual(0.995, auto.Budgets.MinCosine);
        Assert.AreEqual(25.0, auto.Budgets.MinSqnrDb);
        Assert.IsNull(auto.Budgets.MaxAccuracyDrop);
        Assert.AreEqual(OptimizationKind.Float16, AutoOptions.SchemesFor(auto.Target)[0]);
    }

    [TestMethod]
    public void AutoWithoutABudgetIsACodedConflict()
    {
        var (settings, errors) = Parse(new() { ["Optimization"] = "auto" });
        Assert.IsNull(settings);
        var error = errors.Single();
        Assert.AreEqual(TaskErrorCodes.Conflict, error.Code);
        StringAssert.Contains(error.Message, "MaxSize, MaxCompressedSize, MaxAccuracyDrop, MinCosine or MinSqnr");
    }

    [TestMethod]
    public void ReportFormatComesFromTheItemThenTheProjectAndIsChecked()
    {
        Assert.AreEqual("json", Parse(new()).Settings!.ReportFormat);
        Assert.AreEqual("html", Parse(new() { ["Report"] = "HTML" }).Settings!.ReportFormat);
        Assert.AreEqual("md", Parse(new(), new() { ["Report"] = "md" }).Settings!.ReportFormat);
        Assert.AreEqual("json", Parse(new() { ["Report"] = "json" }, new() { ["Report"] = "html" }).Settings!.ReportFormat);

        var (settings, errors) = Parse(new() { ["Report"] = "pdf" });
        Assert.IsNull(settings);
        Assert.AreEqual(TaskErrorCodes.InvalidChoice, errors.Single().Code);
        StringAssert.Contains(errors[0].Message, "json, html, md");
    }

    [TestMethod]
    public void TheTaskRunsTheSearchAndWritesModelRecipeAndReports()
    {
        using var temp = new TempFolder();
        File.Copy(Corpus.GetPath(Small), temp.File($"models/{Small}.tflite"));
        var project = temp.File("App.csproj", "<Project />\n");
        var models = Path.Combine(temp.Path, "obj", "models") + Path.DirectorySeparatorChar;
        var item = new TaskItem($"models/{Small}.tflite");
        item.SetMetadata("Optimization", "auto");
        item.SetMetadata("MinCosine", "0.99");
        item.SetMetadata("Report", "html");
        var prepare = new PrepareModelItems { BuildEngine = new FakeBuildEngine(), Items = [item], ProjectDirectory = temp.Path, ProjectFile = project, OutputDirectory = models };
        Assert.IsTrue(prepare.Execute());
        var engine = new FakeBuildEngine();
        Assert.IsTrue(new OptimizeModelItems { BuildEngine = engine, States = prepare.States, ProjectDirectory = temp.Path }.Execute(),
            string.Join("\n", engine.Errors.Select(e => e.Message)));

        string Output(string suffix) => Path.Combine(models, Small + suffix);
        var report = OptimizationReport.FromJson(File.ReadAllText(Output(".report.json")));
        var card = ModelCardJson.ReadFile(Output(".modelcard.json"));
        var recipe = AutoRecipe.Parse(File.ReadAllText(Output(".recipe.json")));

        // The card names the scheme the search chose, the recipe pins it, and the report records the search.
        Assert.AreEqual(AutoConfig.SchemeName(recipe.Scheme), card.Optimization);
        Assert.AreNotEqual("auto", card.Optimization);
        Assert.AreEqual("auto", report.Settings.Optimization);
        Assert.IsNotNull(report.Auto);
        Assert.IsNotEmpty(report.Auto.Trail);
        Assert.AreEqual(1, report.Auto.Trail.Count(c => c.Accepted));
        Assert.AreEqual(File.ReadAllText(Output(".recipe.json")), report.Auto.Recipe);

        // The figures agree with the file written and meet the budget.
        var written = new FileInfo(Output(".tflite")).Length;
        Assert.AreEqual(written, report.Output.Bytes);
        Assert.AreEqual(written, card.Optimized!.Bytes);
        Assert.IsTrue(report.Output.BrotliBytes > 0 && report.Output.BrotliBytes < written);
        Assert.IsTrue(report.Output.GzipBytes > 0 && report.Output.GzipBytes < written);
        Assert.IsTrue(written < report.Input.Bytes);
        var cosine = report.Budgets.Single();
        Assert.AreEqual(("MinCosine", 0.99, true), (cosine.Budget, cosine.Limit, cosine.Met));
        Assert.IsTrue(report.Evaluation!.MinCosine >= 0.99);
        Assert.IsTrue(card.Metrics!.MinCosine >= 0.99);
        Assert.IsNotEmpty(report.LayerErrors);

        StringAssert.Contains(File.ReadAllText(Output(".report.html")), "<svg");
        Assert.IsFalse(File.Exists(Output(".report.md")));
        var summary = engine.Messages.Single(m => m.Importance == MessageImportance.High);
        StringAssert.Contains(summary.Message, $"{Small}: auto chose {report.Auto.Chosen} ");
    }

    [TestMethod]
    public void AnAutoSearchThatCannotMeetTheBudgetsFailsAtTheItemAndWritesNothing()
    {
        using var temp = new TempFolder();
        File.Copy(Corpus.GetPath(Small), temp.File($"models/{Small}.tflite"));
        var project = temp.File("App.csproj", "<Project />\n");
        var models = Path.Combine(temp.Path, "obj", "models") + Path.DirectorySeparatorChar;
        var item = new TaskItem($"models/{Small}.tflite");
        item.SetMetadata("Optimization", "auto");
        item.SetMetadata("MaxSize", "1KB");
        var prepare = new PrepareModelItems { BuildEngine = new FakeBuildEngine(), Items = [item], ProjectDirectory = temp.Path, ProjectFile = project, OutputDirectory = models };
        Assert.IsTrue(prepare.Execute());
        var engine = new FakeBuildEngine();
        Assert.IsFalse(new OptimizeModelItems { BuildEngine = engine, States = prepare.States, ProjectDirectory = temp.Path }.Execute());

        var error = engine.Errors.Single();
        Assert.AreEqual(AutoErrorCodes.NoCandidateMeetsBudgets, error.Code);
        Assert.AreEqual(project, error.File);
        StringAssert.Contains(error.Message, "MaxSize");
        foreach (var suffix in new[] { ".tflite", ".report.json", ".recipe.json", ".modelcard.json" })
        {
            Assert.IsFalse(File.Exists(Path.Combine(models, Small + suffix)), suffix);
        }
    }

    [TestMethod]
    public void ReportMdWritesTheMarkdownSummaryAndDroppingItRemovesTheFile()
    {
        using var temp = new TempFolder();
        File.Copy(Corpus.GetPath(Small), temp.File($"models/{Small}.tflite"));
        var project = temp.File("App.csproj", "<Project />\n");
        var models = Path.Combine(temp.Path, "obj", "models") + Path.DirectorySeparatorChar;
        var markdown = Path.Combine(models, Small + ".report.md");
        void Build(string? format, params string[] defaults)
        {
            var item = new TaskItem($"models/{Small}.tflite");
            item.SetMetadata("Optimization", "float16");
            if (format is not null)
            {
                item.SetMetadata("Report", format);
            }

            var prepare = new PrepareModelItems { BuildEngine = new FakeBuildEngine(), Items = [item], ProjectDirectory = temp.Path, ProjectFile = project, OutputDirectory = models, Defaults = defaults };
            Assert.IsTrue(prepare.Execute());
            Assert.IsTrue(new OptimizeModelItems { BuildEngine = new FakeBuildEngine(), States = prepare.States, ProjectDirectory = temp.Path, Defaults = defaults }.Execute());
        }

        // The project-wide ModelReportFormat reaches the task as the Report default.
        Build(null, "Report=md");
        var report = OptimizationReport.FromJson(File.ReadAllText(Path.Combine(models, Small + ".report.json")));
        Assert.AreEqual("float16", report.Settings.Optimization);
        Assert.IsNull(report.Auto);
        Assert.IsFalse(File.Exists(Path.Combine(models, Small + ".recipe.json")), "only auto writes a recipe");
        var text = File.ReadAllText(markdown);
        StringAssert.Contains(text, "float16");
        StringAssert.Contains(text, Small);

        Build("json");
        Assert.IsFalse(File.Exists(markdown), "a rendering no longer asked for is removed");
        Assert.IsTrue(File.Exists(Path.Combine(models, Small + ".report.json")));
    }
}
