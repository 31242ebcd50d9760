using ModelBuildTasks.Generator.Tests.Harness;
using ModelBuildTasks.TestSupport;

namespace ModelBuildTasks.Generator.Tests;

/// <summary>
/// The generated code for the corpus models' cards (and two synthetic cards) equals the committed snapshots in
/// Snapshots/. After an intended change, regenerate them with MBT_UPDATE_SNAPSHOTS=1 and review the diff.
/// </summary>
[TestClass]
public sealed class SnapshotTests
{
    private static string SnapshotDir => Path.Combine(RepoPaths.Root, "tests", "ModelBuildTasks.Generator.Tests", "Snapshots");

    [TestMethod]
    [DataRow("face_detection_short_range", "TestApp.FaceDetectionShortRange.g.cs")]
    [DataRow("selfie_segmentation", "TestApp.SelfieSegmentation.g.cs")]
    [DataRow("hand_landmark_lite", "TestApp.HandLandmarkLite.g.cs")]
    [DataRow("pose_landmark_full", "TestApp.PoseLandmarkFull.g.cs")]
    [DataRow("quantized_classifier", "TestApp.MobilenetV1025Quant.g.cs")]
    [DataRow("tricky_names", "MyApp.ModelsV2.class.TrickyNames.g.cs")]
    [DataRow("signatures", "TestApp.TwoSignatures.g.cs")]
    public void GeneratedCodeMatchesSnapshot(string card, string hintName)
    {
        var result = GeneratorHarness.Generate([TestCards.Named(card)]);
        var generated = result.Source(hintName);
        var snapshot = Path.Combine(SnapshotDir, hintName);

        if (Environment.GetEnvironmentVariable("MBT_UPDATE_SNAPSHOTS") == "1")
        {
            Directory.CreateDirectory(SnapshotDir);
            File.WriteAllText(snapshot, generated);
        }

        Assert.IsTrue(File.Exists(snapshot), $"Missing snapshot {snapshot}; run the tests with MBT_UPDATE_SNAPSHOTS=1 to create it.");
        var expected = File.ReadAllText(snapshot).ReplaceLineEndings("\n");
        Assert.AreEqual(expected, generated, $"The generated code for {card} differs from {snapshot}; if intended, regenerate with MBT_UPDATE_SNAPSHOTS=1.");
    }
}
