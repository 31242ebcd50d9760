using ModelBuildTasks.Model;
using ModelBuildTasks.Model.Format;
using ModelBuildTasks.Optimization.Clustering;
using ModelBuildTasks.Optimization.Pruning;
using ModelBuildTasks.Optimization.Tests.Pruning;
using ModelBuildTasks.TestSupport;

namespace ModelBuildTasks.Optimization.Tests.Clustering;

[TestClass]
public sealed class WeightClustererTests
{
    private static readonly Lazy<ModelGraph> FaceDetection =
        new(() => ModelReader.ReadFile(Corpus.GetPath("face_detection_short_range")));

    private static int Distinct(IEnumerable<float> values) => values.Select(BitConverter.SingleToInt32Bits).Distinct().Count();

    [TestMethod]
    [DataRow(CentroidInitialization.Linear)]
    [DataRow(CentroidInitialization.KMeansPlusPlus)]
    [DataRow(CentroidInitialization.DensityBased)]
    [DataRow(CentroidInitialization.Random)]
    public void EveryTensorHasAtMostNDistinctValues(CentroidInitialization initialization)
    {
        var result = WeightClusterer.Cluster(FaceDetection.Value, new ClusteringOptions { ClusterCount = 16, Initialization = initialization });
        var constants = ModelChecks.Constants(result.Model);
        Assert.IsGreaterThanOrEqualTo(10, result.Tensors.Count);
        foreach (var c in result.Tensors)
        {
            var values = ModelChecks.Values(constants[c.Name]);
            var distinct = Distinct(values);
            Assert.IsLessThanOrEqualTo(16, distinct, c.Name);
            Assert.IsGreaterThan(16, c.UniqueValuesBefore, $"{c.Name} had more values before");
            Assert.AreEqual(distinct, c.UniqueValuesAfter, c.Name);
            // 16 k-means levels keep every weight tensor of this model well above 10 dB.
            Assert.IsGreaterThan(10.0, c.WeightSqnrDb, c.Name);
        }
    }

    [TestMethod]
    public void PerChannelClusteringBoundsEveryChannel()
    {
        var result = WeightClusterer.Cluster(FaceDetection.Value, new ClusteringOptions { ClusterCount = 8, PerChannel = true });
        var constants = ModelChecks.Constants(result.Model);
        foreach (var c in result.Tensors)
        {
            var t = constants[c.Name];
            var values = ModelChecks.Values(t);
            var channels = t.Shape[c.ChannelAxis];
            var inner = t.Shape.Skip(c.ChannelAxis + 1).Aggregate(1, (a, d) => a * d);
            for (var ch = 0; ch < channels; ch++)
            {
                var members = values.Where((_, i) => i / inner % channels == ch);
                Assert.IsLessThanOrEqualTo(8, Distinct(members), $"{c.Name} channel {ch}");
            }
        }
    }

    [TestMethod]
    public void SparsityPreservingClusteringKeepsEveryZeroAndNothingElseBecomesZero()
    {
        var pruned = MagnitudePruner.Prune(FaceDetection.Value, new PruningOptions { TargetSparsity = 0.5 });
        var result = WeightClusterer.Cluster(pruned.Model, new ClusteringOptions { ClusterCount = 8 });
        var before = ModelChecks.Constants(pruned.Model);
        var after = ModelChecks.Constants(result.Model);
        foreach (var c in result.Tensors)
        {
            var b = ModelChecks.Values(before[c.Name]);
            var a = ModelChecks.Values(after[c.Name]);
            for (var i = 0; i < a.Length; i++)
            {
                Assert.AreEqual(b[i] == 0, a[i] == 0, $"{c.Name}[{i}]: zero-ness changed");
            }
            // Zero plus at most 7 centroids.
            Assert.IsLessThanOrEqualTo(8, Distinct(a), c.Name);
        }
    }

    [TestMethod]
    public void ClusteringIsByteIdenticalForTheSameSeedAndDependsOnIt()
    {
        var options = new ClusteringOptions { ClusterCount = 16, Initialization = CentroidInitialization.Random, Seed = 42 };
        var a = ModelWriter.ToBytes(WeightClusterer.Cluster(FaceDetection.Value, options).Model);
        var b = ModelWriter.ToBytes(WeightClusterer.Cluster(FaceDetection.Value, options).Model);
        var c = ModelWriter.ToBytes(WeightClusterer.Cluster(FaceDetection.Value, options with { Seed = 43 }).Model);
        CollectionAssert.AreEqual(a, b);
        CollectionAssert.AreNotEqual(a, c);
    }

    [TestMethod]
    public void ClusteredModelRunsInLiteRtAndCompressesBetter()
    {
        var original = FaceDetection.Value;
        var result = WeightClusterer.Cluster(original, new ClusteringOptions { ClusterCount = 32, PerChannel = true });
        var reference = ModelChecks.RunBothAndCompare(original);
        var clustered = ModelChecks.RunBothAndCompare(result.Model);
        Assert.IsGreaterThan(0.9, ModelChecks.MinCosine(reference, clustered), "32 clusters per channel stay close to the original");
        Assert.IsLessThan(Gzip(ModelWriter.ToBytes(original)), Gzip(ModelWriter.ToBytes(result.Model)));
    }

