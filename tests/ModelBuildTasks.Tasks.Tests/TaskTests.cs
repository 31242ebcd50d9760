using Microsoft.Build.Framework;
using Microsoft.Build.Utilities;
using ModelBuildTasks.Optimization.ModelCards;
using ModelBuildTasks.Tasks.Tasks;
using ModelBuildTasks.TestSupport;

namespace ModelBuildTasks.Tasks.Tests;

/// <summary>The MSBuild tasks in-process, with a fake engine (the integration tests run them inside real builds).</summary>
[TestClass]
public sealed class TaskTests
{
    private const string Small = "face_detection_short_range";

    private static (TempFolder Temp, string Project, string Models) App(string itemXml)
    {
        var temp = new TempFolder();
        File.Copy(Corpus.GetPath(Small), temp.File($"models/{Small}.tflite"));
        var project = temp.File("App.fsproj", $"<Project>\n  <ItemGroup>\n    {itemXml}\n  </ItemGroup>\n</Project>\n");
        return (temp, project, Path.Combine(temp.Path, "obj", "models") + Path.DirectorySeparatorChar);
    }

    private static TaskItem Item(string spec, params (string Name, string Value)[] metadata)
    {
        var item = new TaskItem(spec);
        foreach (var (name, value) in metadata)
        {
            item.SetMetadata(name, value);
        }

        return item;
    }

    [TestMethod]
    public void PrepareReportsBadMetadataAtTheItemLineAndKeepsTheGoodItems()
    {
        var (temp, project, models) = App($"<ModelItem Include=\"models/{Small}.tflite\" />\n    <ModelItem Include=\"models/other.tflite\" Deploy=\"copy-all\" />");
        using var _ = temp;
        var engine = new FakeBuildEngine();
        var task = new PrepareModelItems
        {
            BuildEngine = engine,
            Items = [Item($"models/{Small}.tflite", ("Optimization", "none")), Item("models/other.tflite", ("Deploy", "copy-all"))],
            ProjectDirectory = temp.Path,
            ProjectFile = project, // items made in tests have no DefiningProjectFullPath
            OutputDirectory = models,
        };
        Assert.IsFalse(task.Execute());
        var error = engine.Errors.Single();
        Assert.AreEqual("MBT4002", error.Code);
        Assert.AreEqual(project, error.File);
        Assert.AreEqual(4, error.LineNumber);
        Assert.AreEqual(5, error.ColumnNumber);
        StringAssert.Contains(error.Message, "Deploy=\"copy-all\" is not valid; use one of: copy, embed, none");

        var state = task.States.Single();
        Assert.AreEqual(Path.Combine(models, Small + ".stamp"), state.ItemSpec);
        Assert.AreEqual(Path.Combine(models, Small + ".modelcard.json"), state.GetMetadata("_MbtCard"));
        Assert.AreEqual("3", state.GetMetadata("_MbtLine"));
        Assert.HasCount(7, task.Writes);
        CollectionAssert.IsSubsetOf(
            new[] { ".recipe.json", ".report.html", ".report.md" }.Select(s => Path.Combine(models, Small + s)).ToArray(),
            task.Writes.Select(w => w.ItemSpec).ToArray());
        Assert.IsTrue(File.Exists(state.ItemSpec));
    }

    [TestMethod]
    public void PrepareRewritesTheStampOnlyWhenAnInputChanges()
    {
        var (temp, project, models) = App($"<ModelItem Include=\"models/{Small}.tflite\" />");
        using var _ = temp;
        PrepareModelItems Prepare(params (string, string)[] metadata) => new()
        {
            BuildEngine = new FakeBuildEngine(),
            Items = [Item($"models/{Small}.tflite", metadata)],
            ProjectDirectory = temp.Path,
            ProjectFile = project, // items made in tests have no DefiningProjectFullPath
            OutputDirectory = models,
        };

        var first = Prepare(("Optimization", "none"));
        Assert.IsTrue(first.Execute());
        var stamp = first.States.Single().ItemSpec;
        // The outputs exist (as after an optimize run): an unchanged input leaves the stamp alone.
        foreach (var suffix in new[] { ".tflite", ".report.json", ".modelcard.json" })
        {
            File.WriteAllText(Path.Combine(models, Small + suffix), "x");
        }

        Assert.IsTrue(Prepare(("Optimization", "none")).Execute());
        var written = File.GetLastWriteTimeUtc(stamp);
        var text = File.ReadAllText(stamp);
        Thread.Sleep(20);
        Assert.IsTrue(Prepare(("Optimization", "none")).Execute());
        Assert.AreEqual(written, File.GetLastWriteTimeUtc(stamp));

        Assert.IsTrue(Prepare(("Optimization", "none"), ("MaxSize", "1MB")).Execute());
        Assert.AreNotEqual(text, File.ReadAllText(stamp));
    }

