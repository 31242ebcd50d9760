using ModelBuildTasks.Optimization.Clustering;
using ModelBuildTasks.Optimization.Pruning;
using ModelBuildTasks.Tasks.Optimize;
using ModelBuildTasks.Tasks.Settings;

namespace ModelBuildTasks.Tasks.Tests;

/// <summary>Prune/PrunePattern/Cluster/ClusterInit item metadata mapped onto the engine's pruning and clustering options.</summary>
[TestClass]
public sealed class PruneClusterMetadataTests
{
    private static (Optimization.OptimizationOptions? Options, List<SettingsError> Errors) Map(Dictionary<string, string> metadata)
    {
        var errors = new List<SettingsError>();
        var settings = ModelItemParser.Parse("models/pose.tflite", metadata, new Dictionary<string, string>(), Path.GetTempPath(), errors);
        return (settings is null ? null : EngineOptions.Create(settings, errors), errors);
    }

    [TestMethod]
    public void PruneAndClusterMapOntoEngineOptions()
    {
        var (options, errors) = Map(new()
        {
            ["Optimization"] = "float16",
            ["Prune"] = "75%",
            ["PrunePattern"] = "Block:4x1",
            ["Cluster"] = "32",
            ["ClusterInit"] = "linear",
        });
        Assert.IsEmpty(errors, string.Join("; ", errors));
        Assert.IsNotNull(options);
        Assert.AreEqual(0.75, options.Pruning!.TargetSparsity, 1e-12);
        Assert.AreEqual(SparsityPattern.Block(4, 1), options.Pruning.Pattern);
        Assert.AreEqual(32, options.Clustering!.ClusterCount);
        Assert.AreEqual(CentroidInitialization.Linear, options.Clustering.Initialization);
        Assert.AreEqual(Optimization.Optimization.Float16, options.Optimization);
    }

    [TestMethod]
    public void WithoutPruneOrClusterNothingIsPrunedOrClustered()
    {
        var (options, errors) = Map(new() { ["Optimization"] = "dynamic" });
        Assert.IsEmpty(errors);
        Assert.IsNull(options!.Pruning);
        Assert.IsNull(options.Clustering);
    }

    [TestMethod]
    [DataRow("block", "block:1x4")]
    [DataRow("BLOCK:1X4", "block:1x4")]
    [DataRow("unstructured", "unstructured")]
    public void PrunePatternIsNormalized(string written, string expected)
    {
        var (options, errors) = Map(new() { ["Prune"] = "0.5", ["PrunePattern"] = written });
        Assert.IsEmpty(errors, string.Join("; ", errors));
        Assert.AreEqual(expected, options!.Pruning!.Pattern.ToString());
        Assert.AreEqual(0.5, options.Pruning.TargetSparsity, 1e-12);
    }

    [TestMethod]
    public void NOfMPatternAloneFixesItsSparsity()
    {
        var (options, errors) = Map(new() { ["PrunePattern"] = "2:4" });
        Assert.IsEmpty(errors, string.Join("; ", errors));
        Assert.AreEqual(SparsityPattern.NOfM(2, 4), options!.Pruning!.Pattern);
        Assert.AreEqual(0.5, options.Pruning.TargetSparsity, 1e-12);
    }

    [TestMethod]
    public void ClusterInitWordsMapToInitializations()
    {
        var expected = new Dictionary<string, CentroidInitialization>
        {
            ["kmeans++"] = CentroidInitialization.KMeansPlusPlus,
            ["linear"] = CentroidInitialization.Linear,
            ["density"] = CentroidInitialization.DensityBased,
            ["random"] = CentroidInitialization.Random,
        };
        foreach (var (word, init) in expected)
        {
            var (options, errors) = Map(new() { ["Cluster"] = "16", ["ClusterInit"] = word });
            Assert.IsEmpty(errors, word);
            Assert.AreEqual(init, options!.Clustering!.Initialization, word);
        }
    }

    [TestMethod]
    [DataRow("Prune", "0.5", "PrunePattern", "3x", TaskErrorCodes.InvalidChoice)]
    [DataRow("Prune", "0.75", "PrunePattern", "2:4", TaskErrorCodes.Conflict)]
    [DataRow("Prune", "1.5", "PrunePattern", "unstructured", TaskErrorCodes.InvalidNumber)]
    [DataRow("PrunePattern", "block:1x4", "Optimization", "dynamic", TaskErrorCodes.Conflict)]
    [DataRow("Cluster", "1", "ClusterInit", "linear", TaskErrorCodes.InvalidNumber)]
    [DataRow("ClusterInit", "random", "Optimization", "dynamic", TaskErrorCodes.Conflict)]
    public void BadCombinationsAreCodedErrors(string name1, string value1, string name2, string value2, string code)
    {
        var (options, errors) = Map(new() { [name1] = value1, [name2] = value2 });
        Assert.IsNull(options);
        Assert.IsTrue(errors.Any(e => e.Code == code), string.Join("; ", errors.Select(e => $"{e.Code} {e.Message}")));
        Assert.IsFalse(errors.Any(e => e.Code == TaskErrorCodes.NotAvailable), "Prune/Cluster are supported now");
    }
}