    [TestMethod]
    public void KMeansFindsTheClustersOfWellSeparatedData()
    {
        // Three tight groups around -1, 0.5 and 4: every initialization must find their means.
        var values = new List<float>();
        var random = new Random(5);
        foreach (var centre in new[] { -1f, 0.5f, 4f })
        {
            for (var i = 0; i < 200; i++)
            {
                values.Add(centre + (float)(random.NextDouble() - 0.5) * 0.01f);
            }
        }
        foreach (var init in Enum.GetValues<CentroidInitialization>())
        {
            var centroids = KMeans1D.Fit(values.ToArray(), 3, init, seed: 1);
            Assert.HasCount(3, centroids, $"{init}: [{string.Join(", ", centroids)}]");
            Assert.AreEqual(-1, centroids[0], 0.005, init.ToString());
            Assert.AreEqual(0.5, centroids[1], 0.005, init.ToString());
            Assert.AreEqual(4, centroids[2], 0.005, init.ToString());
        }
        // Fewer distinct values than clusters: they are the centroids, nothing is lost.
        CollectionAssert.AreEqual(new[] { 1f, 2f }, KMeans1D.Fit([2f, 1f, 2f, 1f], 8, CentroidInitialization.Linear, 0));
    }

    [TestMethod]
    public void ClusterPreservingInt8KeepsAtMostNCodes()
    {
        var weights = new float[64 * 9];
        var random = new Random(3);
        for (var i = 0; i < weights.Length; i++)
        {
            weights[i] = (float)(random.NextDouble() * 2 - 1) * (1 + i % 64);
        }
        int[] shape = [64, 3, 3, 1];
        var perTensor = (float[])weights.Clone();
        WeightClusterer.ClusterValues(perTensor, shape, -1, 16, CentroidInitialization.KMeansPlusPlus, true, 0);
        var q = ClusterPreservingQuantizer.Quantize(perTensor, shape, -1);
        Assert.HasCount(1, q.Scales, "per-tensor clusters need one scale");
        Assert.IsLessThanOrEqualTo(16, ClusterPreservingQuantizer.UniqueCodes(q.Values));
        // Plain per-channel quantization of the same weights would break the bound.
        var perChannel = Quantization.SymmetricQuantizer.PerChannel(perTensor, shape, 0);
        Assert.IsGreaterThan(16, ClusterPreservingQuantizer.UniqueCodes(perChannel.Values));

        var channelClustered = (float[])weights.Clone();
        WeightClusterer.ClusterValues(channelClustered, shape, 0, 4, CentroidInitialization.Linear, true, 0);
        var qc = ClusterPreservingQuantizer.Quantize(channelClustered, shape, 0);
        Assert.HasCount(64, qc.Scales);
        for (var c = 0; c < 64; c++)
        {
            Assert.IsLessThanOrEqualTo(4, ClusterPreservingQuantizer.UniqueCodes(qc.Values.AsSpan(c * 9, 9)), $"channel {c}");
        }
    }

    [TestMethod]
    public void BadOptionsAreCodedErrors()
    {
        foreach (var options in new[]
                 {
                     new ClusteringOptions { ClusterCount = 1 },
                     new ClusteringOptions { ClusterCount = 300 },
                     new ClusteringOptions { Rules = [new ClusteringRule { ClusterCount = 1 }] },
                     new ClusteringOptions { Rules = [new ClusteringRule { TensorName = "[" }] },
                 })
        {
            var e = Assert.ThrowsExactly<OptimizationException>(() => WeightClusterer.Cluster(FaceDetection.Value, options));
            Assert.AreEqual(OptimizationErrorCodes.InvalidOptions, e.Code);
        }
        Assert.AreEqual(CentroidInitialization.KMeansPlusPlus, ClusteringOptions.ParseInitialization("KMEANS++"));
        Assert.AreEqual(CentroidInitialization.DensityBased, ClusteringOptions.ParseInitialization("density_based"));
        Assert.AreEqual(CentroidInitialization.Linear, ClusteringOptions.ParseInitialization(" linear "));
        var bad = Assert.ThrowsExactly<OptimizationException>(() => ClusteringOptions.ParseInitialization("spectral"));
        Assert.AreEqual(OptimizationErrorCodes.InvalidOptions, bad.Code);
    }

    private static long Gzip(byte[] bytes)
    {
        using var ms = new MemoryStream();
        using (var z = new System.IO.Compression.GZipStream(ms, System.IO.Compression.CompressionLevel.SmallestSize, leaveOpen: true))
        {
            z.Write(bytes);
        }
        return ms.Length;
    }
}
