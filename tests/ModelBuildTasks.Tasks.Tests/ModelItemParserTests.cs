using ModelBuildTasks.Tasks.Settings;
using ModelBuildTasks.TestSupport;

namespace ModelBuildTasks.Tasks.Tests;

[TestClass]
public sealed class ModelItemParserTests
{
    private static readonly Dictionary<string, string> NoDefaults = new();

    private static (ModelItemSettings? Settings, List<SettingsError> Errors) Parse(
        Dictionary<string, string> metadata, Dictionary<string, string>? defaults = null, string? projectDir = null)
    {
        var errors = new List<SettingsError>();
        var settings = ModelItemParser.Parse("models/pose.tflite", metadata, defaults ?? NoDefaults, projectDir ?? Path.GetTempPath(), errors);
        return (settings, errors);
    }

    [TestMethod]
    public void BareItemGetsDynamicRangeOnCpuAndEverythingElseAtItsDefault()
    {
        var (s, errors) = Parse(new());
        Assert.IsEmpty(errors);
        Assert.IsNotNull(s);
        Assert.AreEqual("dynamic", s.Optimization);
        Assert.AreEqual("cpu", s.Target);
        Assert.AreEqual("pose", s.Name);
        Assert.AreEqual("copy", s.Deploy);
        Assert.AreEqual("pose.tflite", s.DeployedFile);
        Assert.IsNull(s.ResourceName);
        Assert.IsTrue(s.GenerateWrapper);
        Assert.AreEqual("error", s.BudgetSeverity);
        Assert.IsNull(s.InputType);
        Assert.AreEqual("minmax", s.Calibration);
        Assert.IsTrue(s.HybridOps);
        Assert.IsNull(s.MaxSize);
        Assert.AreEqual(Path.GetFullPath(Path.Combine(Path.GetTempPath(), "models/pose.tflite")), s.ModelPath);
    }

    [TestMethod]
    public void GpuDefaultsToFloat16()
    {
        var (s, errors) = Parse(new() { ["TargetDevice"] = "GPU" });
        Assert.IsEmpty(errors);
        Assert.AreEqual("float16", s!.Optimization);
        Assert.AreEqual("gpu", s.Target);
    }

    [TestMethod]
    public void RepresentativeDataMakesTheDefaultFullInteger()
    {
        using var temp = new TempFolder();
        Directory.CreateDirectory(Path.Combine(temp.Path, "calib"));
        var (s, errors) = Parse(new() { ["RepresentativeData"] = "calib" }, projectDir: temp.Path);
        Assert.IsEmpty(errors);
        Assert.AreEqual("int8", s!.Optimization);
        Assert.AreEqual(Path.Combine(temp.Path, "calib"), s.RepresentativeData);
    }

    [TestMethod]
    public void EdgeTpuWithoutDataIsACodedConflict()
    {
        var (s, errors) = Parse(new() { ["TargetDevice"] = "edgetpu" });
        Assert.IsNull(s);
        Assert.AreEqual(TaskErrorCodes.Conflict, errors.Single().Code);
        StringAssert.Contains(errors[0].Message, "RepresentativeData");
    }

    [TestMethod]
    public void Int8WithoutDataIsACodedConflict()
    {
        var (s, errors) = Parse(new() { ["Optimization"] = "int8" });
        Assert.IsNull(s);
        Assert.AreEqual(TaskErrorCodes.Conflict, errors.Single().Code);
    }

    [TestMethod]
    public void UnknownMetadataIsAnErrorWithAHint()
    {
        var (s, errors) = Parse(new() { ["Optimisation"] = "float16", ["_MbtName"] = "internal", ["OriginalItemSpec"] = "x" });
        Assert.IsNull(s);
        var error = errors.Single();
        Assert.AreEqual(TaskErrorCodes.UnknownMetadata, error.Code);
        StringAssert.Contains(error.Message, "'Optimisation'");
        StringAssert.Contains(error.Message, "did you mean 'Optimization'");
    }