    [TestMethod]
    public void CheckBudgetsReportsAtTheItemWithTheItemsSeverity()
    {
        using var temp = new TempFolder();
        var card = new ModelCard
        {
            Name = "pose",
            Item = new CardItem { ProjectFile = "/src/App.vbproj", Line = 7, Column = 5 },
            Original = new CardFile { Bytes = 3_000_000 },
            Optimized = new CardFile { Bytes = 2_500_000, GzipBytes = 2_000_000 },
            Budgets = new CardBudgets { MaxSize = 2_000_000 },
        };
        var errorCard = temp.File("pose.modelcard.json");
        ModelCardJson.WriteFile(card, errorCard);
        var warningCard = temp.File("lax.modelcard.json");
        ModelCardJson.WriteFile(card with { Name = "lax", Budgets = card.Budgets with { Severity = "warning" } }, warningCard);
        var brokenCard = temp.File("broken.modelcard.json", "{");

        var engine = new FakeBuildEngine();
        var states = new[] { errorCard, warningCard, brokenCard }.Select(path =>
        {
            var state = new TaskItem(path + ".stamp");
            state.SetMetadata("_MbtCard", path);
            state.SetMetadata("_MbtProjectFile", "/src/App.vbproj");
            state.SetMetadata("_MbtLine", "9");
            return (ITaskItem)state;
        }).ToArray();
        Assert.IsFalse(new CheckModelBudgets { BuildEngine = engine, States = states }.Execute());

        Assert.HasCount(2, engine.Errors);
        var budget = engine.Errors[0];
        Assert.AreEqual(("MBT3001", "/src/App.vbproj", 7, 5), (budget.Code, budget.File, budget.LineNumber, budget.ColumnNumber));
        StringAssert.Contains(budget.Message, "2.5 MB, 500 KB over MaxSize=2MB");
        Assert.AreEqual(("MBT3010", 9), (engine.Errors[1].Code, engine.Errors[1].LineNumber));
        Assert.AreEqual("MBT3001", engine.Warnings.Single().Code);
        StringAssert.StartsWith(engine.Warnings[0].Message, "lax.tflite is ");
    }

    [TestMethod]
    public void OptimizeLogsOneSummaryLinePerModelAndCancelsPromptly()
    {
        var (temp, project, models) = App($"<ModelItem Include=\"models/{Small}.tflite\" />");
        using var _ = temp;
        var prepare = new PrepareModelItems
        {
            BuildEngine = new FakeBuildEngine(),
            Items = [Item($"models/{Small}.tflite", ("Optimization", "none"))],
            ProjectDirectory = temp.Path,
            ProjectFile = project, // items made in tests have no DefiningProjectFullPath
            OutputDirectory = models,
        };
        Assert.IsTrue(prepare.Execute());

        var cancelled = new OptimizeModelItems { BuildEngine = new FakeBuildEngine(), States = prepare.States, ProjectDirectory = temp.Path };
        cancelled.Cancel();
        Assert.IsFalse(cancelled.Execute());
        Assert.IsFalse(File.Exists(Path.Combine(models, Small + ".modelcard.json")));

        var engine = new FakeBuildEngine();
        Assert.IsTrue(new OptimizeModelItems { BuildEngine = engine, States = prepare.States, ProjectDirectory = temp.Path }.Execute());
        var summary = engine.Messages.Single(m => m.Importance == MessageImportance.High);
        StringAssert.StartsWith(summary.Message, $"ModelBuildTasks: {Small}: none 229 KB -> 229.2 KB (100.1 %), fidelity not measured, ");
        Assert.IsTrue(File.Exists(Path.Combine(models, Small + ".modelcard.json")));
    }
}
