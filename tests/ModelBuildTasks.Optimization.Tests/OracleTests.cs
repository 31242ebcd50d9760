using ModelBuildTasks.Model.Format;
using ModelBuildTasks.Optimization.Tests.Support;
using ModelBuildTasks.TestSupport;

namespace ModelBuildTasks.Optimization.Tests;

/// <summary>
/// Every corpus model in every quantized form loads and runs in LiteRT (the oracle), with sizes and fidelity measured
/// against the float32 form on a held-out seeded input (calibration uses other seeds).
/// </summary>
[TestClass]
public sealed class OracleTests
{
    private const int HeldOutSeed = 1;

    /// <summary>Models whose outputs stay informative on noise input, so fidelity bars apply.</summary>
    private static readonly HashSet<string> Detectors = ["face_detection_short_range", "face_detection_full_range", "face_detection_full_range_sparse"];

    public TestContext TestContext { get; set; } = null!;

    [TestMethod]
    public void WeightOnlyDynamicRangeReachesTheFidelityBar()
    {
        using var temp = new TempFolder();
        const string name = "face_detection_short_range";
        var float32 = CorpusModels.Float32(name);
        ModelWriter.WriteFile(float32, temp.File("float32.tflite"));
        var options = OptimizationOptions.For(Optimization.Dynamic) with { DynamicRangeHybridOps = false };
        ModelWriter.WriteFile(Optimizer.Optimize(float32, options).Model, temp.File("dynamic.tflite"));
        var inputs = Samples.Seeded(float32, 1, HeldOutSeed).Read().Single().Inputs;
        var (cosine, sqnr) = Fidelity.Compare(Oracle.Run(temp.File("float32.tflite"), inputs), Oracle.Run(temp.File("dynamic.tflite"), inputs));
        TestContext.WriteLine(FormattableString.Invariant($"{name} dynamic without hybrid ops: min cosine {cosine:F5}, mean SQNR {sqnr:F1} dB"));
        Assert.IsTrue(cosine >= 0.999, $"cosine {cosine}");
    }

    [TestMethod]
    [DynamicData(nameof(CorpusModels.Names), typeof(CorpusModels))]
    public void QuantizedFormsRunInLiteRtWithExpectedSizeAndFidelity(string name)
    {
        using var temp = new TempFolder();
        var float32 = CorpusModels.Float32(name);
        var referencePath = temp.File("float32.tflite");
        ModelWriter.WriteFile(float32, referencePath);
        // The held-out input, generated here exactly as the oracle's --seed would (no extra node process).
        var inputs = Samples.Seeded(float32, 1, HeldOutSeed).Read().Single().Inputs;
        var reference = Oracle.Run(referencePath, inputs);
        var referenceBytes = new FileInfo(referencePath).Length;
        var calibrationSamples = name == "pose_landmark_heavy" ? 2 : Detectors.Contains(name) ? 16 : 4;
        var data = Samples.Seeded(float32, calibrationSamples);

        var figures = new Dictionary<Optimization, (double Ratio, double Cosine, double Sqnr)>();
        foreach (var optimization in new[] { Optimization.Float16, Optimization.Dynamic, Optimization.Int8, Optimization.Int16x8 })
        {
            var result = Optimizer.Optimize(CorpusModels.Read(name), OptimizationOptions.For(optimization), data);
            var path = temp.File($"{optimization}.tflite");
            ModelWriter.WriteFile(result.Model, path);
            var candidate = Oracle.Run(path, inputs); // throws (exit code 2) when LiteRT cannot load or resolve an op
            Assert.AreEqual(reference.Outputs.Count, candidate.Outputs.Count);
            var (cosine, sqnr) = Fidelity.Compare(reference, candidate);
            figures[optimization] = (new FileInfo(path).Length / (double)referenceBytes, cosine, sqnr);
            TestContext.WriteLine(FormattableString.Invariant(
                $"{name} {optimization}: {new FileInfo(path).Length} bytes = {figures[optimization].Ratio:F3} x float32, min cosine {cosine:F5}, mean SQNR {sqnr:F1} dB"));
        }

        Assert.IsTrue(figures[Optimization.Float16].Cosine >= 0.9999, $"float16 cosine {figures[Optimization.Float16].Cosine}");
        // Small and sparse models keep fixed overhead (structure, sparse indices) that float16 does not halve.
        Assert.IsTrue(figures[Optimization.Float16].Ratio <= (referenceBytes > 10_000_000 ? 0.51 : 0.7), $"float16 ratio {figures[Optimization.Float16].Ratio}");
        if (referenceBytes > 10_000_000)
        {
            // Conv-heavy models; the rest over 0.25 is TFLite's per-channel parameters (a float scale and an int64 zero point per channel).
            Assert.IsTrue(figures[Optimization.Dynamic].Ratio <= 0.29, $"dynamic ratio {figures[Optimization.Dynamic].Ratio}");
            Assert.IsTrue(figures[Optimization.Int8].Ratio <= 0.31, $"int8 ratio {figures[Optimization.Int8].Ratio}");
        }
        if (Detectors.Contains(name))
        {
            Assert.IsTrue(figures[Optimization.Dynamic].Cosine >= 0.997, $"dynamic cosine {figures[Optimization.Dynamic].Cosine}");
            Assert.IsTrue(figures[Optimization.Int8].Cosine >= 0.98, $"int8 cosine {figures[Optimization.Int8].Cosine}");
            Assert.IsTrue(figures[Optimization.Int16x8].Cosine >= 0.99, $"16x8 cosine {figures[Optimization.Int16x8].Cosine}");
            Assert.IsTrue(figures[Optimization.Int16x8].Sqnr > figures[Optimization.Int8].Sqnr,
                $"16x8 SQNR {figures[Optimization.Int16x8].Sqnr:F1} dB is not above int8's {figures[Optimization.Int8].Sqnr:F1} dB");
        }
        else
        {
            // Landmark and segmentation models on noise input: some outputs (world landmarks, near-empty masks) amplify
            // int8 weight error, so only a floor that catches broken quantization applies here; figures are in the report.
            Assert.IsTrue(figures[Optimization.Dynamic].Cosine >= 0.7, $"dynamic cosine {figures[Optimization.Dynamic].Cosine}");
        }
    }
}