    [TestMethod]
    public void EveryProblemIsReportedAtOnceWithItsCode()
    {
        var (s, errors) = Parse(new()
        {
            ["Optimization"] = "int4",
            ["MaxSize"] = "2XB",
            ["MinCosine"] = "1.5",
            ["Cluster"] = "1",
            ["Labels"] = "no/such/labels.csv",
            ["ClassName"] = "9Lives",
            ["GenerateWrapper"] = "yes",
        });
        Assert.IsNull(s);
        var codes = errors.Select(e => e.Code).ToList();
        CollectionAssert.Contains(codes, TaskErrorCodes.InvalidChoice);
        CollectionAssert.Contains(codes, TaskErrorCodes.InvalidSize);
        CollectionAssert.Contains(codes, TaskErrorCodes.InvalidNumber);
        CollectionAssert.Contains(codes, TaskErrorCodes.FileNotFound);
        Assert.HasCount(7, errors);
        StringAssert.Contains(errors.Single(e => e.Code == TaskErrorCodes.InvalidSize).Message, "MaxSize=\"2XB\"");
        StringAssert.Contains(errors.First(e => e.Message.Contains("Optimization")).Message, "none, float16, dynamic, int8, int16x8, auto");
    }

    [TestMethod]
    public void BudgetsParseFractionsPercentagesAndUnits()
    {
        using var temp = new TempFolder();
        temp.File("baseline.json", "{\"bytes\": 1000}");
        var (s, errors) = Parse(new()
        {
            ["MaxSize"] = "1.5MiB",
            ["MaxCompressedSize"] = "900KB",
            ["MaxAccuracyDrop"] = "1%",
            ["MinCosine"] = "0.99",
            ["MinSqnr"] = "30 dB",
            ["Baseline"] = "baseline.json",
            ["MaxSizeGrowth"] = "0.05",
            ["BudgetSeverity"] = "Warning",
        }, projectDir: temp.Path);
        Assert.IsEmpty(errors);
        Assert.AreEqual(1_572_864L, s!.MaxSize);
        Assert.AreEqual(900_000L, s.MaxCompressedSize);
        Assert.AreEqual(0.01, s.MaxAccuracyDrop!.Value, 1e-12);
        Assert.AreEqual(0.99, s.MinCosine);
        Assert.AreEqual(30.0, s.MinSqnrDb);
        Assert.AreEqual(0.05, s.MaxSizeGrowth);
        Assert.AreEqual("warning", s.BudgetSeverity);
    }

    [TestMethod]
    public void ProjectDefaultsApplyAndItemMetadataWins()
    {
        var defaults = new Dictionary<string, string> { ["Optimization"] = "float16", ["BudgetSeverity"] = "warning", ["Deploy"] = "embed" };
        var (s, errors) = Parse(new() { ["Deploy"] = "none" }, defaults);
        Assert.IsEmpty(errors);
        Assert.AreEqual("float16", s!.Optimization);
        Assert.AreEqual("warning", s.BudgetSeverity);
        Assert.AreEqual("none", s.Deploy);
        Assert.IsNull(s.DeployedFile);
    }

    [TestMethod]
    public void ABadProjectDefaultSaysItIsOne()
    {
        var (_, errors) = Parse(new(), new Dictionary<string, string> { ["TargetDevice"] = "tpu" });
        StringAssert.Contains(errors.Single().Message, "(project default)");
    }

    [TestMethod]
    public void EmbedGetsAStableResourceName()
    {
        var (s, _) = Parse(new() { ["Deploy"] = "embed", ["ClassName"] = "PoseModel", ["Namespace"] = "My.App.Models" });
        Assert.AreEqual("ModelBuildTasks.Models.pose.tflite", s!.ResourceName);
        Assert.AreEqual("PoseModel", s.ClassName);
        Assert.AreEqual("My.App.Models", s.Namespace);
    }

    [TestMethod]
    public void HybridOpsCanBeTurnedOffForDynamicRange()
    {
        var (s, errors) = Parse(new() { ["Optimization"] = "dynamic", ["HybridOps"] = "False" });
        Assert.IsEmpty(errors);
        Assert.IsFalse(s!.HybridOps);
        var engine = Optimize.EngineOptions.Create(s, errors)!;
        Assert.IsFalse(engine.DynamicRangeHybridOps);
        Assert.AreEqual(Optimization.Optimization.Dynamic, engine.Optimization);
    }

    [TestMethod]
    public void GrowthWithoutBaselineIsAConflict()
    {
        var (_, errors) = Parse(new() { ["MaxSizeGrowth"] = "5%" });
        Assert.AreEqual(TaskErrorCodes.Conflict, errors.Single().Code);
    }
}
