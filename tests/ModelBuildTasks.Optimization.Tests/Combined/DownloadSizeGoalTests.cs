using System.IO.Compression;
using ModelBuildTasks.Model.Format;
using ModelBuildTasks.Optimization.Pruning;
using ModelBuildTasks.Optimization.Tests.Pruning;
using ModelBuildTasks.Optimization.Tests.Support;
using ModelBuildTasks.TestSupport;

namespace ModelBuildTasks.Optimization.Tests.Combined;

/// <summary>The goal on a real model, once: pruned 50 % + int8, gzip-compressed, at most 0.15x the float32 original.</summary>
[TestClass]
public sealed class DownloadSizeGoalTests
{
    private const double MinCosine = 0.3; // measured 0.55 (post-training pruning without fine-tuning); a broken model is near 0

    private static long GzipBytes(byte[] data)
    {
        using var buffer = new MemoryStream();
        using (var gzip = new GZipStream(buffer, CompressionLevel.Optimal, leaveOpen: true))
        {
            gzip.Write(data);
        }
        return buffer.Length;
    }

    [TestMethod]
    public void HandLandmarkPrunedHalfInt8GzipIsAtMostFifteenPercentOfFloat32()
    {
        var model = CorpusModels.Read("hand_landmark_full");
        var float32 = ModelWriter.ToBytes(Optimizer.Optimize(model, OptimizationOptions.For(Optimization.Float32)).Model);
        var options = OptimizationOptions.For(Optimization.Int8) with { Pruning = new PruningOptions { TargetSparsity = 0.5 } };
        var result = Optimizer.Optimize(model, options, Samples.Seeded(model, 2));
        var gzip = GzipBytes(ModelWriter.ToBytes(result.Model));

        var ratio = gzip / (double)float32.Length;
        Assert.IsLessThanOrEqualTo(0.15, ratio, $"gzip {gzip} bytes against float32 {float32.Length} bytes");
        // It still loads and runs in LiteRT, near the float original (figures for every combination are in the notes).
        var path = ModelChecks.WriteTemp(result.Model);
        try
        {
            var reference = Oracle.RunSeeded(Corpus.GetPath("hand_landmark_full"), 11);
            var pruned = Oracle.RunSeeded(path, 11);
            Assert.IsGreaterThan(MinCosine, Fidelity.Compare(reference, pruned).MinCosine);
        }
        finally
        {
            File.Delete(path);
        }
    }
}
